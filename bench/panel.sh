#!/usr/bin/env bash
# The panel's pages at volume: one reseller tenant with 100,000 customers (plus the demo), then the
# single-client latency of the server-rendered pages (the customers list with its variants, a customer's
# page, the dashboard, the online list) and the list page's throughput. The session is the panel's cookie.
# Everything runs on private services in .data/bench-panel, removed again on exit.
#
#   bash bench/panel.sh                 # or: make bench-panel
#
# Environment (defaults in brackets):
#   CONFIG        build configuration                          [release]
#   CUSTOMERS     customers in the measured tenant             [100000]
#   REQUESTS      sequential requests per page (latency)       [300]
#   CONNECTIONS   wrk connections for the throughput run       [8]
#   DURATION      wrk run                                      [15s]
#   BENCH_LOG_LEVEL  server log level                          [warning]
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT_DIR"

CONFIG="${CONFIG:-release}"
CUSTOMERS="${CUSTOMERS:-100000}"
REQUESTS="${REQUESTS:-300}"
CONNECTIONS="${CONNECTIONS:-8}"
THREADS="${THREADS:-2}"
DURATION="${DURATION:-15s}"
LOG_LEVEL="${BENCH_LOG_LEVEL:-warning}"
PG_PORT="${BENCH_PG_PORT:-55438}"
REDIS_PORT="${BENCH_REDIS_PORT:-56385}"
HTTP_PORT="${BENCH_HTTP_PORT:-18084}"
DATA_DIR="$ROOT_DIR/.data/bench-panel"
LUA="$ROOT_DIR/bench/wrk-report.lua"
# shellcheck source=bench/lib.sh
. "$ROOT_DIR/bench/lib.sh"

COMMAND_LINE="CONFIG=$CONFIG CUSTOMERS=$CUSTOMERS REQUESTS=$REQUESTS CONNECTIONS=$CONNECTIONS DURATION=$DURATION bash bench/panel.sh"

require_tools wrk curl python3 psql
ensure_binary
install_traps
start_fresh_services

phase "Migrating, seeding the demo, generating $CUSTOMERS customers in one tenant"
"$BIN" migrate
"$BIN" seed --demo >/dev/null
GENERATION="$("$BIN" seed --customers "$CUSTOMERS" --tenants 1 --largest "$CUSTOMERS")"
echo "$GENERATION"

start_server

read -r OWNER _ < <(login bench-001-owner bench-001-password) || true
[ -n "$OWNER" ] || die "login failed"
sql() { PGPASSWORD=uplink psql -h 127.0.0.1 -p "$PG_PORT" -U uplink -d uplink -XAtq -c "$1"; }
TENANT_ID="$(sql "SELECT id FROM platform.tenants WHERE slug = 'bench-001'")"
CUSTOMER_ID="$(sql "SELECT id FROM t_$TENANT_ID.customers WHERE username = 'b001-77777'")"
ZONE_ID="$(sql "SELECT zone_id FROM t_$TENANT_ID.customers WHERE status = 'suspended' GROUP BY zone_id ORDER BY count(*) DESC LIMIT 1")"

# The page must be the list itself, not a redirect to the sign-in page.
curl -fsS -H "Cookie: uplink_session=$OWNER" -o "$DATA_DIR/list.html" "$BASE_URL/customers"
grep -q 'id="customers-table"' "$DATA_DIR/list.html" || die "the list page did not render"

phase "Single-client latency of the pages in bench-001 ($CUSTOMERS customers), $REQUESTS requests each"
LATENCY="$(LATENCY_COOKIE=1 python3 bench/latency.py "$BASE_URL" "$OWNER" "$REQUESTS" \
  "/customers (default: active, newest first)|/customers" \
  "/customers?q=rahim|/customers?q=rahim" \
  "/customers?status=all|/customers?status=all" \
  "/customers?status=all&sort=name&page=40|/customers?status=all&sort=name&page=40" \
  "/customers?zone_id=…&status=suspended|/customers?zone_id=$ZONE_ID&status=suspended" \
  "/customers?per_page=200|/customers?per_page=200" \
  "/customers/{id}|/customers/$CUSTOMER_ID" \
  "/customers/{id}?tab=activity|/customers/$CUSTOMER_ID?tab=activity" \
  "/ (dashboard)|/" \
  "/online|/online")"
echo "$LATENCY"
API_LATENCY="$(python3 bench/latency.py "$BASE_URL" "$OWNER" "$REQUESTS" \
  "API /api/v1/customers|/api/v1/customers" \
  "API ?q=rahim|/api/v1/customers?q=rahim" \
  "API ?status=all|/api/v1/customers?status=all" \
  "API ?status=all&sort=name&page=40|/api/v1/customers?status=all&sort=name&page=40" \
  "API ?per_page=200|/api/v1/customers?per_page=200")"
echo "$API_LATENCY"

phase "Throughput of the list page: wrk -t$THREADS -c$CONNECTIONS -d$DURATION"
export BENCH_NAME="panel-customers" BENCH_TOKEN="$OWNER" BENCH_COOKIE=1
run_wrk /dev/null -t"$THREADS" -c"$CONNECTIONS" -d3s -s "$LUA" "$BASE_URL/customers"
run_wrk "$DATA_DIR/wrk.out" -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$LUA" "$BASE_URL/customers"
cat "$DATA_DIR/wrk.out"
read -r _ _ RPS P50 P99 ERRORS < <(grep '^RESULT ' "$DATA_DIR/wrk.out" | tail -n 1)
read -r _ _ _ P90 _ P95 _ _ < <(grep '^PERCENTILES ' "$DATA_DIR/wrk.out" | tail -n 1)

phase "Summary (markdown, for BENCHMARKS.md)"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- command: \`$COMMAND_LINE\`"
echo "- CPUs: $(nproc) ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)); client, server and Postgres on the same host"
echo "- generation: $(echo "$GENERATION" | tr '\n' ';' | sed 's/;$//')"
echo
echo "$LATENCY"
echo
echo "The same lists from the JSON API, for comparison:"
echo
echo "$API_LATENCY"
echo
echo "| wrk -c$CONNECTIONS, $DURATION | req/s | p50 ms | p95 ms | p99 ms | errors |"
echo "|---|---:|---:|---:|---:|---:|"
printf '| `GET /customers` (HTML, default page) | %.0f | %s | %s | %s | %s |\n' "$RPS" "$P50" "$P95" "$P99" "$ERRORS"
[ "$ERRORS" = "0" ] || die "requests failed; these numbers are not valid"
