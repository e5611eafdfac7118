#!/usr/bin/env bash
# Billing at volume: generates 1,000,000 customers over 100 reseller tenants,
# times the prepaid expiry sweep (about 100,000 customers due) and a second run
# of it that finds nothing to do, then measures one recharge end to end from a
# single client and recharges of distinct customers of one operator at 200
# connections, and finally proves the books. Everything runs on private
# services in .data/bench-billing, removed again on exit.
#
#   bash bench/billing.sh                 # or: make bench-billing
#   CUSTOMERS=200000 TENANTS=20 LARGEST=50000 bash bench/billing.sh
#
# Environment (defaults in brackets):
#   CONFIG        build configuration                              [release]
#   CUSTOMERS     customers generated in total                     [1000000]
#   TENANTS       reseller tenants they are spread over            [100]
#   LARGEST       customers in the first tenant (recharged)        [100000]
#   EXPIRY_DAYS   the sweep runs as of now + this many days        [7]
#   REQUESTS      sequential recharges (latency)                   [300]
#   CONNECTIONS   wrk connections for the throughput run           [200]
#   DURATION      wrk run                                          [15s]
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT_DIR"

CONFIG="${CONFIG:-release}"
CUSTOMERS="${CUSTOMERS:-1000000}"
TENANTS="${TENANTS:-100}"
LARGEST="${LARGEST:-100000}"
EXPIRY_DAYS="${EXPIRY_DAYS:-7}"
REQUESTS="${REQUESTS:-300}"
CONNECTIONS="${CONNECTIONS:-200}"
THREADS="${THREADS:-2}"
DURATION="${DURATION:-15s}"
LOG_LEVEL="${BENCH_LOG_LEVEL:-warning}"
PG_PORT="${BENCH_PG_PORT:-55436}"
REDIS_PORT="${BENCH_REDIS_PORT:-56383}"
HTTP_PORT="${BENCH_HTTP_PORT:-18082}"
DATA_DIR="$ROOT_DIR/.data/bench-billing"
# shellcheck source=bench/lib.sh
. "$ROOT_DIR/bench/lib.sh"

sql() { PGPASSWORD=uplink psql -h 127.0.0.1 -p "$PG_PORT" -U uplink -d uplink -XAtq -c "$1"; }

require_tools wrk curl python3 psql
ensure_binary
install_traps
start_fresh_services

phase "Migrating, seeding the demo, generating $CUSTOMERS customers over $TENANTS tenants (first: $LARGEST)"
"$BIN" migrate
"$BIN" seed --demo >/dev/null
"$BIN" seed --customers "$CUSTOMERS" --tenants "$TENANTS" --largest "$LARGEST"
sql "VACUUM ANALYZE" >/dev/null

AS_OF="$(date -u -d "+$EXPIRY_DAYS days" +%Y-%m-%dT%H:%M:%SZ)"
DUE=0
for schema in $(sql "SELECT schema_name FROM platform.tenants ORDER BY id"); do
  n="$(sql "SELECT count(*) FROM $schema.customers WHERE status = 'active' AND deleted_at IS NULL AND type IN ('pppoe_daily', 'hotspot') AND expires_at <= '$AS_OF'")"
  DUE=$((DUE + n))
done
phase "Expiry sweep as of $AS_OF: $DUE prepaid customers due"
"$BIN" jobs run expire-daily --as-of "$AS_OF"
phase "Second run of the sweep (nothing left to do)"
"$BIN" jobs run expire-daily --as-of "$AS_OF"

start_server
read -r ADMIN _ < <(login admin admin-demo-2026) || true
read -r OWNER OWNER_OPERATOR < <(login bench-001-owner bench-001-password) || true
[ -n "$ADMIN" ] && [ -n "$OWNER" ] || die "login failed"
TENANT="$(sql "SELECT id FROM platform.tenants WHERE slug = 'bench-001'")"
PACKAGE="$(sql "SELECT id FROM catalog.packages WHERE name = 'Home 10 Mbps (30 days)'")"

phase "Assigning the daily package to bench-001 and funding its wallet"
curl -sf -o /dev/null -X POST "$BASE_URL/api/v1/packages/$PACKAGE/assignments" -H "Authorization: Bearer $ADMIN" \
  -H 'Content-Type: application/json' --data "{\"reseller_id\":$TENANT,\"price\":40000}" || die "assignment failed"
for i in 1 2 3; do
  curl -sf -o /dev/null -X POST "$BASE_URL/api/v1/resellers/$TENANT/wallet/topups" -H "Authorization: Bearer $ADMIN" \
    -H "Idempotency-Key: bench-funding-$i" -H 'Content-Type: application/json' --data '{"amount":1000000000,"method":"bank"}' \
    || die "top-up failed"
done
IDS="$DATA_DIR/recharge-ids.txt"
sql "SELECT id FROM t_$TENANT.customers WHERE type = 'pppoe_daily' AND operator_id = $OWNER_OPERATOR AND deleted_at IS NULL ORDER BY id" >"$IDS"
echo "$(wc -l <"$IDS") daily customers of the bench-001 owner to recharge"

phase "One recharge end to end, one client ($REQUESTS sequential requests)"
python3 bench/recharge.py "$BASE_URL" "$OWNER" "$REQUESTS" "$IDS"

phase "Recharges of distinct customers of one operator: wrk -c $CONNECTIONS -t $THREADS -d $DURATION"
OUT="$DATA_DIR/wrk-recharge.txt"
BENCH_TOKEN="$OWNER" BENCH_IDS="$IDS" BENCH_THREADS="$THREADS" \
  run_wrk "$OUT" -c "$CONNECTIONS" -t "$THREADS" -d "$DURATION" --latency -s bench/recharge.lua "$BASE_URL"
read -r _ _ RPS P50 P95 P99 ERRORS < <(grep '^RESULT' "$OUT")
echo "| recharges, $CONNECTIONS connections | req/s | p50 ms | p95 ms | p99 ms | errors |"
echo "|---|---:|---:|---:|---:|---:|"
echo "| distinct customers, one operator | $RPS | $P50 | $P95 | $P99 | $ERRORS |"
echo "recharges recorded: $(sql "SELECT count(*) FROM t_$TENANT.recharges")"

phase "Proving the books"
"$BIN" ledger verify | tail -n 3
