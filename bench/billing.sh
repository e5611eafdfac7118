#!/usr/bin/env bash
# Billing at volume: generates 1,000,000 customers over 100 reseller tenants
# (half daily, half monthly), times the prepaid expiry sweep (about 100,000
# customers due) and the monthly invoice run (every monthly customer, made
# active: 500,000), each followed by a second run that finds nothing to do,
# then the overdue suspension of all of them, one recharge end to end from a
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
PG_PORT="${BENCH_PG_PORT:-55437}"
REDIS_PORT="${BENCH_REDIS_PORT:-56384}"
HTTP_PORT="${BENCH_HTTP_PORT:-18083}"
DATA_DIR="$ROOT_DIR/.data/bench-billing"
# shellcheck source=bench/lib.sh
. "$ROOT_DIR/bench/lib.sh"

sql() { PGPASSWORD=uplink psql -h 127.0.0.1 -p "$PG_PORT" -U uplink -d uplink -XAtq -c "$1"; }

# sum_over_tenants "WHERE …": customers matching the condition in every tenant schema.
sum_over_tenants() {
  local total=0 schema n
  for schema in $(sql "SELECT schema_name FROM platform.tenants ORDER BY id"); do
    n="$(sql "SELECT count(*) FROM $schema.customers $1")"
    total=$((total + n))
  done
  echo "$total"
}

require_tools wrk curl python3 psql
ensure_binary
install_traps
start_fresh_services

phase "Migrating, seeding the demo, generating $CUSTOMERS customers over $TENANTS tenants (first: $LARGEST), half daily, half monthly"
"$BIN" migrate
"$BIN" seed --demo >/dev/null
"$BIN" seed --customers "$CUSTOMERS" --tenants "$TENANTS" --largest "$LARGEST" --mix billing

phase "Every tenant sells the demo packages (owners and sub-resellers), wallets funded, monthly customers active"
cat >"$DATA_DIR/prepare.sql" <<'SQL'
DO $prepare$
DECLARE t record; o record;
BEGIN
  FOR t IN SELECT id, schema_name FROM platform.tenants ORDER BY id LOOP
    EXECUTE format($q$
      INSERT INTO catalog.package_assignments (package_id, tenant_id, operator_id, level, price)
      SELECT p.id, %s, o.id, CASE o.kind WHEN 'owner' THEN 'reseller' ELSE 'sub_reseller' END,
             p.price * CASE o.kind WHEN 'owner' THEN 7 ELSE 8 END / 10
      FROM catalog.packages p, %I.operators o
      WHERE p.name IN ('Home 10 Mbps (30 days)', 'Home 20 Mbps monthly', 'Hotspot day pass 2 GB')
      ON CONFLICT DO NOTHING $q$, t.id, t.schema_name);
    FOR o IN EXECUTE format('SELECT operator_id FROM %I.wallets ORDER BY operator_id', t.schema_name) LOOP
      EXECUTE format($q$SELECT %I.fund_wallet($1, 1000000000000, 'bank', NULL, 'bench', 'bench')$q$, t.schema_name) USING o.operator_id;
    END LOOP;
    EXECUTE format($q$UPDATE %I.customers SET status = 'active', status_reason = NULL
                      WHERE type = 'pppoe_monthly' AND status <> 'active'$q$, t.schema_name);
  END LOOP;
END
$prepare$;
SQL
PGPASSWORD=uplink psql -h 127.0.0.1 -p "$PG_PORT" -U uplink -d uplink -XAtq -v ON_ERROR_STOP=1 -f "$DATA_DIR/prepare.sql" >/dev/null
sql "VACUUM ANALYZE" >/dev/null

AS_OF="$(date -u -d "+$EXPIRY_DAYS days" +%Y-%m-%dT%H:%M:%SZ)"
DUE="$(sum_over_tenants "WHERE status = 'active' AND deleted_at IS NULL AND type IN ('pppoe_daily', 'hotspot') AND expires_at <= '$AS_OF'")"
phase "Expiry sweep as of $AS_OF: $DUE prepaid customers due"
"$BIN" jobs run expire-daily --as-of "$AS_OF"
phase "Second run of the sweep (nothing left to do)"
"$BIN" jobs run expire-daily --as-of "$AS_OF"

# The first day of next month, 10:00 in Dhaka: every monthly customer's period is due (cycle day 1).
MONTH="$(date -u -d "$(date -u +%Y-%m-01) +1 month" +%Y-%m-%d)"
INVOICE_AS_OF="${MONTH}T10:00:00+06:00"
MONTHLY="$(sum_over_tenants "WHERE type IN ('pppoe_monthly', 'static_monthly') AND status = 'active' AND deleted_at IS NULL")"
phase "Monthly invoice run as of $INVOICE_AS_OF: $MONTHLY active monthly customers"
"$BIN" jobs run generate-invoices --as-of "$INVOICE_AS_OF"
phase "Second run of the invoice job (nothing left to do)"
"$BIN" jobs run generate-invoices --as-of "$INVOICE_AS_OF"
SUSPEND_AS_OF="$(date -u -d "$MONTH +11 days" +%Y-%m-%d)T10:00:00+06:00"
phase "Overdue suspension as of $SUSPEND_AS_OF (due 7 days + grace 3 days passed, nothing paid)"
"$BIN" jobs run suspend-overdue --as-of "$SUSPEND_AS_OF"
phase "Second run of the suspension job (nothing left to do)"
"$BIN" jobs run suspend-overdue --as-of "$SUSPEND_AS_OF"

start_server
read -r ADMIN _ < <(login admin admin-demo-2026) || true
read -r OWNER OWNER_OPERATOR < <(login bench-001-owner bench-001-password) || true
[ -n "$ADMIN" ] && [ -n "$OWNER" ] || die "login failed"
TENANT="$(sql "SELECT id FROM platform.tenants WHERE slug = 'bench-001'")"

phase "Funding bench-001's wallet over the API"
curl -sf -o /dev/null -X POST "$BASE_URL/api/v1/resellers/$TENANT/wallet/topups" -H "Authorization: Bearer $ADMIN" \
  -H "Idempotency-Key: bench-funding-1" -H 'Content-Type: application/json' --data '{"amount":1000000000,"method":"bank"}' \
  || die "top-up failed"
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
# Every request must have been a new recharge (none answered as a replay of another).
echo "recharges recorded in bench-001: $(sql "SELECT count(*) FROM t_$TENANT.recharges WHERE source = 'recharge'") (requests: $((REQUESTS + REQUESTS / 10)) sequential + those of wrk)"
grep -E '^ +[0-9]+ requests in' "$OUT" || true

phase "Proving the books"
"$BIN" ledger verify | tail -n 3
