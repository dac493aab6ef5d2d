#!/usr/bin/env bash
# The main job: Odoo on http://localhost:8069 with point_of_sale, vip_loyalty and demo data.
source "$(dirname "$0")/common.sh"
source "$ROOT/tools/odoo_conf.sh"
if ! have_odoo && [ ! -e "$ODOO_SRC" ]; then
  # A newcomer's first run: fetch the official tree, saying so first. Tests never do this.
  log "No Odoo 18.0 tree at $ODOO_SRC: fetching the official 18.0 branch there (git clone --depth 1, about 1 GB)"
  git clone --depth 1 --branch 18.0 https://github.com/odoo/odoo.git "$ODOO_SRC" \
    || { log "could not fetch Odoo; get it as README.md says and set ODOO_SRC"; exit 1; }
fi
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
