#!/usr/bin/env bash
# The online view at volume: generates CUSTOMERS customers over TENANTS reseller tenants, HISTORIC closed
# and OPEN open sessions in radius.radacct (open ones spread over every tenant, last heard within the
# last three minutes), and measures
#   1. the accounting poller's ticks (`uplink provisioning poll-accounting`): the first one rebuilds the
#      view from every open session; the later ones read what changed while UPDATES sessions per second
#      get an Interim-Update (acctupdatetime and counters moved, as FreeRADIUS does);
#   2. GET /api/v1/online-customers: single-client latency and wrk throughput at CONNECTIONS connections,
#      for the largest tenant's owner and for a typical tenant's.
# Everything runs on private services in .data/bench-online, removed again on exit.
#
#   bash bench/online.sh               # or: make bench-online
#   HISTORIC=200000 OPEN=5000 bash bench/online.sh
#
# Environment (defaults in brackets):
#   CONFIG        build configuration                               [release]
#   CUSTOMERS     customers generated in total                      [200000]
#   TENANTS       reseller tenants they are spread over             [100]
#   LARGEST       customers in the first tenant                     [20000]
#   HISTORIC      closed sessions                                   [1000000]
#   OPEN          open sessions                                     [20000]
#   UPDATES       Interim-Updates per second during the poll ticks  [1000]
#   CONNECTIONS   wrk connections                                   [32]
#   DURATION      each wrk run                                      [15s]
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT_DIR"

CONFIG="${CONFIG:-release}"
CUSTOMERS="${CUSTOMERS:-200000}"
TENANTS="${TENANTS:-100}"
LARGEST="${LARGEST:-20000}"
HISTORIC="${HISTORIC:-1000000}"
OPEN="${OPEN:-20000}"
UPDATES="${UPDATES:-1000}"
REQUESTS="${REQUESTS:-300}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
DURATION="${DURATION:-15s}"
LOG_LEVEL="${BENCH_LOG_LEVEL:-warning}"
PG_PORT="${BENCH_PG_PORT:-55439}"
REDIS_PORT="${BENCH_REDIS_PORT:-56386}"
HTTP_PORT="${BENCH_HTTP_PORT:-18085}"
DATA_DIR="$ROOT_DIR/.data/bench-online"
LUA="$ROOT_DIR/bench/wrk-report.lua"
# shellcheck source=bench/lib.sh
. "$ROOT_DIR/bench/lib.sh"

COMMAND_LINE="CONFIG=$CONFIG CUSTOMERS=$CUSTOMERS TENANTS=$TENANTS LARGEST=$LARGEST HISTORIC=$HISTORIC OPEN=$OPEN UPDATES=$UPDATES CONNECTIONS=$CONNECTIONS DURATION=$DURATION bash bench/online.sh"

sql() { PGPASSWORD=uplink psql -h 127.0.0.1 -p "$PG_PORT" -U uplink -d uplink -XAtq -c "$1"; }

UPDATER_PID=""
stop_updater() {
  if [ -n "$UPDATER_PID" ] && kill -0 "$UPDATER_PID" 2>/dev/null; then
    kill -TERM "$UPDATER_PID" 2>/dev/null || true
    wait "$UPDATER_PID" 2>/dev/null || true
  fi
  UPDATER_PID=""
}
cleanup() {
  local rc=$?
  set +e
  stop_updater
  (exit "$rc")
  bench_cleanup
}

require_tools wrk curl python3 psql
ensure_binary
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
start_fresh_services

phase "Migrating, seeding the demo, generating $CUSTOMERS customers over $TENANTS tenants (first: $LARGEST)"
"$BIN" migrate
"$BIN" seed --demo >/dev/null
"$BIN" seed --customers "$CUSTOMERS" --tenants "$TENANTS" --largest "$LARGEST"
sql "DELETE FROM platform.outbox" >/dev/null

phase "Generating $HISTORIC closed and $OPEN open sessions"
STARTED="$(date +%s.%N)"
sql "
  CREATE TEMP TABLE u AS SELECT row_number() OVER (ORDER BY username) AS n, username FROM platform.usernames;
  CREATE INDEX ON u (n);
  INSERT INTO radius.radacct (acctsessionid, acctuniqueid, username, nasipaddress, nasportid, acctstarttime, acctupdatetime,
                              acctstoptime, acctsessiontime, acctinputoctets, acctoutputoctets, callingstationid,
                              framedipaddress, acctterminatecause)
  SELECT to_hex(g), 'h' || g, u.username, ('10.255.0.' || (1 + g % 8))::inet, 'ether1',
         now() - make_interval(days => g % 365) - interval '2 hours', now() - make_interval(days => g % 365) - interval '1 hour',
         now() - make_interval(days => g % 365) - interval '1 hour', 3600, (g % 1000)::bigint * 1048576, (g % 1000)::bigint * 10485760,
         'AA:BB:CC:' || to_hex(g % 256) || ':00:01', ('10.64.0.0'::inet + (g % 65000)), 'User-Request'
  FROM generate_series(1, $HISTORIC) g JOIN u ON u.n = 1 + (g::bigint * 7919) % (SELECT count(*) FROM u);
  INSERT INTO radius.radacct (acctsessionid, acctuniqueid, username, nasipaddress, nasportid, acctstarttime, acctupdatetime,
                              acctsessiontime, acctinputoctets, acctoutputoctets, callingstationid, framedipaddress)
  SELECT 'o' || to_hex(g), 'o' || g, u.username, ('10.255.0.' || (1 + g % 8))::inet, 'ether1',
         now() - make_interval(secs => 600 + g % 86400), now() - make_interval(secs => g % 180), 600 + g % 86400,
         (g % 1000)::bigint * 1048576, (g % 1000)::bigint * 10485760, 'AA:BB:CC:' || to_hex(g % 256) || ':00:02', ('10.128.0.0'::inet + g)
  FROM generate_series(1, $OPEN) g JOIN u ON u.n = 1 + (g * ((SELECT count(*) FROM u) / $OPEN)) % (SELECT count(*) FROM u);
