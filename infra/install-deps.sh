#!/usr/bin/env bash
# Installs the Debian packages Uplink needs to build, test and run locally.
#
#   bash infra/install-deps.sh           # build/test/run dependencies
#   bash infra/install-deps.sh --bench   # ... plus the load-testing tools
#
# Only missing packages are installed, and `apt-get update` runs only when
# something is missing, so on a prepared machine this returns almost at once.
set -euo pipefail

# Runtime services (Postgres, Redis) and the C libraries the Swift targets
# link against through pkg-config.
required=(
  postgresql
  postgresql-contrib
  redis-server
  libhiredis-dev
  libargon2-dev
  libpq-dev
  libssl-dev
  pkg-config
)

# Only the benchmarks (bench/run.sh) need these.
optional_bench=(
  wrk
)

wanted=("${required[@]}")
case "${1:-}" in
  "") ;;
  --bench) wanted+=("${optional_bench[@]}") ;;
  -h|--help)
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "install-deps: unknown argument '$1' (expected --bench or nothing)" >&2
    exit 2
    ;;
esac

# `dpkg -s` also succeeds for packages that were removed but left config
# files behind, so look at the Status line rather than the exit code alone.
is_installed() {
  dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed$'
}

missing=()
for pkg in "${wanted[@]}"; do
  is_installed "$pkg" || missing+=("$pkg")
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing Debian packages: ${missing[*]}" >&2
  echo "install-deps: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
