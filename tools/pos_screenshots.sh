#!/usr/bin/env bash
# Takes docs/pos_member.png and docs/pos_receipt.png in headless Chromium: a POS tour that
# pauses at the recognised member and at the receipt (vip_loyalty/tests/test_pos_screenshots.py).
# Usage: VIP_PG_PORT=... bash tools/pos_screenshots.sh [database]   (the database must have vip_loyalty)
source "$(dirname "$0")/common.sh"
source "$ROOT/tools/odoo_conf.sh"
DB="${1:-vip_shots}"
bash "$ROOT/tools/pg.sh" start
write_odoo_conf "${VIP_TEST_HTTP_PORT:-8169}"
mkdir -p "$ROOT/docs"
if ! bash "$ROOT/tools/pg.sh" psql -d "$DB" -qc "SELECT 1" >/dev/null 2>&1; then
  "$PY" "$ODOO_SRC/odoo-bin" -c "$STATE/odoo.conf" -d "$DB" -i vip_loyalty --stop-after-init --log-level=warn
fi
VIP_SCREENSHOT_DIR="$ROOT/docs" "$PY" "$ODOO_SRC/odoo-bin" -c "$STATE/odoo.conf" -d "$DB" -u vip_loyalty \
  --test-enable --test-tags vip_screenshots --stop-after-init --log-level=info > "$STATE/screenshots.log" 2>&1 || true
grep -E "(ERROR|FAIL|tests when)" "$STATE/screenshots.log" | tail -n 5 || true
ls -l "$ROOT/docs"/pos_*.png "$ROOT/docs"/whatif_results.png
