#!/usr/bin/env bash
# make test: the pure tier always, the Odoo tier whenever an Odoo 18.0 tree is found.
# The last lines say what ran:  "pure: N passed, N failed"  and  "odoo: N passed, N failed".
# VIP_TEST_TAGS narrows the Odoo tier while developing (e.g. /vip_loyalty:TestPoints); CI runs them all.
source "$(dirname "$0")/common.sh"
source "$ROOT/tools/odoo_conf.sh"
set +e
OUT="$STATE/test"
mkdir -p "$OUT"
bash "$ROOT/tools/venv.sh" || { echo "pure: 0 passed, 1 failed"; echo "odoo: not run (virtualenv setup failed)"; exit 1; }

# ---------------------------------------------------------------- pure tier
pure_pass=0; pure_fail=0
log "pure tier: pytest (engine, hypothesis)"
"$PY" -m pytest -q -p no:cacheprovider -p no:odoo "$ROOT/tests" 2>&1 | tee "$OUT/pytest.log" | tail -n 3
summary="$(tail -n 1 "$OUT/pytest.log")"
p=$(grep -oE '[0-9]+ passed' <<<"$summary" | grep -oE '[0-9]+'); f=$(grep -oE '[0-9]+ (failed|errors?)' <<<"$summary" | awk '{s += $1} END {print s + 0}')
pure_pass=$((pure_pass + ${p:-0})); pure_fail=$((pure_fail + ${f:-0}))
[ -z "$p" ] && pure_fail=$((pure_fail + 1))

log "pure tier: ruff"
if (cd "$ROOT" && "$VENV/bin/ruff" check . ); then pure_pass=$((pure_pass + 1)); else pure_fail=$((pure_fail + 1)); fi

log "pure tier: pylint-odoo (OCA mandatory checks)"
if (cd "$ROOT" && "$VENV/bin/pylint" --rcfile=.pylintrc-mandatory vip_loyalty ); then
  pure_pass=$((pure_pass + 1)); else pure_fail=$((pure_fail + 1)); fi

# ---------------------------------------------------------------- Odoo tier
odoo_line=""
odoo_fail=0
if ! have_odoo; then
  odoo_line="odoo: skipped (no Odoo 18.0 source found at $ODOO_SRC; set ODOO_SRC)"
