#!/usr/bin/env bash
# A private FreeRADIUS for development and tests: its own config directory, log and pid file inside a
# data directory, listening on loopback ports, reading users, groups and clients from one database's
# `radius` schema. Several instances (different directories, ports and databases) can run at once.
#
#   bash infra/freeradius.sh start|stop|restart|status
#
# Environment (defaults in brackets):
#   UPLINK_DATA_DIR              base data directory                          [<repo>/.data]
#   UPLINK_RADIUS_DIR            this instance's directory                    [$UPLINK_DATA_DIR/freeradius]
#   UPLINK_RADIUS_DB             database holding the `radius` schema         [uplink]
#   UPLINK_PG_PORT               Postgres TCP port on 127.0.0.1               [55432]
#   UPLINK_RADIUS_AUTH_PORT      authentication port on 127.0.0.1             [51812]
#   UPLINK_RADIUS_ACCT_PORT      accounting port on 127.0.0.1                 [51813]
#   UPLINK_RADIUS_SECRET         secret of the static client 127.0.0.1        [uplink-local-secret]
#   UPLINK_RADIUS_DB_PASSWORD    password of the `uplink_radius` login role   [uplink_radius]
#   UPLINK_RADIUS_DB_POOL_MAX    database connections and worker threads of this instance   [16]
#   UPLINK_RADIUS_REJECT_DELAY   seconds an Access-Reject is held back        [0]
#
# Layout of the instance directory (rebuilt from the installed /etc/freeradius/3.0 on every start, so
# edits to infra/freeradius/ take effect at the next start):
#   raddb/        the configuration: the packaged one with our virtual server (sites-enabled/uplink),
#                 our sql module (mods-enabled/sql) and our clients.conf; no eap, no inner-tunnel
#   radius.log    the server log
#   radiusd.pid   pid of the running server
#   start.log     output of the last start (the daemon prints little; failures are diagnosed
#                 with a debug-mode configuration check)
#
# The database needs migrations/radius applied and the `uplink_radius` login role, which
# infra/services.sh creates.
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TEMPLATE_DIR="$ROOT_DIR/infra/freeradius"
PACKAGED_CONF=/etc/freeradius/3.0

DATA_DIR="${UPLINK_DATA_DIR:-$ROOT_DIR/.data}"
case "$DATA_DIR" in
  /*) ;;
  *) DATA_DIR="$PWD/$DATA_DIR" ;;
esac
RADIUS_DIR="${UPLINK_RADIUS_DIR:-$DATA_DIR/freeradius}"
case "$RADIUS_DIR" in
  /*) ;;
  *) RADIUS_DIR="$PWD/$RADIUS_DIR" ;;
esac
RADIUS_DB="${UPLINK_RADIUS_DB:-uplink}"
PG_PORT="${UPLINK_PG_PORT:-55432}"
AUTH_PORT="${UPLINK_RADIUS_AUTH_PORT:-51812}"
ACCT_PORT="${UPLINK_RADIUS_ACCT_PORT:-51813}"
SECRET="${UPLINK_RADIUS_SECRET:-uplink-local-secret}"
DB_PASSWORD="${UPLINK_RADIUS_DB_PASSWORD:-uplink_radius}"
DB_POOL_MAX="${UPLINK_RADIUS_DB_POOL_MAX:-16}"
REJECT_DELAY="${UPLINK_RADIUS_REJECT_DELAY:-0}"

CONF_DIR="$RADIUS_DIR/raddb"
PID_FILE="$RADIUS_DIR/radiusd.pid"
LOG_FILE="$RADIUS_DIR/radius.log"
START_LOG="$RADIUS_DIR/start.log"
START_TIMEOUT=20

log() { echo "freeradius: $*"; }
die() { echo "freeradius: error: $*" >&2; exit 1; }

# Closes every descriptor above 2 of the current (sub)shell; run it in a subshell right before exec.
close_inherited_descriptors() {
  local fd
  for fd in /proc/$BASHPID/fd/*; do
    fd="${fd##*/}"
    if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
}

