# Writes .state/odoo.conf for the private cluster. Sourced after common.sh.
write_odoo_conf() {
  local http_port="${1:-8069}"
  mkdir -p "$STATE/filestore"
  cat > "$STATE/odoo.conf" <<CONF
[options]
addons_path = $ODOO_SRC/addons,$ODOO_SRC/odoo/addons,$ROOT
db_host = $PGSOCK
db_port = $PGPORT
db_user = $DB_USER
db_password = False
data_dir = $STATE/filestore
admin_passwd = admin
http_interface = 127.0.0.1
http_port = $http_port
list_db = True
CONF
}

require_odoo() {
  if ! have_odoo; then
    log "No Odoo 18.0 source tree at ODOO_SRC=$ODOO_SRC."
    log "Get the official one:  git clone --depth 1 --branch 18.0 https://github.com/odoo/odoo.git \"$DEFAULT_ODOO_SRC\""
    log "(or run: make odoo), then set ODOO_SRC if you put it elsewhere."
    exit 1
  fi
}

db_exists() {
  bash "$ROOT/tools/pg.sh" psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'" | grep -q 1
}
