# Shared by the bench scripts: fresh private services, the server, login, wrk.
# The caller sets ROOT_DIR, CONFIG, PG_PORT, REDIS_PORT, HTTP_PORT, LOG_LEVEL and
# DATA_DIR before sourcing; everything started here is stopped on exit and
# DATA_DIR is removed.

BIN=".build/$CONFIG/uplink"
SERVER_LOG="$DATA_DIR/server.log"
BASE_URL="http://127.0.0.1:$HTTP_PORT"
SERVER_PID=""
WRK_PID=""

phase() { printf '\n==> %s\n' "$*"; }
die() { echo "bench: error: $*" >&2; exit 1; }

require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || die "$tool not found; run: bash infra/install-deps.sh --bench"
  done
}

ensure_binary() {
  if [ ! -x "$BIN" ]; then
    phase "Building $BIN"
    swift build -c "$CONFIG" --product uplink
  fi
  # A server left over from an interrupted run (or anything else) on this port
  # would be measured instead of ours.
  if curl -s -o /dev/null --max-time 2 "$BASE_URL/healthz"; then
    die "something already answers on $BASE_URL; stop it or choose another port"
  fi
}

bench_cleanup() {
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

install_traps() {
  trap bench_cleanup EXIT
  # Route Ctrl-C and termination through the EXIT trap as well.
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# Fresh Postgres and Redis in DATA_DIR, and the environment the binary reads.
start_fresh_services() {
  export UPLINK_DATA_DIR="$DATA_DIR"
  export UPLINK_PG_PORT="$PG_PORT"
  export UPLINK_REDIS_PORT="$REDIS_PORT"
  # Throwaway data: durability work would only add noise.
  export UPLINK_PG_FAST=1
  export UPLINK_REDIS_EPHEMERAL=1
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
}

start_server() {
  phase "Starting $BIN serve on $BASE_URL (log level $LOG_LEVEL, log $SERVER_LOG)"
  # Only the API: the scheduler's passes would be measured along with the requests.
  # shellcheck disable=SC2086
  UPLINK_LOG_LEVEL="$LOG_LEVEL" "$BIN" serve ${SERVE_ARGS:---roles api} >>"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    curl -s -o /dev/null --max-time 1 "$BASE_URL/healthz" && break
    kill -0 "$SERVER_PID" 2>/dev/null || die "server exited during start-up"
    sleep 0.1
  done
  curl -sf -o /dev/null --max-time 1 "$BASE_URL/healthz" \
    || die "server did not answer /healthz within 30 s"
}

# login USER PASSWORD: prints "<token> <operator_id>".
login() {
  local reply status body
  reply="$(curl -sS --max-time 10 -X POST "$BASE_URL/api/v1/auth/login" \
    -H 'Content-Type: application/json' \
    --data "{\"username\":\"$1\",\"password\":\"$2\"}" -w '\n%{http_code}')"
  status="${reply##*$'\n'}"
  body="${reply%$'\n'*}"
  [ "$status" = "200" ] || die "login of $1 returned HTTP $status: $body"
  printf '%s' "$body" | python3 -c '
import json, sys
body = json.load(sys.stdin)
print(body["token"], body["user"]["operator_id"])
'
}

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
