#!/usr/bin/env bash
# Provisioning at volume: generates 1,000,000 customers over 100 reseller tenants, starts a private
# FreeRADIUS on the same database, and measures
#   1. the first full reconcile, which writes every customer's RADIUS rows;
#   2. a full reconcile when nothing has drifted (the timer's usual run), and its dry run;
#   3. throughput: CHANGES customers of the largest tenant disabled in one statement (their outbox rows
#      waiting), drained by ONE worker process (`uplink serve --roles worker`);
#   4. latency under load: changes fed at RATE per second for LOAD_SECONDS (customers of other tenants)
#      while an API client (bench-002's owner) disables customers one at a time and polls FreeRADIUS
#      (radclient) until it answers Access-Reject.
# Everything runs on private services in .data/bench-provisioning, removed again on exit.
#
#   bash bench/provisioning.sh               # or: make bench-provisioning
#   CUSTOMERS=200000 TENANTS=20 LARGEST=50000 bash bench/provisioning.sh
#
# Environment (defaults in brackets):
#   CONFIG        build configuration                               [release]
#   CUSTOMERS     customers generated in total                      [1000000]
#   TENANTS       reseller tenants they are spread over             [100]
#   LARGEST       customers in the first tenant                     [100000]
#   CHANGES       customers changed at once for the throughput run  [100000]
#   RATE          changes per second during the latency run         [1000]
#   LOAD_SECONDS  length of the latency run                         [30]
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT_DIR"

CONFIG="${CONFIG:-release}"
CUSTOMERS="${CUSTOMERS:-1000000}"
TENANTS="${TENANTS:-100}"
LARGEST="${LARGEST:-100000}"
CHANGES="${CHANGES:-100000}"
RATE="${RATE:-1000}"
LOAD_SECONDS="${LOAD_SECONDS:-30}"
LOG_LEVEL="${BENCH_LOG_LEVEL:-warning}"
PG_PORT="${BENCH_PG_PORT:-55438}"
REDIS_PORT="${BENCH_REDIS_PORT:-56385}"
HTTP_PORT="${BENCH_HTTP_PORT:-18084}"
RADIUS_AUTH_PORT="${BENCH_RADIUS_AUTH_PORT:-51842}"
RADIUS_ACCT_PORT="${BENCH_RADIUS_ACCT_PORT:-51843}"
DATA_DIR="$ROOT_DIR/.data/bench-provisioning"
# shellcheck source=bench/lib.sh
. "$ROOT_DIR/bench/lib.sh"

WORKER_PID=""
RADIUS_ENV=(UPLINK_RADIUS_DIR="$DATA_DIR/freeradius" UPLINK_RADIUS_AUTH_PORT="$RADIUS_AUTH_PORT"
            UPLINK_RADIUS_ACCT_PORT="$RADIUS_ACCT_PORT" UPLINK_RADIUS_SECRET=bench-secret UPLINK_RADIUS_DB_POOL_MAX=16)

sql() { PGPASSWORD=uplink psql -h 127.0.0.1 -p "$PG_PORT" -U uplink -d uplink -XAtq -c "$1"; }

cleanup() {
  local rc=$?
  # Errors here must not cut the clean-up short.
  set +e
  if [ -n "$WORKER_PID" ] && kill -0 "$WORKER_PID" 2>/dev/null; then
    kill -TERM "$WORKER_PID" 2>/dev/null || true
    wait "$WORKER_PID" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ] && [ -s "$DATA_DIR/worker.log" ]; then
    phase "Last lines of $DATA_DIR/worker.log"
    tail -n 20 "$DATA_DIR/worker.log" >&2 || true
  fi
  env "${RADIUS_ENV[@]}" bash infra/freeradius.sh stop >/dev/null 2>&1 || true
  (exit "$rc")
  bench_cleanup
}

start_worker() {
  UPLINK_LOG_LEVEL="$LOG_LEVEL" UPLINK_RECONCILE_INTERVAL_SECONDS=0 UPLINK_OUTBOX_POLL_MS=200 \
    "$BIN" serve --roles worker >>"$DATA_DIR/worker.log" 2>&1 &
  WORKER_PID=$!
}

