#!/usr/bin/env bash
# Create or refresh .venv with Odoo's requirements (when a tree is given) and the project's own.
source "$(dirname "$0")/common.sh"
mkdir -p "$STATE"
if [ ! -x "$PY" ]; then
  log "creating virtualenv in $VENV"
  python3.11 -m venv "$VENV" 2>/dev/null || python3 -m venv "$VENV"
fi
reqs="$STATE/requirements.txt"
cp "$ROOT/requirements-dev.txt" "$reqs"
if have_odoo; then
  # Odoo's pins, minus python-ldap (auth_ldap only, needs system headers) and the
  # cbor2 5.4.2 sdist that no longer builds with current setuptools.
  grep -v -E '^(python-ldap|cbor2)' "$ODOO_SRC/requirements.txt" >> "$reqs"
  echo 'cbor2>=5.4.6,<6' >> "$reqs"
fi
stamp="$VENV/.reqs.sha"
sum="$(sha256sum "$reqs" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
  log "installing Python packages"
  "$PY" -m pip install -q --disable-pip-version-check -U pip wheel 'setuptools<70'
  "$PY" -m pip install -q --disable-pip-version-check -r "$reqs"
  echo "$sum" > "$stamp"
fi