else
  if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null && ! command -v google-chrome >/dev/null; then
    log "Chromium is missing; browser tours need it"
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi
  fi
  bash "$ROOT/tools/pg.sh" start
  write_odoo_conf "${VIP_TEST_HTTP_PORT:-8169}"
  DB="vip_test"
  bash "$ROOT/tools/pg.sh" psql -d postgres -qc "DROP DATABASE IF EXISTS $DB" >/dev/null
  ODOO=("$PY" "$ODOO_SRC/odoo-bin" -c "$STATE/odoo.conf" -d "$DB" --stop-after-init)
  log "Odoo tier: installing point_of_sale + vip_loyalty into a fresh database and running its tests"
  "${ODOO[@]}" -i vip_loyalty --test-enable --test-tags "${VIP_TEST_TAGS:-/vip_loyalty}" --log-level=info \
    > "$OUT/odoo.log" 2>&1
  rc=$?
  grep -E "(ERROR|CRITICAL|FAIL:|skipped .* : |tests when loading database|vip_loyalty.tests.*: (Starting|running))" "$OUT/odoo.log" | tail -n 60
  stats="$(grep -oE '[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests when loading' "$OUT/odoo.log" | tail -n 1)"
  failed=$(awk '{print $1}' <<<"$stats"); errors=$(awk '{print $3}' <<<"$stats"); total=$(awk '{print $6}' <<<"$stats")
  skipped=$(grep -cE "skipped .* : " "$OUT/odoo.log")
  tours=$(grep -cE "vip_loyalty.*(tour|Tour).*(succeeded|test successful)|tour [a-z_]+ succeeded" "$OUT/odoo.log")
  if [ -z "$stats" ]; then
    log "Odoo did not report test results (exit $rc); see $OUT/odoo.log"
    tail -n 40 "$OUT/odoo.log"
    odoo_pass=0; odoo_fail=1
  else
    odoo_fail=$((failed + errors + skipped))
    odoo_pass=$((total - failed - errors - skipped))
    [ "$skipped" -gt 0 ] && log "$skipped test(s) were skipped; a skipped test or tour counts as a failure"
    [ "$rc" -ne 0 ] && [ "$odoo_fail" -eq 0 ] && odoo_fail=1
    grep -qE "ERROR .*odoo\.(modules|sql_db|tools\.convert)" "$OUT/odoo.log" && { log "errors while loading the module"; odoo_fail=$((odoo_fail + 1)); }
  fi
  # Long jobs: on a copy of the test database, a server with --workers and a low time limit
  # runs a history rebuild longer than that limit to the end (tools/workers_check.py).
  WDB="${DB}_workers"
  http=$(( ${VIP_TEST_HTTP_PORT:-8169} + 10 ))
  bash "$ROOT/tools/pg.sh" psql -d postgres -qc "DROP DATABASE IF EXISTS $WDB" >/dev/null
  if bash "$ROOT/tools/pg.sh" psql -d postgres -qc "CREATE DATABASE $WDB TEMPLATE $DB" >/dev/null \
     && timeout 900 "$PY" "$ROOT/tools/workers_check.py" "$ODOO_SRC" "$STATE/odoo.conf" "$WDB" \
          --http-port "$http" --gevent-port $((http + 1)) > "$OUT/workers.log" 2>&1; then
    odoo_pass=$((odoo_pass + 1)); log "long jobs under --workers: ok"; sed 's/^/    /' "$OUT/workers.log"
  else
    odoo_fail=$((odoo_fail + 1)); log "long jobs under --workers: FAILED"; tail -n 40 "$OUT/workers.log"
  fi
  bash "$ROOT/tools/pg.sh" psql -d postgres -qc "DROP DATABASE IF EXISTS $WDB" >/dev/null
  rm -rf "$STATE/filestore/filestore/$WDB"
  # The night in shards: two cron threads share one night, each member once, as one thread does.
  NDB="${DB}_night"
  bash "$ROOT/tools/pg.sh" psql -d postgres -qc "DROP DATABASE IF EXISTS $NDB" >/dev/null
  if bash "$ROOT/tools/pg.sh" psql -d postgres -qc "CREATE DATABASE $NDB TEMPLATE $DB" >/dev/null \
     && timeout 900 "$PY" "$ROOT/tools/night_check.py" "$ODOO_SRC" "$STATE/odoo.conf" "$NDB" \
          --http-port $((http + 2)) > "$OUT/night.log" 2>&1; then
    odoo_pass=$((odoo_pass + 1)); log "night in shards, two cron workers: ok"; sed 's/^/    /' "$OUT/night.log"
  else
    odoo_fail=$((odoo_fail + 1)); log "night in shards, two cron workers: FAILED"; tail -n 40 "$OUT/night.log"
  fi
  bash "$ROOT/tools/pg.sh" psql -d postgres -qc "DROP DATABASE IF EXISTS $NDB" >/dev/null
  rm -rf "$STATE/filestore/filestore/$NDB" "$STATE/filestore/filestore/${NDB}_1" "$STATE/filestore/filestore/${NDB}_2"
  # Lifecycle: upgrade twice, then uninstall, on the same database.
  for step in upgrade-1 upgrade-2; do
    if "${ODOO[@]}" -u vip_loyalty --log-level=warn > "$OUT/$step.log" 2>&1 && ! grep -qE " (ERROR|CRITICAL) " "$OUT/$step.log"; then
      odoo_pass=$((odoo_pass + 1)); log "lifecycle $step: ok"
    else
      odoo_fail=$((odoo_fail + 1)); log "lifecycle $step: FAILED"; tail -n 30 "$OUT/$step.log"
    fi
  done
  if "$PY" "$ROOT/tools/uninstall_check.py" "$ODOO_SRC" "$STATE/odoo.conf" "$DB" > "$OUT/uninstall.log" 2>&1; then
    odoo_pass=$((odoo_pass + 1)); log "lifecycle uninstall: ok"
  else
    odoo_fail=$((odoo_fail + 1)); log "lifecycle uninstall: FAILED"; tail -n 30 "$OUT/uninstall.log"
  fi
  [ -n "${VIP_KEEP_PG:-}" ] || bash "$ROOT/tools/pg.sh" stop
  odoo_line="odoo: ${odoo_pass} passed, ${odoo_fail} failed"
fi

echo "pure: ${pure_pass} passed, ${pure_fail} failed"
echo "$odoo_line"
[ "$pure_fail" -eq 0 ] && [ "$odoo_fail" -eq 0 ]