" >/dev/null
sql "VACUUM (ANALYZE) radius.radacct" >/dev/null
python3 -c "import sys; print(f'generated in {float(sys.argv[2]) - float(sys.argv[1]):.1f} s')" "$STARTED" "$(date +%s.%N)"
TENANT_ID="$(sql "SELECT id FROM platform.tenants WHERE slug = 'bench-001'")"
TYPICAL_ID="$(sql "SELECT id FROM platform.tenants WHERE slug = 'bench-050'")"
echo "open sessions: $(sql "SELECT count(*) FROM radius.radacct WHERE acctstoptime IS NULL"), of bench-001: $(sql "
  SELECT count(*) FROM radius.radacct a JOIN platform.usernames n ON n.username = a.username
  WHERE a.acctstoptime IS NULL AND n.tenant_id = $TENANT_ID"), of bench-050: $(sql "
  SELECT count(*) FROM radius.radacct a JOIN platform.usernames n ON n.username = a.username
  WHERE a.acctstoptime IS NULL AND n.tenant_id = $TYPICAL_ID"); all rows: $(sql "SELECT count(*) FROM radius.radacct")"

phase "1. Poll ticks: the first rebuilds the view, the rest read $UPDATES Interim-Updates per second"
# The updater moves UPDATES random open sessions forward every second, as FreeRADIUS' interim query does.
(
  while :; do
    sql "UPDATE radius.radacct SET acctupdatetime = now(), acctinputoctets = acctinputoctets + 1048576,
           acctoutputoctets = acctoutputoctets + 10485760
         WHERE radacctid IN (SELECT radacctid FROM radius.radacct WHERE acctstoptime IS NULL
                             ORDER BY random() LIMIT $UPDATES)" >/dev/null
    sleep 1
  done
) &
UPDATER_PID=$!
"$BIN" provisioning poll-accounting --ticks 6 --interval-ms 5000
stop_updater

phase "2. GET /api/v1/online-customers"
SERVE_ARGS="--roles api,worker" UPLINK_RECONCILE_INTERVAL_SECONDS=0 start_server
read -r OWNER _ < <(login bench-001-owner bench-001-password) || true
read -r TYPICAL _ < <(login bench-050-owner bench-050-password) || true
[ -n "$OWNER" ] && [ -n "$TYPICAL" ] || die "login failed"
# The server's own poller builds the view on its first tick.
for _ in $(seq 1 100); do
  [ "$(curl -s -H "Authorization: Bearer $OWNER" "$BASE_URL/api/v1/online-customers?per_page=1" \
       | python3 -c 'import json,sys; print(json.load(sys.stdin).get("as_of") is not None)')" = "True" ] && break
  sleep 0.2
done
python3 bench/latency.py "$BASE_URL" "$OWNER" "$REQUESTS" \
  "bench-001 owner, default page|/api/v1/online-customers" \
  "bench-001 owner, -download|/api/v1/online-customers?sort=-download" \
  "bench-001 owner, q=b001-1|/api/v1/online-customers?q=b001-1"
python3 bench/latency.py "$BASE_URL" "$TYPICAL" "$REQUESTS" "bench-050 owner, default page|/api/v1/online-customers"
for who in OWNER TYPICAL; do
  export BENCH_NAME="online-$who" BENCH_TOKEN="${!who}"
  run_wrk /dev/null -t"$THREADS" -c"$CONNECTIONS" -d3s -s "$LUA" "$BASE_URL/api/v1/online-customers"
  run_wrk "$DATA_DIR/wrk-$who.out" -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$LUA" "$BASE_URL/api/v1/online-customers"
  echo "$who: $(grep -E 'Requests/sec|99%|90%|Non-2xx' "$DATA_DIR/wrk-$who.out" | tr -s ' ' | tr '\n' ';')"
  grep -E '^(RESULT|PERCENTILES) ' "$DATA_DIR/wrk-$who.out" | tail -n 2
done

phase "Summary"
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- command: \`$COMMAND_LINE\`"
