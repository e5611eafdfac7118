#!/usr/bin/env bash
# Customer import at volume: a CSV of ROWS valid monthly customers (each with a MAC binding) for one
# tenant, uploaded to a release server (API role), and timed end to end:
#   1. a dry run (every row read and checked, nothing written);
#   2. the import (202, then written in the background; timed until GET /api/v1/imports/{id} says done);
#   3. the same file again (every row skipped as existing);
#   4. the tenant's BTRC report (its customers are the imported ones) as CSV, XLSX and JSON.
# Everything runs on private services in .data/bench-import, removed again on exit.
#
#   bash bench/import.sh               # or: make bench-import
#   ROWS=20000 bash bench/import.sh
#
# Environment (defaults in brackets):
#   CONFIG   build configuration   [release]
#   ROWS     rows in the file      [100000]
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT_DIR"

CONFIG="${CONFIG:-release}"
ROWS="${ROWS:-100000}"
LOG_LEVEL="${BENCH_LOG_LEVEL:-info}"
PG_PORT="${BENCH_PG_PORT:-55440}"
REDIS_PORT="${BENCH_REDIS_PORT:-56387}"
HTTP_PORT="${BENCH_HTTP_PORT:-18086}"
DATA_DIR="$ROOT_DIR/.data/bench-import"
# shellcheck source=bench/lib.sh
. "$ROOT_DIR/bench/lib.sh"

COMMAND_LINE="CONFIG=$CONFIG ROWS=$ROWS bash bench/import.sh"

sql() { PGPASSWORD=uplink psql -h 127.0.0.1 -p "$PG_PORT" -U uplink -d uplink -XAtq -c "$1"; }
now() { date +%s.%N; }
seconds() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$2"; }

require_tools curl python3 psql
ensure_binary
install_traps
start_fresh_services

phase "Migrating; one tenant with the demo catalog (bench-001)"
"$BIN" migrate
"$BIN" seed --customers 1 --tenants 1 >/dev/null
FILE="$DATA_DIR/import.csv"
python3 - "$FILE" "$ROWS" <<'PY'
import sys
path, rows = sys.argv[1], int(sys.argv[2])
with open(path, "w", encoding="utf-8", newline="") as f:
    f.write("username,password,full_name,phone,email,package,billing_profile,zone,address,type,mac\r\n")
    for n in range(1, rows + 1):
        f.write(f"imp-{n:07d},pass-{n:07d},Customer {n},017{n:08d},c{n}@example.com,Home 20 Mbps monthly,"
                f"\"Monthly, cycle day 1\",Mirpur-10,\"House {n % 200}, Road {n % 30}\",pppoe_monthly,"
                f"02:00:{(n >> 24) & 255:02X}:{(n >> 16) & 255:02X}:{(n >> 8) & 255:02X}:{n & 255:02X}\r\n")
PY
echo "file: $ROWS rows, $(du -h "$FILE" | cut -f1)"

start_server
read -r TOKEN _ < <(login bench-001-owner bench-001-password) || true
[ -n "$TOKEN" ] || die "login failed"

upload() {
  curl -sS --max-time 600 -X POST "$BASE_URL/api/v1/customers/import$1" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: text/csv' --data-binary "@$FILE"
}
field() { python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }
wait_done() {
  while :; do
    state="$(curl -sS -H "Authorization: Bearer $TOKEN" "$BASE_URL/api/v1/imports/$1" | field state)"
    [ "$state" != "importing" ] && break
    sleep 0.1
  done
}

phase "1. Dry run"
STARTED="$(now)"
DRY="$(upload '?dry_run=true')"
DRY_SECONDS="$(seconds "$STARTED" "$(now)")"
echo "dry run: $DRY_SECONDS s; valid $(printf '%s' "$DRY" | field valid), errors $(printf '%s' "$DRY" | field error_count)"

