#!/usr/bin/env bash
# Local Postgres + Redis for development and tests, kept entirely inside a
# data directory of this checkout and bound to loopback only.
#
#   bash infra/services.sh start|stop|status
#
# Environment (defaults in brackets):
#   UPLINK_DATA_DIR         where everything lives            [<repo>/.data]
#   UPLINK_PG_PORT          Postgres TCP port on 127.0.0.1    [55432]
#   UPLINK_REDIS_PORT       Redis TCP port on 127.0.0.1       [56379]
#   UPLINK_PG_FAST=1        no fsync/full-page writes (throwaway test clusters)
#   UPLINK_REDIS_EPHEMERAL=1  no RDB snapshots and no AOF (throwaway test data)
#   UPLINK_RADIUS_DB_PASSWORD  password of the `uplink_radius` login role FreeRADIUS
#                           connects as (infra/freeradius.sh)  [uplink_radius]
#
# Layout of the data directory:
#   pg/        Postgres cluster (owned by the postgres user when run as root)
#   pg-run/    Postgres unix socket directory
#   pg.log     Postgres server log
#   redis/     Redis working dir (AOF / RDB files)
#   redis.pid, redis.log
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

DATA_DIR="${UPLINK_DATA_DIR:-$ROOT_DIR/.data}"
PG_PORT="${UPLINK_PG_PORT:-55432}"
REDIS_PORT="${UPLINK_REDIS_PORT:-56379}"
PG_FAST="${UPLINK_PG_FAST:-0}"
REDIS_EPHEMERAL="${UPLINK_REDIS_EPHEMERAL:-0}"

# The application role and database. Tests create per-tenant roles, hence
# CREATEROLE; the role is deliberately not a superuser.
APP_ROLE=uplink
APP_PASSWORD=uplink
APP_DB=uplink
# FreeRADIUS logs in as this role; migrations/radius grants it what it may read and write.
RADIUS_ROLE=uplink_radius
RADIUS_PASSWORD="${UPLINK_RADIUS_DB_PASSWORD:-uplink_radius}"

log() { echo "services: $*"; }
die() { echo "services: error: $*" >&2; exit 1; }

