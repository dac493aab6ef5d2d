# Shared settings for the project's scripts. Sourced, never executed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$ROOT/.state"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
# Where the Odoo 18.0 source tree is looked for when ODOO_SRC is unset.
DEFAULT_ODOO_SRC="$HOME/odoo-18.0"
ODOO_SRC="${ODOO_SRC:-$DEFAULT_ODOO_SRC}"
PGUSER_OS="${VIP_PG_OS_USER:-vippg}"
PGDATA="$STATE/pgdata"
PGSOCK="$STATE/pgsock"
PGPORT="${VIP_PG_PORT:-55432}"
DB_USER="odoo"

log() { printf '[vip] %s\n' "$*" >&2; }

have_odoo() {
  [ -f "$ODOO_SRC/odoo-bin" ] && [ -f "$ODOO_SRC/odoo/release.py" ] \
    && grep -q "version_info = (18, 0" "$ODOO_SRC/odoo/release.py"
}
