#!/usr/bin/env bash
# Private PostgreSQL cluster for this checkout: data in .state/, socket only, never as root.
#   tools/pg.sh start | stop | status | psql [args]
source "$(dirname "$0")/common.sh"
for d in /usr/lib/postgresql/*/bin; do PATH="$d:$PATH"; done
export PATH

as_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u "$PGUSER_OS" -- "$@"
  else
    "$@"
  fi
}

ensure_os_user() {
  [ "$(id -u)" = 0 ] || return 0
  id "$PGUSER_OS" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PGUSER_OS"
}

start() {
  command -v initdb >/dev/null || { log "PostgreSQL server binaries (initdb) not found; install postgresql-15"; exit 1; }
  ensure_os_user
  mkdir -p "$STATE" "$PGDATA" "$PGSOCK"
  [ "$(id -u)" = 0 ] && chown "$PGUSER_OS" "$PGDATA" "$PGSOCK"
  chmod 700 "$PGDATA"
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    log "initialising PostgreSQL cluster in $PGDATA"
    as_pg initdb -D "$PGDATA" -U "$DB_USER" --auth=trust -E UTF8 --locale=C.UTF-8 >"$STATE/initdb.log" 2>&1 \
      || { cat "$STATE/initdb.log" >&2; exit 1; }
  fi
  if as_pg pg_ctl -D "$PGDATA" status >/dev/null 2>&1; then
    return 0
  fi
  log "starting PostgreSQL (socket $PGSOCK, port $PGPORT, no TCP)"
  touch "$STATE/postgres.log"; [ "$(id -u)" = 0 ] && chown "$PGUSER_OS" "$STATE/postgres.log"
  as_pg pg_ctl -D "$PGDATA" -l "$STATE/postgres.log" -w -t 60 \
    -o "-k $PGSOCK -p $PGPORT -c listen_addresses='' -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
}

stop() {
  if [ -f "$PGDATA/PG_VERSION" ] && as_pg pg_ctl -D "$PGDATA" status >/dev/null 2>&1; then
    as_pg pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null && log "PostgreSQL stopped"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) as_pg pg_ctl -D "$PGDATA" status ;;
  psql) shift; psql -h "$PGSOCK" -p "$PGPORT" -U "$DB_USER" "$@" ;;
  *) echo "usage: $0 start|stop|status|psql" >&2; exit 2 ;;
esac
