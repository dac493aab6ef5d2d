#!/usr/bin/env bash
# The main job: Odoo on http://localhost:8069 with point_of_sale, vip_loyalty and demo data.
source "$(dirname "$0")/common.sh"
source "$ROOT/tools/odoo_conf.sh"
require_odoo
DB="${VIP_DB:-vip_demo}"
bash "$ROOT/tools/venv.sh"
bash "$ROOT/tools/pg.sh" start
write_odoo_conf 8069
if ! db_exists "$DB"; then
  log "creating database $DB with point_of_sale, vip_loyalty and demo data (a few minutes)"
  "$PY" "$ODOO_SRC/odoo-bin" -c "$STATE/odoo.conf" -d "$DB" -i point_of_sale,vip_loyalty \
    --stop-after-init --log-level=warn
else
  # An existing database gets the checked-out version of the module (new fields, views, data).
  log "updating vip_loyalty in $DB to this checkout"
  "$PY" "$ODOO_SRC/odoo-bin" -c "$STATE/odoo.conf" -d "$DB" -u vip_loyalty --stop-after-init --log-level=warn
fi
log "Odoo is starting on http://localhost:8069 (database $DB, login admin / admin). Ctrl-C stops it; 'make stop' stops PostgreSQL."
exec "$PY" "$ODOO_SRC/odoo-bin" -c "$STATE/odoo.conf" -d "$DB" --db-filter="^$DB\$"
