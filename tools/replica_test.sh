#!/usr/bin/env bash
# make replica-test: a streaming read replica of the private cluster (pg_basebackup -R) on the next
# port, then tools/replica_check.py renders the reports with db_replica_host set and compares both
# servers' statistics. Uses a copy of the test database (make test with VIP_KEEP_PG=1 leaves it),
# else installs one. The replica is stopped and removed at the end.
source "$(dirname "$0")/common.sh"
source "$ROOT/tools/odoo_conf.sh"
for d in /usr/lib/postgresql/*/bin; do PATH="$d:$PATH"; done
set -e
require_odoo
bash "$ROOT/tools/pg.sh" start
write_odoo_conf "${VIP_TEST_HTTP_PORT:-8169}"
DB=vip_replica
REPLICA="$STATE/replica"
RPORT=$((PGPORT + 100))
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u "$PGUSER_OS" -- "$@"; else "$@"; fi; }
stop_replica() { as_pg pg_ctl -D "$REPLICA" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$REPLICA"; }
trap stop_replica EXIT
installed() { bash "$ROOT/tools/pg.sh" psql -d "$DB" -tAc \
  "SELECT 1 FROM ir_module_module WHERE name = 'vip_loyalty' AND state = 'installed'" 2>/dev/null | grep -q 1; }
if db_exists "$DB" && installed; then
  log "reusing $DB (vip_loyalty installed)"
else
bash "$ROOT/tools/pg.sh" psql -d postgres -qc "DROP DATABASE IF EXISTS $DB" >/dev/null
# A copy of the test database when there is one (make test leaves it with VIP_KEEP_PG=1; its last
# step uninstalls the module, so it is installed again here), else a fresh database.
db_exists vip_test && { bash "$ROOT/tools/pg.sh" psql -d postgres -qc "CREATE DATABASE $DB TEMPLATE vip_test" \
  >/dev/null 2>&1 || log "vip_test is in use: a fresh database instead"; }
log "installing point_of_sale + vip_loyalty into $DB"
"$PY" "$ODOO_SRC/odoo-bin" -c "$STATE/odoo.conf" -d "$DB" -i vip_loyalty --stop-after-init --log-level=warn
fi
stop_replica
log "pg_basebackup -R: streaming replica of the private cluster in $REPLICA"
mkdir -p "$REPLICA"; chmod 700 "$REPLICA"; [ "$(id -u)" = 0 ] && chown "$PGUSER_OS" "$REPLICA"
as_pg pg_basebackup -h "$PGSOCK" -p "$PGPORT" -U "$DB_USER" -D "$REPLICA" -R -X stream -c fast
touch "$STATE/replica.log"; [ "$(id -u)" = 0 ] && chown "$PGUSER_OS" "$STATE/replica.log"
as_pg pg_ctl -D "$REPLICA" -l "$STATE/replica.log" -w -t 60 \
  -o "-k $PGSOCK -p $RPORT -c listen_addresses='' -c hot_standby=on -c max_connections=200" start >/dev/null
log "replica started on port $RPORT"
"$PY" "$ROOT/tools/replica_check.py" "$ODOO_SRC" "$STATE/odoo.conf" "$DB" --replica-port "$RPORT"
bash "$ROOT/tools/pg.sh" psql -d postgres -qc "DROP DATABASE IF EXISTS $DB" >/dev/null
