#!/usr/bin/env bash
# Takes the back-office pictures of the README's user guide (docs/backoffice_*.png) on the demo
# database of `make run` (vip_loyalty/tests/test_backoffice_screenshots.py), in English and in Chinese.
# Usage: VIP_PG_PORT=... bash tools/backoffice_screenshots.sh [database]   (default: vip_demo)
source "$(dirname "$0")/common.sh"
source "$ROOT/tools/odoo_conf.sh"
require_odoo
DB="${1:-${VIP_DB:-vip_demo}}"
bash "$ROOT/tools/pg.sh" start
write_odoo_conf "${VIP_TEST_HTTP_PORT:-8169}"
mkdir -p "$ROOT/docs"
# The Chinese pictures need a CJK font in headless Chromium.
if ! fc-list 2>/dev/null | grep -qi "wqy\|noto.*cjk"; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null
  else log "no CJK font: the Chinese pictures will show boxes (install fonts-wqy-microhei)"; fi
fi
if ! db_exists "$DB"; then
  log "creating the demo database $DB (as make run does)"
  "$PY" "$ODOO_SRC/odoo-bin" -c "$STATE/odoo.conf" -d "$DB" -i point_of_sale,vip_loyalty --stop-after-init --log-level=warn
fi
VIP_SCREENSHOT_DIR="$ROOT/docs" "$PY" "$ODOO_SRC/odoo-bin" -c "$STATE/odoo.conf" -d "$DB" \
  --test-enable --test-tags vip_backoffice_screenshots --stop-after-init --log-level=info \
  > "$STATE/backoffice_screenshots.log" 2>&1 || true
grep -E "(ERROR|FAIL|tests when)" "$STATE/backoffice_screenshots.log" | tail -n 5 || true
ls -l "$ROOT/docs"/backoffice_*.png
