"""Shared bootstrap for the benchmarks: the private cluster, databases and an in-process Odoo."""

import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ODOO_SRC = os.environ.get("ODOO_SRC", os.path.expanduser("~/odoo-18.0"))
CONF = os.path.join(ROOT, ".state", "odoo.conf")
PY = sys.executable


def prepare():
    subprocess.run(["bash", os.path.join(ROOT, "tools", "pg.sh"), "start"], check=True)
    if not os.path.exists(CONF):
        subprocess.run(
            ["bash", "-c", f"source {ROOT}/tools/common.sh; source {ROOT}/tools/odoo_conf.sh; write_odoo_conf 8069"],
            check=True,
        )
    sys.path.insert(0, ODOO_SRC)
    import odoo

    odoo.tools.config.parse_config(["-c", CONF, "--log-level=warn"])
    return odoo


def ensure_db(odoo, db, modules, demo=True):
    """Create ``db`` with ``modules`` unless it exists (the first run takes minutes)."""
    exists = db in odoo.service.db.list_dbs(force=True)
    if exists:
        return
    print(f"creating database {db} with {modules} ...", flush=True)
    start = time.time()
    cmd = [PY, os.path.join(ODOO_SRC, "odoo-bin"), "-c", CONF, "-d", db, "-i", modules,
           "--stop-after-init", "--log-level=warn"]
    if not demo:
        cmd.append("--without-demo=all")
    subprocess.run(cmd, check=True)
    print(f"  done in {time.time() - start:.0f} s", flush=True)


def env_for(odoo, db):
    registry = odoo.modules.registry.Registry(db)
    cr = registry.cursor()
    # admin in superuser mode: POS sessions check the user's groups, which __system__ lacks.
    return odoo.api.Environment(cr, 2, {}, su=True)
