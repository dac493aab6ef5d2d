#!/usr/bin/env bash
# Odoo tests through pytest-odoo, on a prepared database (vip_pytest): pick tests by name.
#   make pytest T='vip_loyalty/tests/test_points.py::TestPoints::test_559_earns_55_with_explanation'
# The database is created with vip_loyalty and demo data the first time, and updated when the
# module's files changed since; browser tours run too (--odoo-http starts Odoo's HTTP server).
source "$(dirname "$0")/common.sh"
source "$ROOT/tools/odoo_conf.sh"
require_odoo
DB="${VIP_PYTEST_DB:-vip_pytest}"
bash "$ROOT/tools/venv.sh"
bash "$ROOT/tools/pg.sh" start
write_odoo_conf "${VIP_TEST_HTTP_PORT:-8169}"
ODOO=("$PY" "$ODOO_SRC/odoo-bin" -c "$STATE/odoo.conf" -d "$DB" --stop-after-init --log-level=warn)
stamp="$STATE/$DB.module.sha"
sum="$(cd "$ROOT" && find vip_loyalty -type f ! -name '*.pyc' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
if ! db_exists "$DB"; then
  log "preparing database $DB: point_of_sale, vip_loyalty and demo data (a few minutes, once)"
  "${ODOO[@]}" -i vip_loyalty || exit 1
elif [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
  log "updating vip_loyalty in $DB to this checkout"
  "${ODOO[@]}" -u vip_loyalty || exit 1
fi
echo "$sum" > "$stamp"
cd "$ROOT"
# Odoo is not an installed package: its tree goes on the path for the plugin's `import odoo`.
PYTHONPATH="$ODOO_SRC${PYTHONPATH:+:$PYTHONPATH}" exec "$PY" -m pytest -p no:cacheprovider \
  --odoo-config="$STATE/odoo.conf" --odoo-database="$DB" --odoo-http "${@:-vip_loyalty/tests}"