phase "2. The import"
STARTED="$(now)"
RUN="$(upload '')"
ID="$(printf '%s' "$RUN" | field id)"
ACCEPTED_SECONDS="$(seconds "$STARTED" "$(now)")"
wait_done "$ID"
IMPORT_SECONDS="$(seconds "$STARTED" "$(now)")"
FINAL="$(curl -sS -H "Authorization: Bearer $TOKEN" "$BASE_URL/api/v1/imports/$ID")"
TENANT_ID="$(sql "SELECT id FROM platform.tenants WHERE slug = 'bench-001'")"
IN_TABLE="$(sql "SELECT count(*) FROM t_$TENANT_ID.customers WHERE username LIKE 'imp-%'")"
DEVICES="$(sql "SELECT count(*) FROM t_$TENANT_ID.customer_devices d JOIN t_$TENANT_ID.customers c ON c.id = d.customer_id WHERE c.username LIKE 'imp-%'")"
echo "import: answered (202) after $ACCEPTED_SECONDS s, done after $IMPORT_SECONDS s; state $(printf '%s' "$FINAL" | field state), imported $(printf '%s' "$FINAL" | field imported); customers in the table: $IN_TABLE, devices: $DEVICES"

phase "3. The same file again"
STARTED="$(now)"
AGAIN="$(upload '')"
AGAIN_SECONDS="$(seconds "$STARTED" "$(now)")"
echo "again: $AGAIN_SECONDS s; imported $(printf '%s' "$AGAIN" | field imported), skipped_existing $(printf '%s' "$AGAIN" | field skipped_existing)"

phase "4. The BTRC report of the tenant (its customers: the import's and the seeded one)"
FROM_DATE="$(date -u -d '30 days ago' +%Y-%m-%d)"
TO_DATE="$(TZ=Asia/Dhaka date +%Y-%m-%d)"
btrc() {
  local started
  started="$(now)"
  curl -sS --max-time 600 -o "$DATA_DIR/btrc.$1" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
    "$BASE_URL/api/v1/reports/btrc?from=$FROM_DATE&to=$TO_DATE&format=$1" >"$DATA_DIR/btrc.$1.status"
  seconds "$started" "$(now)"
}
BTRC_CSV="$(btrc csv)"
BTRC_XLSX="$(btrc xlsx)"
BTRC_JSON="$(btrc json)"
echo "csv: $BTRC_CSV s (HTTP $(cat "$DATA_DIR/btrc.csv.status"), $(($(wc -l <"$DATA_DIR/btrc.csv") - 1)) rows, $(du -h "$DATA_DIR/btrc.csv" | cut -f1))"
echo "xlsx: $BTRC_XLSX s (HTTP $(cat "$DATA_DIR/btrc.xlsx.status"), $(du -h "$DATA_DIR/btrc.xlsx" | cut -f1)); json: $BTRC_JSON s (HTTP $(cat "$DATA_DIR/btrc.json.status"))"

phase "Where the requests' time went (server log)"
grep '"import staged"' "$SERVER_LOG" | python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    print("import {}: {} rows; read {}, checked {}, loaded (COPY) {}, database checks {}".format(
        e["import"], e["rows"], e["read"], e["checked"], e["loaded"], e["database_checks"]))
' || true

phase "Summary"
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- command: \`$COMMAND_LINE\`"
echo "| what | target | result |"
echo "|---|---|---|"
echo "| dry run of $ROWS rows | ≤ 10 s | $DRY_SECONDS s |"
echo "| import of $ROWS rows, upload to done | ≤ 20 s | $IMPORT_SECONDS s (202 after $ACCEPTED_SECONDS s) |"
echo "| the same file again (all skipped) | | $AGAIN_SECONDS s |"
echo "| BTRC report, CSV, tenant of $((ROWS + 1)) customers | ≤ 5 s | $BTRC_CSV s |"
echo "| BTRC report, XLSX / JSON | | $BTRC_XLSX / $BTRC_JSON s |"
