#!/usr/bin/env bash
# Accounting ingestion through FreeRADIUS: SESSIONS sessions' Start, Interim-Update and Stop packets sent
# by radclient (PARALLEL in flight) to a private FreeRADIUS writing radius.radacct, which already holds
# HISTORIC closed sessions. Run twice: with every index of radius.radacct in place, then with only the
# ones FreeRADIUS' own queries need (the primary key and acctuniqueid), to show what ours cost.
# Everything runs on private services in .data/bench-accounting, removed again on exit.
#
#   bash bench/accounting.sh               # or: make bench-accounting
#   SESSIONS=5000 HISTORIC=100000 bash bench/accounting.sh
#
# Environment (defaults in brackets):
#   CONFIG     build configuration                    [release]
#   HISTORIC   closed sessions already in radacct      [1000000]
#   SESSIONS   sessions per run (3 packets each)       [20000]
#   PARALLEL   packets radclient keeps in flight       [64]
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT_DIR"

CONFIG="${CONFIG:-release}"
HISTORIC="${HISTORIC:-1000000}"
SESSIONS="${SESSIONS:-20000}"
PARALLEL="${PARALLEL:-64}"
PG_PORT="${BENCH_PG_PORT:-55440}"
REDIS_PORT="${BENCH_REDIS_PORT:-56387}"
HTTP_PORT="${BENCH_HTTP_PORT:-18086}"
RADIUS_AUTH_PORT="${BENCH_RADIUS_AUTH_PORT:-51852}"
RADIUS_ACCT_PORT="${BENCH_RADIUS_ACCT_PORT:-51853}"
DATA_DIR="$ROOT_DIR/.data/bench-accounting"
# shellcheck source=bench/lib.sh
. "$ROOT_DIR/bench/lib.sh"

RADIUS_ENV=(UPLINK_RADIUS_DIR="$DATA_DIR/freeradius" UPLINK_RADIUS_AUTH_PORT="$RADIUS_AUTH_PORT"
            UPLINK_RADIUS_ACCT_PORT="$RADIUS_ACCT_PORT" UPLINK_RADIUS_SECRET=bench-secret UPLINK_RADIUS_DB_POOL_MAX=16)

sql() { PGPASSWORD=uplink psql -h 127.0.0.1 -p "$PG_PORT" -U uplink -d uplink -XAtq -c "$1"; }

cleanup() {
  local rc=$?
  set +e
  env "${RADIUS_ENV[@]}" bash infra/freeradius.sh stop >/dev/null 2>&1 || true
  (exit "$rc")
  bench_cleanup
}

require_tools python3 psql radclient
ensure_binary
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
start_fresh_services

phase "Migrating; $HISTORIC closed sessions in radius.radacct"
"$BIN" migrate >/dev/null
sql "
  INSERT INTO radius.radacct (acctsessionid, acctuniqueid, username, nasipaddress, nasportid, acctstarttime, acctupdatetime,
                              acctstoptime, acctsessiontime, acctinputoctets, acctoutputoctets, callingstationid,
                              framedipaddress, acctterminatecause)
  SELECT to_hex(g), 'h' || g, 'user-' || (g % 50000), ('10.255.0.' || (1 + g % 8))::inet, 'ether1',
         now() - make_interval(days => g % 365) - interval '2 hours', now() - make_interval(days => g % 365) - interval '1 hour',
         now() - make_interval(days => g % 365) - interval '1 hour', 3600, (g % 1000)::bigint * 1048576, (g % 1000)::bigint * 10485760,
         'AA:BB:CC:00:00:01', '10.64.0.0'::inet + (g % 65000), 'User-Request'
  FROM generate_series(1, $HISTORIC) g" >/dev/null
sql "VACUUM (ANALYZE) radius.radacct" >/dev/null

phase "FreeRADIUS on the bench database (acct 127.0.0.1:$RADIUS_ACCT_PORT)"
env "${RADIUS_ENV[@]}" bash infra/freeradius.sh start

# packets RUN KIND: one radclient input file of SESSIONS packets of KIND (Start, Interim-Update, Stop).
packets() {
  python3 - "$1" "$2" "$SESSIONS" >"$DATA_DIR/$1-$2.txt" <<'PY'
import sys
run, kind, sessions = sys.argv[1], sys.argv[2], int(sys.argv[3])
for n in range(sessions):
    lines = [
        f'Acct-Status-Type = {kind}', f'User-Name = "bench-{run}-{n}"', f'Acct-Session-Id = "{run}{n:08x}"',
        'NAS-IP-Address = 127.0.0.1', f'NAS-Port = {n % 4096}', f'Framed-IP-Address = 10.{100 + n // 65536 % 100}.{n // 256 % 256}.{n % 256}',
        f'Calling-Station-Id = "AA:BB:CC:{n // 65536 % 256:02X}:{n // 256 % 256:02X}:{n % 256:02X}"',
    ]
    if kind != 'Start':
        lines += ['Acct-Session-Time = 300', 'Acct-Input-Octets = 1048576', 'Acct-Output-Octets = 10485760', 'Acct-Input-Gigawords = 1']
    if kind == 'Stop':
        lines += ['Acct-Terminate-Cause = User-Request']
    print('\n'.join(lines))
    print()
PY
}

# ingest RUN: sends the run's Starts, then Interims, then Stops; prints packets per second of each.
ingest() {
  local run="$1" kind started finished
  for kind in Start Interim-Update Stop; do
    packets "$run" "$kind"
    started="$(date +%s.%N)"
    radclient -q -p "$PARALLEL" -r 3 -t 5 -f "$DATA_DIR/$run-$kind.txt" "127.0.0.1:$RADIUS_ACCT_PORT" acct bench-secret \
      || echo "radclient reported failures for $kind"
    finished="$(date +%s.%N)"
    python3 -c 'import sys; s, f, n, k = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]; print(f"  {k:15} {n} packets in {f - s:6.2f} s: {n / (f - s):8,.0f} packets/s")' \
      "$started" "$finished" "$SESSIONS" "$kind"
  done
  echo "  rows of this run: $(sql "SELECT count(*) FROM radius.radacct WHERE username LIKE 'bench-$run-%'"), open: $(sql "
    SELECT count(*) FROM radius.radacct WHERE username LIKE 'bench-$run-%' AND acctstoptime IS NULL")"
}

phase "1. With every index of radius.radacct"
sql "SELECT indexname FROM pg_indexes WHERE schemaname = 'radius' AND tablename = 'radacct' ORDER BY 1" | sed 's/^/  index: /'
ingest a

phase "2. Without ours (only the primary key and acctuniqueid, which FreeRADIUS' queries use)"
for index in $(sql "SELECT indexname FROM pg_indexes WHERE schemaname = 'radius' AND tablename = 'radacct'
                    AND indexname NOT IN ('radacct_pkey', 'radacct_acctuniqueid')"); do
  sql "DROP INDEX radius.$index"
done
sql "VACUUM (ANALYZE) radius.radacct" >/dev/null
ingest b

phase "Summary"
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- command: \`CONFIG=$CONFIG HISTORIC=$HISTORIC SESSIONS=$SESSIONS PARALLEL=$PARALLEL bash bench/accounting.sh\`"
