#!/usr/bin/env bash
# The panel's browser suite (Tests/Browser): a server with the demo data, FreeRADIUS in front of its
# database, and headless Chromium driven through Selenium against them.
#
# Runs on the Postgres and Redis that infra/test.sh started (it is called from there); by hand, start
# them the same way first. Everything it makes (a database, a FreeRADIUS directory, a Redis key prefix)
# is its own and removed afterwards.
#
# Environment (defaults in brackets):
#   UPLINK_PG_PORT, UPLINK_REDIS_PORT, UPLINK_DATA_DIR, UPLINK_DATA_KEY_FILE   as infra/test.sh sets them
#   UPLINK_BROWSER_OUT   where screenshots, downloads and failure pages go   [<repo>/test-output/browser]
#   UPLINK_BIN           the server binary                                     [<repo>/.build/debug/uplink]
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT_DIR"
PG_PORT="${UPLINK_PG_PORT:?UPLINK_PG_PORT is not set (run through infra/test.sh)}"
REDIS_PORT="${UPLINK_REDIS_PORT:?UPLINK_REDIS_PORT is not set}"
DATA_DIR="${UPLINK_DATA_DIR:?UPLINK_DATA_DIR is not set}"
OUT="${UPLINK_BROWSER_OUT:-$ROOT_DIR/test-output/browser}"
BIN="${UPLINK_BIN:-$ROOT_DIR/.build/debug/uplink}"
DB=uplink_browser
RADIUS_DIR="$DATA_DIR/browser-radius"
SECRET=uplink-browser-secret

free_port() {
  python3 -c "import socket,sys; s=socket.socket(socket.AF_INET, getattr(socket, sys.argv[1])); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])" "$1"
}
HTTP_PORT="$(free_port SOCK_STREAM)"
AUTH_PORT="$(free_port SOCK_DGRAM)"
ACCT_PORT="$(free_port SOCK_DGRAM)"
while [ "$ACCT_PORT" = "$AUTH_PORT" ]; do ACCT_PORT="$(free_port SOCK_DGRAM)"; done

psql_admin() { PGPASSWORD=uplink psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U uplink -d uplink "$@"; }

server_pid=""
cleanup() {
  local rc=$?
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  UPLINK_RADIUS_DIR="$RADIUS_DIR" bash infra/freeradius.sh stop >/dev/null 2>&1 || true
  rm -rf "$RADIUS_DIR"
  psql_admin -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  exit "$rc"
}
trap cleanup EXIT

rm -rf "$OUT"
mkdir -p "$OUT"
psql_admin -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB OWNER uplink"

export UPLINK_DATABASE_URL="postgres://uplink:uplink@127.0.0.1:$PG_PORT/$DB"
export UPLINK_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
export UPLINK_REDIS_PREFIX="browser:"
export UPLINK_HTTP_HOST=127.0.0.1
export UPLINK_HTTP_PORT="$HTTP_PORT"
export UPLINK_ACCOUNTING_POLL_MS=500
export UPLINK_LOG_LEVEL=warning

echo "browser-test: migrating and seeding the demo into $DB"
"$BIN" migrate >/dev/null
"$BIN" seed --demo >/dev/null
UPLINK_RADIUS_DIR="$RADIUS_DIR" UPLINK_RADIUS_DB="$DB" UPLINK_RADIUS_AUTH_PORT="$AUTH_PORT" UPLINK_RADIUS_ACCT_PORT="$ACCT_PORT" \
  UPLINK_RADIUS_SECRET="$SECRET" bash infra/freeradius.sh start

"$BIN" serve >"$OUT/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { echo "browser-test: the server exited:"; cat "$OUT/server.log"; exit 1; }
  sleep 0.2
done

echo "browser-test: Chromium against http://127.0.0.1:$HTTP_PORT"
python3 Tests/Browser/panel_browser_test.py --base-url "http://127.0.0.1:$HTTP_PORT" --acct-port "$ACCT_PORT" --secret "$SECRET" --out "$OUT"
