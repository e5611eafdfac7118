#!/usr/bin/env bash
# HTTP and database benchmarks against a throwaway Postgres + Redis.
#
# One run starts private services in .data/bench, migrates and seeds them,
# serves the API on loopback, loads three endpoints with wrk, runs
# `uplink bench db`, and prints a markdown summary for BENCHMARKS.md.
# Services, server and data are removed again on exit, also on Ctrl-C.
#
#   bash bench/run.sh                      # or: make bench
#   CONFIG=debug DURATION=5s CONNECTIONS=16 bash bench/run.sh
#
# Environment (defaults in brackets):
#   CONFIG            build configuration to benchmark           [release]
#   CONNECTIONS       open wrk connections                       [64]
#   THREADS           wrk threads                                [2]
#   DURATION          measured wrk run per endpoint              [15s]
#   WARMUP            unmeasured wrk run before each endpoint    [3s]
#   DB_ITERATIONS     reads per variant for `uplink bench db`    [5000]
#   BENCH_LOG_LEVEL   server log level; info writes the access log,
#                     which is part of the real per-request cost [info]
#   BENCH_PG_PORT     Postgres port                              [55434]
#   BENCH_REDIS_PORT  Redis port                                 [56381]
#   BENCH_HTTP_PORT   API port on 127.0.0.1                      [18080]
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The server finds ./migrations relative to the working directory.
cd "$ROOT_DIR"

CONFIG="${CONFIG:-release}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
DURATION="${DURATION:-15s}"
WARMUP="${WARMUP:-3s}"
DB_ITERATIONS="${DB_ITERATIONS:-5000}"
LOG_LEVEL="${BENCH_LOG_LEVEL:-info}"
PG_PORT="${BENCH_PG_PORT:-55434}"
REDIS_PORT="${BENCH_REDIS_PORT:-56381}"
HTTP_PORT="${BENCH_HTTP_PORT:-18080}"

DATA_DIR="$ROOT_DIR/.data/bench"
LUA="$ROOT_DIR/bench/wrk-report.lua"
# shellcheck source=bench/lib.sh
. "$ROOT_DIR/bench/lib.sh"

# How this run was invoked, with every setting spelled out, so a result in
# BENCHMARKS.md can be reproduced exactly.
COMMAND_LINE="CONFIG=$CONFIG CONNECTIONS=$CONNECTIONS THREADS=$THREADS DURATION=$DURATION WARMUP=$WARMUP DB_ITERATIONS=$DB_ITERATIONS BENCH_LOG_LEVEL=$LOG_LEVEL bash bench/run.sh"

require_tools wrk curl python3
ensure_binary
install_traps
start_fresh_services

phase "Migrating and seeding"
"$BIN" migrate
"$BIN" seed --demo

start_server

phase "Logging in as the demo reseller"
read -r TOKEN OPERATOR_ID < <(login dhakanet dhakanet-demo-2026) || true
[ -n "$TOKEN" ] && [ -n "$OPERATOR_ID" ] && [ "$OPERATOR_ID" != "None" ] \
  || die "login response lacks token or operator_id"
echo "token ${TOKEN:0:8}…, operator_id $OPERATOR_ID"

# name | path | needs the bearer token
ENDPOINTS=(
  "GET /healthz|/healthz|no"
  "GET /api/v1/auth/me|/api/v1/auth/me|yes"
  "GET /api/v1/operators/{id}|/api/v1/operators/$OPERATOR_ID|yes"
)

RESULTS=()
for entry in "${ENDPOINTS[@]}"; do
  IFS='|' read -r name path auth <<<"$entry"
  token=""
  auth_header=()
  if [ "$auth" = "yes" ]; then
    token="$TOKEN"
    auth_header=(-H "Authorization: Bearer $TOKEN")
  fi
  # The RESULT line is whitespace-separated, so the label must not contain spaces.
  label="${name#GET }"

  # wrk only counts 4xx/5xx as errors; a redirect or an error page would
  # otherwise be benchmarked as if it were the real thing.
  status="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
    "${auth_header[@]}" "$BASE_URL$path")"
  case "$status" in
    2??) ;;
    *) die "$name answered HTTP $status before the run; not benchmarking it" ;;
  esac

  phase "$name: warm-up $WARMUP, then $DURATION (-t$THREADS -c$CONNECTIONS)"
  export BENCH_NAME="$label" BENCH_TOKEN="$token"
  # Warm-up fills connection pools and caches; its numbers are discarded.
  run_wrk /dev/null -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s "$LUA" "$BASE_URL$path"
  run_wrk "$DATA_DIR/wrk.out" -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$LUA" "$BASE_URL$path"
  cat "$DATA_DIR/wrk.out"
  result="$(grep '^RESULT ' "$DATA_DIR/wrk.out" | tail -n 1)"
  [ -n "$result" ] || die "wrk printed no RESULT line for $name"
  RESULTS+=("$name|$result")
  kill -0 "$SERVER_PID" 2>/dev/null || die "server died during the $name run"
done
unset BENCH_NAME BENCH_TOKEN
log_lines="$(wc -l <"$SERVER_LOG")"
log_mib="$(du -m "$SERVER_LOG" | cut -f1)"

phase "uplink bench db --iterations $DB_ITERATIONS --tenant dhaka-net"
# Same database and seed data as the HTTP runs; the server stays up but idle.
DB_TABLE="$("$BIN" bench db --iterations "$DB_ITERATIONS" --tenant dhaka-net)"
echo "$DB_TABLE"

# --- summary -----------------------------------------------------------------
total_errors=0
phase "Summary (markdown, for BENCHMARKS.md)"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- command: \`$COMMAND_LINE\`"
echo "- wrk: \`wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -s bench/wrk-report.lua <url>\` after a $WARMUP warm-up, client and server on the same host over loopback"
echo "- CPUs: $(nproc) ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1))"
echo "- server: \`$BIN\`, UPLINK_LOG_LEVEL=$LOG_LEVEL (access log: $log_lines lines, ${log_mib} MiB)"
echo
echo "| endpoint | req/s | p50 ms | p99 ms | errors |"
echo "|---|---:|---:|---:|---:|"
for entry in "${RESULTS[@]}"; do
  IFS='|' read -r name result <<<"$entry"
  read -r _ _ rps p50 p99 errors <<<"$result"
  printf '| `%s` | %.0f | %s | %s | %s |\n' "$name" "$rps" "$p50" "$p99" "$errors"
  total_errors=$((total_errors + errors))
done
echo
echo '```'
echo "$DB_TABLE"
echo '```'

if [ "$total_errors" -gt 0 ]; then
  die "$total_errors requests failed; these numbers are not valid"
fi
