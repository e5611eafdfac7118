#!/usr/bin/env bash
# Runs the Swift test suite against a throwaway Postgres + Redis.
#
# Every run gets a brand-new data directory and fresh services, which are
# stopped and deleted again on exit, whether the tests pass or not. Tests
# that need FreeRADIUS start private instances themselves (one per test
# database) with infra/freeradius.sh.
#
# Environment (defaults in brackets):
#   UPLINK_TEST_DATA_DIR     [<repo>/.data/test]
#   UPLINK_TEST_PG_PORT      [55433]   (differs from `make run`'s, so both can run)
#   UPLINK_TEST_REDIS_PORT   [56380]
#   SWIFT_TEST_ARGS          extra arguments for `swift test`, e.g. "--filter BillingTests"
#   UPLINK_TEST_PARALLEL     [0] 1 runs the tests in parallel (faster on many cores; see below)
#   UPLINK_TEST_TIMEOUT      [1800] seconds the whole `swift test` may take before it is stopped as hung
#   UPLINK_TEST_SUITES       ["swift browser"] which suites run: the Swift tests, the panel's browser suite
#                            (infra/browser-test.sh: headless Chromium against a served demo), or both
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT_DIR"

TEST_DATA_DIR="${UPLINK_TEST_DATA_DIR:-$ROOT_DIR/.data/test}"
case "$TEST_DATA_DIR" in
  /*) ;;
  *) TEST_DATA_DIR="$ROOT_DIR/$TEST_DATA_DIR" ;;
esac
# This directory is rm -rf'd below; refuse anything that looks like a mistake.
case "$TEST_DATA_DIR" in
  / | "$ROOT_DIR" | "$ROOT_DIR/" | "$HOME" | "$HOME/")
    echo "test.sh: refusing to use '$TEST_DATA_DIR' as a throwaway data dir" >&2
    exit 2
    ;;
esac

export UPLINK_DATA_DIR="$TEST_DATA_DIR"
export UPLINK_PG_PORT="${UPLINK_TEST_PG_PORT:-55433}"
export UPLINK_REDIS_PORT="${UPLINK_TEST_REDIS_PORT:-56380}"
# Nothing here outlives the run, so skip durability work.
export UPLINK_PG_FAST=1
export UPLINK_REDIS_EPHEMERAL=1

phase() { printf '\n==> %s\n' "$*"; }

phase "Checking dependencies (system packages, Python test tools)"
bash infra/install-deps.sh --test

phase "Preparing fresh test data dir $TEST_DATA_DIR"
# An interrupted earlier run may have left services running on this dir.
bash infra/services.sh stop >/dev/null 2>&1 || true
rm -rf "$TEST_DATA_DIR"
mkdir -p "$TEST_DATA_DIR"

cleanup() {
  local rc=$?
  phase "Stopping test services and removing $TEST_DATA_DIR"
  bash infra/services.sh stop || true
  rm -rf "$TEST_DATA_DIR"
  exit "$rc"
}
trap cleanup EXIT
# Make Ctrl-C / termination go through the EXIT trap too.
trap 'exit 130' INT
trap 'exit 143' TERM

phase "Starting Postgres (127.0.0.1:$UPLINK_PG_PORT) and Redis (127.0.0.1:$UPLINK_REDIS_PORT)"
bash infra/services.sh start

export UPLINK_DATA_KEY_FILE="$TEST_DATA_DIR/data.key"
export UPLINK_DATABASE_URL="postgres://uplink:uplink@127.0.0.1:$UPLINK_PG_PORT/uplink"
export UPLINK_REDIS_URL="redis://127.0.0.1:$UPLINK_REDIS_PORT"
export UPLINK_TEST=1

phase "Building (swift build --build-tests)"
swift build --build-tests

# SWIFT_TEST_ARGS is split on whitespace on purpose: it holds several flags.
read -r -a test_args <<<"${SWIFT_TEST_ARGS:-}"
# One test at a time by default. On two cores the parallel run (~40 s instead of ~100 s) stalled twice
# in eight runs once the suite started FreeRADIUS, Redis and RADIUS/RouterOS peers of its own: every
# task suspended, no executor thread left, no query in flight; the cause is not found yet.
if [ "${UPLINK_TEST_PARALLEL:-0}" != "1" ]; then
  test_args+=(--no-parallel)
fi

suites="${UPLINK_TEST_SUITES:-swift browser}"
rc=0
if [[ " $suites " == *" swift "* ]]; then
  phase "Running tests (swift test ${test_args[*]})"
  set +e
  # A hang fails the run after UPLINK_TEST_TIMEOUT seconds instead of holding it for ever.
  timeout --kill-after=30 "${UPLINK_TEST_TIMEOUT:-1800}" swift test "${test_args[@]}"
  rc=$?
  set -e
  phase "swift test exited with status $rc"
fi

if [[ " $suites " == *" browser "* ]]; then
  phase "Running the panel's browser suite (infra/browser-test.sh)"
  set +e
  timeout --kill-after=30 600 bash infra/browser-test.sh
  browser_rc=$?
  set -e
  phase "browser suite exited with status $browser_rc"
  [ "$rc" -eq 0 ] && rc=$browser_rc
fi
exit "$rc"