# Relative data dirs are relative to where the script is called from; Postgres
# and Redis need absolute paths because they run from other directories.
case "$DATA_DIR" in
  /*) ;;
  *) DATA_DIR="$PWD/$DATA_DIR" ;;
esac

PGDATA="$DATA_DIR/pg"
PG_RUN="$DATA_DIR/pg-run"
PG_LOG="$DATA_DIR/pg.log"
REDIS_DIR="$DATA_DIR/redis"
REDIS_PID="$DATA_DIR/redis.pid"
REDIS_LOG="$DATA_DIR/redis.log"

# --- Postgres binaries -------------------------------------------------------
# Debian's postgresql package keeps initdb/pg_ctl/postgres out of PATH (they
# live in /usr/lib/postgresql/<ver>/bin); psql is on PATH via postgresql-common.
find_pg_bin() {
  if command -v initdb >/dev/null && command -v pg_ctl >/dev/null && command -v postgres >/dev/null; then
    dirname "$(command -v pg_ctl)"
    return
  fi
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
      echo "$d"
      return
    fi
  done
  die "Postgres server binaries not found; run: bash infra/install-deps.sh"
}

# --- running things as the postgres user -------------------------------------
# Postgres refuses to run as root. When we are root, the cluster is owned by
# and run as the `postgres` system user; otherwise it simply runs as us.
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || die "no 'postgres' system user; run: bash infra/install-deps.sh"
  AS_ROOT=1
else
  AS_ROOT=0
fi

# Run from / so the postgres user never trips over an unreadable cwd, and with
# a locale that always exists (the cluster's own locale comes from initdb).
as_pg() {
  if [ "$AS_ROOT" -eq 1 ]; then
    (cd / && LC_ALL=C runuser -u postgres -- "$@")
  else
    (cd / && LC_ALL=C "$@")
  fi
}

give_to_pg() {
  if [ "$AS_ROOT" -eq 1 ]; then chown postgres:postgres "$@"; fi
}

# The postgres user must be able to reach (search, not list) the data
# directory. Checkouts often sit under root-owned 0700 directories, so add
# o+x on exactly the path components that lack it, and say so.
ensure_traversable() {
  [ "$AS_ROOT" -eq 1 ] || return 0
  # Walk from / downwards: a component only looks blocked when it really is.
  local path="" part parts
  IFS=/ read -r -a parts <<<"$1"
  for part in "${parts[@]}"; do
    [ -n "$part" ] || continue
    path="$path/$part"
    if ! runuser -u postgres -- test -x "$path"; then
      log "granting search permission (o+x) on $path so the postgres user can reach the cluster"
      chmod o+x "$path"
    fi
  done
}

pg_running() {
  [ -f "$PGDATA/PG_VERSION" ] || return 1
  as_pg "$PG_BIN/pg_ctl" status -D "$PGDATA" >/dev/null 2>&1
}

pick_locale() {
  # C.UTF-8 gives UTF-8 character semantics with byte-order collation; some
  # minimal images lack it, in which case plain C still works with -E UTF8.
  if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then
    echo C.UTF-8
  else
    echo C
  fi
}

pg_init_cluster() {
  local tmp="$PGDATA.init" locale
  locale="$(pick_locale)"
  # initdb into a scratch dir and rename at the end, so an interrupted first
  # run never leaves a half-made cluster that later runs would try to start.
  rm -rf "$tmp"
  mkdir -p "$tmp"
  chmod 700 "$tmp"
  give_to_pg "$tmp"
  log "creating Postgres cluster in $PGDATA (locale $locale)"
  as_pg "$PG_BIN/initdb" -D "$tmp" -A trust --username=postgres -E UTF8 \
    --locale="$locale" >"$DATA_DIR/initdb.log" 2>&1 \
    || { cat "$DATA_DIR/initdb.log" >&2; die "initdb failed"; }
  # Our settings live in a separate file, rewritten on every start.
  echo "include_if_exists = 'uplink.conf'" >>"$tmp/postgresql.conf"
  mv "$tmp" "$PGDATA"
}

pg_write_config() {
  local fast_settings
  if [ "$PG_FAST" = "1" ]; then
    # Test clusters are thrown away after each run: durability buys nothing.
    fast_settings="fsync = off
synchronous_commit = off
full_page_writes = off"
  else
    fast_settings="fsync = on
synchronous_commit = on
full_page_writes = on"
  fi
  cat >"$PGDATA/uplink.conf" <<EOF
# Written by infra/services.sh on every start; edits here are overwritten.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_RUN'
max_connections = 300
shared_buffers = 256MB
$fast_settings
EOF
  give_to_pg "$PGDATA/uplink.conf"
  # Logins over TCP prove their password (SCRAM-SHA-256); only the superuser these
  # scripts administer with, and the Unix socket (file permissions), are trusted.
  cat >"$PGDATA/pg_hba.conf" <<EOF
# Written by infra/services.sh on every start; edits here are overwritten.
local all all trust
host all postgres 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
EOF
  give_to_pg "$PGDATA/pg_hba.conf"
}

pg_psql() {
  PGCONNECT_TIMEOUT=5 psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres \
    -X -q -v ON_ERROR_STOP=1 "$@"
}

pg_ensure_app_db() {
  # CREATE ROLE has no IF NOT EXISTS; ALTER afterwards keeps the attributes
  # right even for a role made by an older version of this script.
  pg_psql -v radius_password="$RADIUS_PASSWORD" <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$APP_ROLE') THEN
    CREATE ROLE $APP_ROLE;
  END IF;
END
\$\$;
ALTER ROLE $APP_ROLE WITH LOGIN CREATEROLE CREATEDB NOSUPERUSER PASSWORD '$APP_PASSWORD';
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$RADIUS_ROLE') THEN
    CREATE ROLE $RADIUS_ROLE;
  END IF;
END
\$\$;
ALTER ROLE $RADIUS_ROLE WITH LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB PASSWORD :'radius_password';
SELECT 'CREATE DATABASE $APP_DB OWNER $APP_ROLE'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$APP_DB')
\gexec
SQL
}

pg_start() {
  PG_BIN="$(find_pg_bin)"
  command -v psql >/dev/null || die "psql not found; run: bash infra/install-deps.sh"

  mkdir -p "$DATA_DIR"
  ensure_traversable "$DATA_DIR"
  if ! pg_running; then
    [ -f "$PGDATA/PG_VERSION" ] || pg_init_cluster
    mkdir -p "$PG_RUN"
    chmod 700 "$PG_RUN"
    touch "$PG_LOG"
    give_to_pg "$PG_RUN" "$PG_LOG"
    pg_write_config
    log "starting Postgres on 127.0.0.1:$PG_PORT (fast=$PG_FAST)"
    if ! as_pg "$PG_BIN/pg_ctl" start -D "$PGDATA" -l "$PG_LOG" -w -t 60 -s; then
      tail -n 30 "$PG_LOG" >&2 || true
      die "Postgres did not start (log: $PG_LOG)"
    fi
  else
    log "Postgres already running (data $PGDATA)"
  fi
  pg_ensure_app_db
}

pg_stop() {
  PG_BIN="$(find_pg_bin)"
  if pg_running; then
    log "stopping Postgres"
    as_pg "$PG_BIN/pg_ctl" stop -D "$PGDATA" -m fast -w -t 60 -s
  fi
}

# --- Redis -------------------------------------------------------------------
# A process that exited but was not yet reaped (containers whose init is slow
# to reap) still passes `kill -0`; treat such zombies as gone.
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  ! grep -q '^[^)]*) Z' "/proc/$1/stat" 2>/dev/null
}

redis_pid() {
  # Prints the pid of *our* redis (from our pidfile) if it is alive.
  local pid
  [ -f "$REDIS_PID" ] || return 1
  pid="$(cat "$REDIS_PID" 2>/dev/null || true)"
  [ -n "$pid" ] && alive "$pid" || return 1
  # Guard against a recycled pid after a reboot or machine restore.
  grep -q '^redis-server' "/proc/$pid/comm" 2>/dev/null || return 1
  echo "$pid"
}

redis_ping() {
  [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null || true)" = "PONG" ]
}

redis_start() {
  command -v redis-server >/dev/null || die "redis-server not found; run: bash infra/install-deps.sh"
  if redis_pid >/dev/null; then
    log "Redis already running (pid $(redis_pid))"
    return
  fi
  if redis_ping; then
    die "something else already answers on 127.0.0.1:$REDIS_PORT; set UPLINK_REDIS_PORT"
  fi
  rm -f "$REDIS_PID"
  mkdir -p "$REDIS_DIR"
  local persistence=(--appendonly yes)
  if [ "$REDIS_EPHEMERAL" = "1" ]; then
    persistence=(--save '' --appendonly no)
  fi
  log "starting Redis on 127.0.0.1:$REDIS_PORT (ephemeral=$REDIS_EPHEMERAL)"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" \
    --protected-mode yes --dir "$REDIS_DIR" \
    --pidfile "$REDIS_PID" --logfile "$REDIS_LOG" "${persistence[@]}"
  local i
  for i in $(seq 1 100); do
    redis_ping && return
    sleep 0.1
  done
  tail -n 30 "$REDIS_LOG" >&2 || true
  die "Redis did not answer PING on port $REDIS_PORT (log: $REDIS_LOG)"
}

redis_stop() {
  local pid i
  pid="$(redis_pid)" || { rm -f "$REDIS_PID"; return 0; }
  log "stopping Redis"
  # AOF (when enabled) is flushed on shutdown; NOSAVE skips the RDB dump.
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  for i in $(seq 1 100); do
    alive "$pid" || { rm -f "$REDIS_PID"; return 0; }
    sleep 0.1
  done
  # Not answering on the configured port (e.g. started with another one):
  # fall back to the pidfile.
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do
    alive "$pid" || break
    sleep 0.1
  done
  if alive "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
  rm -f "$REDIS_PID"
}

# --- commands ----------------------------------------------------------------
# The data key encrypts customers' recoverable passwords; made once per data
# dir, readable only by its owner. Losing it loses those passwords.
ensure_data_key() {
  local key="$DATA_DIR/data.key"
  [ -s "$key" ] && return 0
  mkdir -p "$DATA_DIR"
  ( umask 077; head -c 32 /dev/urandom | base64 >"$key.tmp" && mv "$key.tmp" "$key" )
  log "created data key $key"
}

print_urls() {
  echo "UPLINK_DATA_KEY_FILE=$DATA_DIR/data.key"
  echo "UPLINK_DATABASE_URL=postgres://$APP_ROLE:$APP_PASSWORD@127.0.0.1:$PG_PORT/$APP_DB"
  echo "UPLINK_REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
}

cmd_status() {
  local rc=0 pid
  PG_BIN="$(find_pg_bin)"
  if pg_running; then
    echo "postgres: running on 127.0.0.1:$PG_PORT (data $PGDATA)"
  else
    echo "postgres: stopped (data $PGDATA)"
    rc=3
  fi
  if pid="$(redis_pid)"; then
    echo "redis:    running on 127.0.0.1:$REDIS_PORT (pid $pid)"
  else
    echo "redis:    stopped"
    rc=3
  fi
  return "$rc"
}

case "${1:-}" in
  start)
    ensure_data_key
    pg_start
    redis_start
    print_urls
    ;;
  stop)
    redis_stop
    pg_stop
    ;;
  status)
    cmd_status  # exit status 3 when either service is down
    ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
