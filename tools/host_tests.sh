#!/usr/bin/env bash
# make host-tests: Odoo's own POS tests twice, on fresh databases with demo data, on the private
# cluster and with the same options: once with point_of_sale, pos_loyalty, pos_hr and pos_restaurant
# alone ("plain"), once with vip_loyalty added ("vip"). Prints both result lines and fails when the
# runs differ: per test, the ids that failed, errored or were skipped (a skipped test or tour counts
# as a failure), not only the counts.
#   HOST_TEST_TAGS   Odoo --test-tags for both runs (default below)
#   HOST_TEST_ONLY   plain | vip: run one side only and compare with the other side's last log
#   VIP_KEEP_PG=1    leave PostgreSQL running afterwards (databases host_plain / host_vip stay)
source "$(dirname "$0")/common.sh"
source "$ROOT/tools/odoo_conf.sh"
set +e
require_odoo
OUT="$STATE/host-tests"
mkdir -p "$OUT"
HOST_MODULES="point_of_sale,pos_loyalty,pos_hr,pos_restaurant"
# point_of_sale's own flows: 90 tests, ~25 min a side here. Add ,/pos_loyalty,/pos_hr,/pos_restaurant when time allows.
DEFAULT_TAGS="/point_of_sale:TestPoSBasicConfig,/point_of_sale:TestPointOfSaleFlow,/point_of_sale:TestUi"
TAGS="${HOST_TEST_TAGS:-$DEFAULT_TAGS}"

bash "$ROOT/tools/venv.sh" || exit 1
command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null \
  || { log "Chromium is missing: the tours would be skipped"; exit 1; }
"$PY" -c "import websocket" 2>/dev/null || { log "websocket-client is missing: the tours would be skipped"; exit 1; }

# No network: Odoo's test framework already refuses outgoing requests (BlockedRequest); the
# proxy variables send anything else (Chromium included) to a closed local port.
export http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost

bash "$ROOT/tools/pg.sh" start || exit 1
write_odoo_conf "${VIP_TEST_HTTP_PORT:-8169}"

run_side() {  # run_side plain|vip modules
  local side="$1" modules="$2" db="host_$1"
  bash "$ROOT/tools/pg.sh" psql -d postgres -qc "DROP DATABASE IF EXISTS $db" >/dev/null
  rm -rf "$STATE/filestore/filestore/$db"
  log "host-tests $side: installing $modules into $db with --test-tags $TAGS"
  local start=$SECONDS
  "$PY" "$ODOO_SRC/odoo-bin" -c "$STATE/odoo.conf" -d "$db" --stop-after-init \
    -i "$modules" --test-enable --test-tags "$TAGS" --log-level=info > "$OUT/$side.log" 2>&1
  echo "$?" > "$OUT/$side.rc"
  log "host-tests $side: done in $((SECONDS - start)) s (exit $(cat "$OUT/$side.rc")), log $OUT/$side.log"
}

# Failing ids, one a line: "FAIL module:Class.test", "ERROR ...", "SKIP ...".
bad_ids() {
  sed -nE \
    -e 's/^.* (odoo\.addons\.[a-z_]+)\.tests\.[a-z_0-9]+: (FAIL|ERROR): (.+)$/\2 \1:\3/p' \
    -e 's/^.* (odoo\.addons\.[a-z_]+)\.tests\.[a-z_0-9]+: skipped ([^ ]+) : .*$/SKIP \1:\2/p' "$1" \
    | sed -E 's/odoo\.addons\.//' | sort -u
}

result_line() {  # result_line side
  local log="$OUT/$1.log" stats skipped
  stats="$(grep -oE '[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests' "$log" | tail -n 1)"
  skipped=$(bad_ids "$log" | grep -c '^SKIP')
  if [ -z "$stats" ]; then
    echo "host $1: no test results (exit $(cat "$OUT/$1.rc" 2>/dev/null)); see $log"
  else
    echo "host $1: $stats, $skipped skipped"
  fi
}

case "${HOST_TEST_ONLY:-}" in
  plain) run_side plain "$HOST_MODULES" ;;
  vip) run_side vip "$HOST_MODULES,vip_loyalty" ;;
  *) run_side plain "$HOST_MODULES"; run_side vip "$HOST_MODULES,vip_loyalty" ;;
esac
[ -n "${VIP_KEEP_PG:-}" ] || bash "$ROOT/tools/pg.sh" stop

for side in plain vip; do
  log "host-tests $side: per-module test time"
  grep -E "odoo\.tests\.stats: [a-z_]+: [0-9]+ tests" "$OUT/$side.log" | sed -E 's/^.*odoo\.tests\.stats: /    /' >&2
  bad_ids "$OUT/$side.log" > "$OUT/$side.bad"
  [ -s "$OUT/$side.bad" ] && { log "host-tests $side: failing, erroring or skipped"; sed 's/^/    /' "$OUT/$side.bad" >&2; }
done
plain_line="$(result_line plain)"; vip_line="$(result_line vip)"
differ=0
if ! diff -q "$OUT/plain.bad" "$OUT/vip.bad" >/dev/null; then
  differ=1
  log "only with vip_loyalty:";    comm -13 "$OUT/plain.bad" "$OUT/vip.bad" | sed 's/^/    /' >&2
  log "only without vip_loyalty:"; comm -23 "$OUT/plain.bad" "$OUT/vip.bad" | sed 's/^/    /' >&2
fi
[ "${plain_line#host plain: }" = "${vip_line#host vip: }" ] || differ=1
grep -q "no test results" <<<"$plain_line$vip_line" && differ=1
echo "$plain_line"
echo "$vip_line"
if [ "$differ" -eq 0 ]; then echo "host-tests: same results with and without vip_loyalty"; else echo "host-tests: DIFFERENT with vip_loyalty"; fi
[ "$differ" -eq 0 ]
