#!/usr/bin/env bash
# Customer list and search at volume: generates 1,000,000 customers over 100
# reseller tenants (the first with 100,000), then measures single-client
# latency of the list's queries, the list's throughput at 32 connections, and
# prints the query plans. Everything runs on private services in
# .data/bench-customers, removed again on exit.
#
#   bash bench/customers.sh                 # or: make bench-customers
#   CUSTOMERS=200000 TENANTS=20 LARGEST=50000 bash bench/customers.sh
#
# Environment (defaults in brackets):
#   CONFIG        build configuration                          [release]
#   CUSTOMERS     customers generated in total                 [1000000]
#   TENANTS       reseller tenants they are spread over        [100]
#   LARGEST       customers in the first tenant (measured)     [100000]
#   REQUESTS      sequential requests per query (latency)      [300]
#   CONNECTIONS   wrk connections for the throughput run       [32]
#   DURATION      wrk run                                      [15s]
#   BENCH_LOG_LEVEL  server log level                          [info]
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT_DIR"

CONFIG="${CONFIG:-release}"
CUSTOMERS="${CUSTOMERS:-1000000}"
TENANTS="${TENANTS:-100}"
LARGEST="${LARGEST:-100000}"
REQUESTS="${REQUESTS:-300}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
DURATION="${DURATION:-15s}"
LOG_LEVEL="${BENCH_LOG_LEVEL:-info}"
PG_PORT="${BENCH_PG_PORT:-55435}"
REDIS_PORT="${BENCH_REDIS_PORT:-56382}"
HTTP_PORT="${BENCH_HTTP_PORT:-18081}"
DATA_DIR="$ROOT_DIR/.data/bench-customers"
LUA="$ROOT_DIR/bench/wrk-report.lua"
# shellcheck source=bench/lib.sh
. "$ROOT_DIR/bench/lib.sh"

COMMAND_LINE="CONFIG=$CONFIG CUSTOMERS=$CUSTOMERS TENANTS=$TENANTS LARGEST=$LARGEST REQUESTS=$REQUESTS CONNECTIONS=$CONNECTIONS DURATION=$DURATION BENCH_LOG_LEVEL=$LOG_LEVEL bash bench/customers.sh"

require_tools wrk curl python3 psql
ensure_binary
install_traps
start_fresh_services

phase "Migrating, seeding the demo, generating $CUSTOMERS customers over $TENANTS tenants (first: $LARGEST)"
"$BIN" migrate
"$BIN" seed --demo >/dev/null
GENERATION="$("$BIN" seed --customers "$CUSTOMERS" --tenants "$TENANTS" --largest "$LARGEST")"
echo "$GENERATION"

start_server

read -r OWNER _ < <(login bench-001-owner bench-001-password) || true
read -r ADMIN _ < <(login admin admin-demo-2026) || true
[ -n "$OWNER" ] && [ -n "$ADMIN" ] || die "login failed"

# Values that exist in the measured tenant: a zone, a customer's phone and a username prefix.
sql() { PGPASSWORD=uplink psql -h 127.0.0.1 -p "$PG_PORT" -U uplink -d uplink -XAtq -c "$1"; }
TENANT_ID="$(sql "SELECT id FROM platform.tenants WHERE slug = 'bench-001'")"
ZONE_ID="$(sql "SELECT zone_id FROM t_$TENANT_ID.customers WHERE status = 'suspended' GROUP BY zone_id ORDER BY count(*) DESC LIMIT 1")"
PHONE="$(sql "SELECT phone FROM t_$TENANT_ID.customers WHERE username = 'b001-77777'")"
PHONE_INTL="%2B880${PHONE#0}"
NAME="rahim"
PREFIX="b001-1234"

phase "Single-client latency in bench-001 ($LARGEST customers), $REQUESTS requests per query"
LATENCY="$(python3 bench/latency.py "$BASE_URL" "$OWNER" "$REQUESTS" \
  "default page|/api/v1/customers" \
  "name fragment q=$NAME|/api/v1/customers?q=$NAME" \
  "username prefix q=$PREFIX|/api/v1/customers?q=$PREFIX" \
  "phone q=+880…|/api/v1/customers?q=$PHONE_INTL" \
  "zone + status|/api/v1/customers?zone_id=$ZONE_ID&status=suspended")"
ADMIN_LATENCY="$(python3 bench/latency.py "$BASE_URL" "$ADMIN" "$REQUESTS" \
  "admin, all tenants, q=$NAME|/api/v1/admin/customers?q=$NAME" \
  "admin, all tenants, q=b042-4242|/api/v1/admin/customers?q=b042-4242" \
  "admin, all tenants, phone|/api/v1/admin/customers?q=$PHONE_INTL")"
echo "$LATENCY"
echo "$ADMIN_LATENCY"

phase "Throughput of the default page: wrk -t$THREADS -c$CONNECTIONS -d$DURATION"
export BENCH_NAME="customers-default-page" BENCH_TOKEN="$OWNER"
run_wrk /dev/null -t"$THREADS" -c"$CONNECTIONS" -d3s -s "$LUA" "$BASE_URL/api/v1/customers"
run_wrk "$DATA_DIR/wrk.out" -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$LUA" "$BASE_URL/api/v1/customers"
cat "$DATA_DIR/wrk.out"
read -r _ _ RPS P50 P99 ERRORS < <(grep '^RESULT ' "$DATA_DIR/wrk.out" | tail -n 1)
export BENCH_NAME="customers-name-search" BENCH_TOKEN="$OWNER"
run_wrk "$DATA_DIR/wrk-search.out" -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$LUA" "$BASE_URL/api/v1/customers?q=$NAME"
read -r _ _ S_RPS S_P50 S_P99 S_ERRORS < <(grep '^RESULT ' "$DATA_DIR/wrk-search.out" | tail -n 1)

phase "Query plans (EXPLAIN ANALYZE through the same code)"
PLANS="$("$BIN" bench plans --owner bench-001-owner --name "$NAME" --username "$PREFIX" --phone "$PHONE" --zone "$ZONE_ID")"
echo "$PLANS"

phase "Summary (markdown, for BENCHMARKS.md)"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- command: \`$COMMAND_LINE\`"
echo "- CPUs: $(nproc) ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)); client, server and Postgres on the same host"
echo "- generation: $(echo "$GENERATION" | tr '\n' ';' | sed 's/;$//')"
echo
echo "$LATENCY"
echo
echo "$ADMIN_LATENCY"
echo
echo "| wrk -c$CONNECTIONS, $DURATION | req/s | p50 ms | p99 ms | errors |"
echo "|---|---:|---:|---:|---:|"
printf '| `GET /api/v1/customers` (default page) | %.0f | %s | %s | %s |\n' "$RPS" "$P50" "$P99" "$ERRORS"
printf '| `GET /api/v1/customers?q=%s` | %.0f | %s | %s | %s |\n' "$NAME" "$S_RPS" "$S_P50" "$S_P99" "$S_ERRORS"
[ "$ERRORS" = "0" ] && [ "$S_ERRORS" = "0" ] || die "requests failed; these numbers are not valid"