# Seconds (with fractions) since the epoch.
now() { date +%s.%N; }

require_tools curl python3 psql radclient
ensure_binary
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
start_fresh_services

phase "Migrating, seeding the demo, generating $CUSTOMERS customers over $TENANTS tenants (first: $LARGEST)"
"$BIN" migrate
"$BIN" seed --demo >/dev/null
"$BIN" seed --customers "$CUSTOMERS" --tenants "$TENANTS" --largest "$LARGEST"
# What the generator made is not what the pipeline would queue: no outbox rows for the load below to trip over.
sql "DELETE FROM platform.outbox" >/dev/null

phase "FreeRADIUS on the bench database (auth 127.0.0.1:$RADIUS_AUTH_PORT)"
env "${RADIUS_ENV[@]}" bash infra/freeradius.sh start

phase "1. First full reconcile: every customer's RADIUS rows written"
"$BIN" provisioning reconcile | head -n 1
echo "radcheck rows: $(sql "SELECT count(*) FROM radius.radcheck"), radusergroup rows: $(sql "SELECT count(*) FROM radius.radusergroup")"
sql "VACUUM (ANALYZE) radius.radcheck, radius.radreply, radius.radusergroup, platform.provisioning_state" >/dev/null

phase "2. Full reconcile with nothing drifted, then its dry run"
"$BIN" provisioning reconcile | head -n 1
"$BIN" provisioning reconcile --dry-run | head -n 1

SCHEMA="$(sql "SELECT schema_name FROM platform.tenants WHERE slug = 'bench-001'")"
TENANT="$(sql "SELECT id FROM platform.tenants WHERE slug = 'bench-001'")"
PROBE_SCHEMA="$(sql "SELECT schema_name FROM platform.tenants WHERE slug = 'bench-002'")"

phase "3. Throughput: $CHANGES customers of bench-001 disabled in one statement, one worker process"
CHANGED="$(sql "
  WITH picked AS (
    SELECT id FROM $SCHEMA.customers WHERE status = 'active' AND deleted_at IS NULL ORDER BY id LIMIT $CHANGES
  ), done AS (
    UPDATE $SCHEMA.customers c SET status = 'disabled', status_reason = 'bench' FROM picked p WHERE c.id = p.id RETURNING c.id
  ), queued AS (
    INSERT INTO platform.outbox (tenant_id, customer_id, reason) SELECT $TENANT, id, 'status_changed' FROM done RETURNING 1
  ) SELECT count(*) FROM queued")"
echo "changed and queued: $CHANGED"
STARTED="$(now)"
start_worker
while :; do
  LEFT="$(sql "SELECT (SELECT count(*) FROM platform.outbox) + (SELECT count(*) FROM platform.provisioning_state WHERE state = 'pending')")"
  [ "$LEFT" = "0" ] && break
  kill -0 "$WORKER_PID" 2>/dev/null || die "the worker exited (log: $DATA_DIR/worker.log)"
  sleep 0.2
done
FINISHED="$(now)"
python3 - "$STARTED" "$FINISHED" "$CHANGED" <<'PY'
import sys
started, finished, changed = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
seconds = finished - started
print(f"converged {changed} customers in {seconds:.2f} s (worker start included): {changed / seconds:,.0f} convergences/s")
PY
echo "RADIUS rows left for the disabled customers: $(sql "
  SELECT count(*) FROM radius.radcheck r JOIN $SCHEMA.customers c ON c.username = r.username WHERE c.status_reason = 'bench'")"

phase "4. Latency: $RATE changes/s for $LOAD_SECONDS s while an API client disables customers and polls FreeRADIUS"
start_server
python3 bench/provisioning_load.py --base-url "$BASE_URL" --pg-port "$PG_PORT" --radius-port "$RADIUS_AUTH_PORT" \
  --secret bench-secret --rate "$RATE" --seconds "$LOAD_SECONDS" --schema "$PROBE_SCHEMA"
