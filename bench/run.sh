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

BIN=".build/$CONFIG/uplink"
DATA_DIR="$ROOT_DIR/.data/bench"
SERVER_LOG="$DATA_DIR/server.log"
BASE_URL="http://127.0.0.1:$HTTP_PORT"
LUA="$ROOT_DIR/bench/wrk-report.lua"

# How this run was invoked, with every setting spelled out, so a result in
# BENCHMARKS.md can be reproduced exactly.
COMMAND_LINE="CONFIG=$CONFIG CONNECTIONS=$CONNECTIONS THREADS=$THREADS DURATION=$DURATION WARMUP=$WARMUP DB_ITERATIONS=$DB_ITERATIONS BENCH_LOG_LEVEL=$LOG_LEVEL bash bench/run.sh"

phase() { printf '\n==> %s\n' "$*"; }
die() { echo "bench: error: $*" >&2; exit 1; }

for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || die "$tool not found; run: bash infra/install-deps.sh --bench"
done

if [ ! -x "$BIN" ]; then
  phase "Building $BIN"
  swift build -c "$CONFIG" --product uplink
fi

# A server left over from an interrupted run (or anything else) on this port
# would be measured instead of ours.
if curl -s -o /dev/null --max-time 2 "$BASE_URL/healthz"; then
  die "something already answers on $BASE_URL; stop it or set BENCH_HTTP_PORT"
fi

export UPLINK_DATA_DIR="$DATA_DIR"
export UPLINK_PG_PORT="$PG_PORT"
export UPLINK_REDIS_PORT="$REDIS_PORT"
# Throwaway data: durability work would only add noise.
export UPLINK_PG_FAST=1
export UPLINK_REDIS_EPHEMERAL=1

SERVER_PID=""
WRK_PID=""
cleanup() {
  local rc=$?
  [ -n "$WRK_PID" ] && kill -TERM "$WRK_PID" 2>/dev/null || true
  # The log is about to be deleted; show its end when something went wrong
  # (but not after Ctrl-C or termination, which are no failures).
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 130 ] && [ "$rc" -ne 143 ] && [ -s "$SERVER_LOG" ]; then
    phase "Last lines of $SERVER_LOG"
    tail -n 20 "$SERVER_LOG" >&2 || true
  fi
  phase "Stopping server and services, removing $DATA_DIR"
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    # Give graceful shutdown a moment, then insist.
    for _ in $(seq 1 50); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  bash infra/services.sh stop || true
  rm -rf "$DATA_DIR"
  exit "$rc"
}
trap cleanup EXIT
# Route Ctrl-C and termination through the EXIT trap as well.
trap 'exit 130' INT
trap 'exit 143' TERM

phase "Fresh services in $DATA_DIR (Postgres 127.0.0.1:$PG_PORT, Redis 127.0.0.1:$REDIS_PORT)"
# An interrupted earlier run may have left services running on this dir.
bash infra/services.sh stop >/dev/null 2>&1 || true
rm -rf "$DATA_DIR"
mkdir -p "$DATA_DIR"
bash infra/services.sh start

export UPLINK_DATA_KEY_FILE="$DATA_DIR/data.key"
export UPLINK_DATABASE_URL="postgres://uplink:uplink@127.0.0.1:$PG_PORT/uplink"
export UPLINK_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
export UPLINK_HTTP_HOST=127.0.0.1
export UPLINK_HTTP_PORT="$HTTP_PORT"

phase "Migrating and seeding"
"$BIN" migrate
"$BIN" seed --demo

phase "Starting $BIN serve on $BASE_URL (log level $LOG_LEVEL, log $SERVER_LOG)"
UPLINK_LOG_LEVEL="$LOG_LEVEL" "$BIN" serve >>"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 300); do
  curl -s -o /dev/null --max-time 1 "$BASE_URL/healthz" && break
  kill -0 "$SERVER_PID" 2>/dev/null || die "server exited during start-up"
  sleep 0.1
done
curl -sf -o /dev/null --max-time 1 "$BASE_URL/healthz" \
  || die "server did not answer /healthz within 30 s"

phase "Logging in as the demo reseller"
login="$(curl -sS --max-time 10 -X POST "$BASE_URL/api/v1/auth/login" \
  -H 'Content-Type: application/json' \
  --data '{"username":"dhakanet","password":"dhakanet-demo-2026"}' \
  -w '\n%{http_code}')"
login_status="${login##*$'\n'}"
login_body="${login%$'\n'*}"
[ "$login_status" = "200" ] || die "login returned HTTP $login_status: $login_body"
read -r TOKEN OPERATOR_ID < <(printf '%s' "$login_body" | python3 -c '
import json, sys
body = json.load(sys.stdin)
print(body["token"], body["user"]["operator_id"])
') || true
[ -n "$TOKEN" ] && [ -n "$OPERATOR_ID" ] && [ "$OPERATOR_ID" != "None" ] \
  || die "login response lacks token or operator_id: $login_body"
echo "token ${TOKEN:0:8}…, operator_id $OPERATOR_ID"

# name | path | needs the bearer token
ENDPOINTS=(
  "GET /healthz|/healthz|no"
  "GET /api/v1/auth/me|/api/v1/auth/me|yes"
  "GET /api/v1/operators/{id}|/api/v1/operators/$OPERATOR_ID|yes"
)

# wrk catches SIGINT and exits normally, and bash then ignores the Ctrl-C that
# stopped it. Waiting on it as a background job lets the INT trap fire at once.
run_wrk() {
  local out="$1"
  shift
  wrk "$@" >"$out" &
  WRK_PID=$!
  wait "$WRK_PID"
  WRK_PID=""
}

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
