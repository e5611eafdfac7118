#!/usr/bin/env bash
# Installs the Debian packages Uplink needs to build, test and run locally.
#
#   bash infra/install-deps.sh           # build/test/run dependencies
#   bash infra/install-deps.sh --bench   # ... plus the load-testing tools
#   bash infra/install-deps.sh --test    # ... plus the Python tools the tests use
#
# Only missing packages are installed, and `apt-get update` runs only when
# something is missing, so on a prepared machine this returns almost at once.
set -euo pipefail

# Runtime services (Postgres, Redis, FreeRADIUS with its Postgres driver and
# the radtest/radclient tools) and the C libraries the Swift targets link
# against through pkg-config.
required=(
  postgresql
  postgresql-contrib
  redis-server
  freeradius
  freeradius-postgresql
  freeradius-utils
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

# Python RADIUS and RouterOS API clients (pyrad, librouteros, from PyPI) that
# tests may use as independent peers, and the panel's browser suite: headless
# Chromium with its driver, driven through Selenium, and a Bangla font so its
# screenshots show Bangla names; infra/test.sh asks for them.
optional_test=(
  python3
  python3-pip
  chromium
  chromium-driver
  fonts-lohit-beng-bengali
)
python_test_modules="pyrad librouteros selenium"

wanted=("${required[@]}")
want_python_tools=0
case "${1:-}" in
  "") ;;
  --bench) wanted+=("${optional_bench[@]}") ;;
  --test)
    wanted+=("${optional_test[@]}")
    want_python_tools=1
    ;;
  -h|--help)
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "install-deps: unknown argument '$1' (expected --bench, --test or nothing)" >&2
    exit 2
    ;;
esac

# `dpkg -s` also succeeds for packages that were removed but left config
# files behind, so look at the Status line rather than the exit code alone.
is_installed() {
  dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed$'
}

# Installs the Python test modules with pip when they do not import yet.
# Debian marks its Python as externally managed (PEP 668); these are test
# tools on a development or CI machine, so pip may install next to it.
install_python_tools() {
  [ "$want_python_tools" -eq 1 ] || return 0
  if python3 -c 'import pyrad, librouteros, selenium' >/dev/null 2>&1; then
    return 0
  fi
  echo "install-deps: installing Python test modules: $python_test_modules"
  # shellcheck disable=SC2086  # a list of names on purpose
  if ! python3 -m pip install --quiet $python_test_modules 2>/dev/null; then
    python3 -m pip install --quiet --break-system-packages $python_test_modules
  fi
  python3 -c 'import pyrad, librouteros, selenium' \
    || { echo "install-deps: pyrad/librouteros still do not import" >&2; exit 1; }
}

missing=()
for pkg in "${wanted[@]}"; do
  is_installed "$pkg" || missing+=("$pkg")
done

if [ "${#missing[@]}" -eq 0 ]; then
  install_python_tools
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
install_python_tools