find_daemon() {
  local name
  for name in freeradius radiusd; do
    if command -v "$name" >/dev/null; then
      command -v "$name"
      return
    fi
  done
  die "FreeRADIUS not found; run: bash infra/install-deps.sh"
}

# --- checks on the settings -----------------------------------------------------------------------
is_port() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]; }

validate() {
  local name
  for name in PG_PORT AUTH_PORT ACCT_PORT; do
    is_port "${!name}" || die "$name must be a TCP/UDP port, not '${!name}'"
  done
  [ "$AUTH_PORT" != "$ACCT_PORT" ] || die "UPLINK_RADIUS_AUTH_PORT and UPLINK_RADIUS_ACCT_PORT must differ"
  [[ "$DB_POOL_MAX" =~ ^[1-9][0-9]*$ ]] || die "UPLINK_RADIUS_DB_POOL_MAX must be a positive integer"
  [[ "$REJECT_DELAY" =~ ^[0-9]+$ ]] || die "UPLINK_RADIUS_REJECT_DELAY must be whole seconds"
  [[ "$RADIUS_DB" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "UPLINK_RADIUS_DB must be a plain database name"
  # These end up inside double-quoted strings of the FreeRADIUS configuration.
  for name in SECRET DB_PASSWORD; do
    [ -n "${!name}" ] || die "$name must not be empty"
    [[ "${!name}" =~ ^[A-Za-z0-9._~:/+=-]+$ ]] \
      || die "$name may only contain letters, digits and . _ ~ : / + = -"
  done
}

# --- process ---------------------------------------------------------------------------------------
# A process that exited but was not yet reaped still passes `kill -0`; treat such zombies as gone.
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  ! grep -q '^[^)]*) Z' "/proc/$1/stat" 2>/dev/null
}

radius_pid() {
  # Prints the pid of *our* server (from our pid file) if it is alive.
  local pid
  [ -f "$PID_FILE" ] || return 1
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid" || return 1
  # Guard against a recycled pid after a reboot or machine restore.
  grep -qE '^(freeradius|radiusd)$' "/proc/$pid/comm" 2>/dev/null || return 1
  echo "$pid"
}

# Status-Server to the auth port; the server answers it itself, without touching the database.
probe() {
  printf 'Message-Authenticator = 0x00\n' \
    | radclient -q -r 1 -t 1 "127.0.0.1:$AUTH_PORT" status "$SECRET" >/dev/null 2>&1
}

# --- configuration ---------------------------------------------------------------------------------
# Copies a template, filling in @NAME@ placeholders. Values were validated above: none contains the
# sed delimiter or a backslash.
render() {
  sed -e "s|@PG_PORT@|$PG_PORT|g" \
      -e "s|@DB@|$RADIUS_DB|g" \
      -e "s|@DB_PASSWORD@|$DB_PASSWORD|g" \
      -e "s|@DB_POOL_MAX@|$DB_POOL_MAX|g" \
      -e "s|@AUTH_PORT@|$AUTH_PORT|g" \
      -e "s|@ACCT_PORT@|$ACCT_PORT|g" \
      -e "s|@SECRET@|$SECRET|g" \
      "$1" >"$2"
  if grep -n '@[A-Z_]*@' "$2" >&2; then
    die "unfilled placeholder in $2"
  fi
}

# Replaces the first line of radiusd.conf matching the regex, and insists that there was one: a
# packaged file that changed shape must not silently give a server that writes to /var or drops root.
set_line() {
  local file="$1" regex="$2" replacement="$3"
  grep -qE "$regex" "$file" || die "no line matching '$regex' in $file; the packaged radiusd.conf changed"
  sed -i -E "0,/$regex/s|$regex.*|$replacement|" "$file"
}

build_config() {
  [ -r "$PACKAGED_CONF/radiusd.conf" ] \
    || die "$PACKAGED_CONF/radiusd.conf not readable; install FreeRADIUS (bash infra/install-deps.sh) and run as root"
  local tmp="$CONF_DIR.new"
  rm -rf "$tmp"
  cp -a "$PACKAGED_CONF" "$tmp"

  # Only our virtual server; inner-tunnel would bind 127.0.0.1:18120 in every instance.
  rm -f "$tmp"/sites-enabled/*
  render "$TEMPLATE_DIR/site-uplink" "$tmp/sites-enabled/uplink"

  # Our sql module. eap needs certificates and the inner-tunnel server, and we do not offer EAP.
  rm -f "$tmp/mods-enabled/sql" "$tmp/mods-enabled/eap"
  render "$TEMPLATE_DIR/mod-sql" "$tmp/mods-enabled/sql"

  render "$TEMPLATE_DIR/clients.conf" "$tmp/clients.conf"

  # No home servers or realms: nothing is ever proxied (the packaged file proxies example.com to a
  # local server).
  cat >"$tmp/proxy.conf" <<'EOF_PROXY'
# Written by infra/freeradius.sh: Uplink proxies nothing.
proxy server {
	default_fallback = no
}
realm LOCAL {
}
EOF_PROXY

  local conf="$tmp/radiusd.conf"
  # Everything the server writes goes to the instance directory.
  set_line "$conf" '^raddbdir = ' "raddbdir = $CONF_DIR"
  set_line "$conf" '^logdir = ' "logdir = $RADIUS_DIR"
  set_line "$conf" '^run_dir = ' "run_dir = $RADIUS_DIR"
  set_line "$conf" '^pidfile = ' "pidfile = $PID_FILE"
  set_line "$conf" '^radacctdir = ' "radacctdir = $RADIUS_DIR/radacct"
  # Stay the user we are (root on development machines): the copied files are ours.
  set_line "$conf" '^[[:space:]]*user = ' "#	user = (unset: runs as the invoking user)"
  set_line "$conf" '^[[:space:]]*group = ' "#	group = (unset: runs as the invoking user)"
  set_line "$conf" '^[[:space:]]*reject_delay = ' "	reject_delay = $REJECT_DELAY"
  set_line "$conf" '^[[:space:]]*colourise = ' "	colourise = no"
  # One line per authentication in radius.log (never the password: auth_badpass/auth_goodpass stay no).
  set_line "$conf" '^[[:space:]]*auth = no' "	auth = yes"
  # As many worker threads as database connections: FreeRADIUS 3's sql module does not wait for a free
  # connection, it fails the request at once ("No connections available and at max connection limit"),
  # so with the packaged 32 threads over a smaller pool a burst of accounting packets is mostly dropped
  # and only arrives with the NAS's retransmissions.
  local spare_min=$(( DB_POOL_MAX < 3 ? DB_POOL_MAX : 3 )) spare_max=$(( DB_POOL_MAX < 10 ? DB_POOL_MAX : 10 ))
  set_line "$conf" '^[[:space:]]*start_servers = ' "	start_servers = $(( DB_POOL_MAX < 5 ? DB_POOL_MAX : 5 ))"
  set_line "$conf" '^[[:space:]]*max_servers = ' "	max_servers = $DB_POOL_MAX"
  set_line "$conf" '^[[:space:]]*min_spare_servers = ' "	min_spare_servers = $spare_min"
  set_line "$conf" '^[[:space:]]*max_spare_servers = ' "	max_spare_servers = $spare_max"
  # proxy_requests stays as packaged (yes): with it off, 3.2.1 logs a simultaneous-use rejection as
  # "Login incorrect (Cannot proxy packets unless 'proxy_requests = yes')". Nothing is proxied: no
  # realm is configured to send anywhere.

  rm -rf "$CONF_DIR"
  mv "$tmp" "$CONF_DIR"
  # The configuration holds the database password and the client secret.
  chmod 700 "$CONF_DIR"
}

# --- commands --------------------------------------------------------------------------------------
cmd_start() {
  local daemon pid i
  daemon="$(find_daemon)"
  command -v radclient >/dev/null || die "radclient not found; run: bash infra/install-deps.sh"
  validate

  if pid="$(radius_pid)"; then
    log "already running (pid $pid, dir $RADIUS_DIR)"
    return 0
  fi
  if probe; then
    die "something else already answers on 127.0.0.1:$AUTH_PORT; set UPLINK_RADIUS_AUTH_PORT"
  fi

  mkdir -p "$RADIUS_DIR/radacct"
  rm -f "$PID_FILE"
  build_config

  log "starting on 127.0.0.1:$AUTH_PORT (auth) and :$ACCT_PORT (acct), database $RADIUS_DB on port $PG_PORT"
  # The server forks; the parent returns once the child has loaded its configuration and modules
  # (including the database connection and the clients from radius.nas), non-zero if that failed.
  # No descriptor of the caller may stay open in the daemon, or a caller reading our output would
  # wait for it forever.
  # Nor any other descriptor the caller left open (a test process's sockets): the daemon would keep
  # those connections open and those ports bound for as long as it runs.
  if ! (close_inherited_descriptors; exec "$daemon" -d "$CONF_DIR") </dev/null >"$START_LOG" 2>&1; then
    # A daemon that fails to parse its configuration says nothing, not even in its log; a debug-mode
    # check of the same configuration names the file, the line and the reason.
    {
      echo "--- $daemon -XC -d $CONF_DIR (last lines)"
      "$daemon" -XC -d "$CONF_DIR" </dev/null 2>&1 | tail -n 15 \
        | sed -E "s/password='[^']*'/password='(hidden)'/g" || true
    } >&2
    die "FreeRADIUS did not start (log: $LOG_FILE)"
  fi

  for i in $(seq 1 $((START_TIMEOUT * 4))); do
    if pid="$(radius_pid)" && probe; then
      log "running (pid $pid, log $LOG_FILE)"
      return 0
    fi
    if [ -f "$PID_FILE" ] && ! radius_pid >/dev/null; then
      break  # it wrote its pid and died
    fi
    sleep 0.25
  done
  tail -n 30 "$LOG_FILE" >&2 2>/dev/null || true
  cmd_stop >/dev/null 2>&1 || true
  die "FreeRADIUS did not answer Status-Server on 127.0.0.1:$AUTH_PORT within ${START_TIMEOUT}s (log: $LOG_FILE)"
}

cmd_stop() {
  local pid i
  pid="$(radius_pid)" || { rm -f "$PID_FILE"; return 0; }
  log "stopping (pid $pid)"
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do
    alive "$pid" || { rm -f "$PID_FILE"; return 0; }
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do
    alive "$pid" || break
    sleep 0.1
  done
  rm -f "$PID_FILE"
}

cmd_status() {
  local pid
  if pid="$(radius_pid)"; then
    if probe; then
      echo "freeradius: running on 127.0.0.1:$AUTH_PORT/$ACCT_PORT (pid $pid, database $RADIUS_DB, dir $RADIUS_DIR)"
    else
      echo "freeradius: running (pid $pid) but not answering on 127.0.0.1:$AUTH_PORT (dir $RADIUS_DIR)"
      return 1
    fi
  else
    echo "freeradius: stopped (dir $RADIUS_DIR)"
    return 3
  fi
}

case "${1:-}" in
  start)
    cmd_start
    ;;
  stop)
    cmd_stop
    ;;
  restart)
    cmd_stop
    cmd_start
    ;;
  status)
    cmd_status  # exit status 3 when stopped
    ;;
  *)
    echo "usage: $0 start|stop|restart|status" >&2
    exit 2
    ;;
esac
