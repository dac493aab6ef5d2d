"""Uninstall vip_loyalty from a database and check that nothing of it is left."""
import sys

odoo_src, conf, db = sys.argv[1:4]
sys.path.insert(0, odoo_src)

import odoo  # noqa: E402

odoo.tools.config.parse_config(["-c", conf, "-d", db])
registry = odoo.modules.registry.Registry.new(db)
with registry.cursor() as cr:
    env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
    module = env["ir.module.module"].search([("name", "=", "vip_loyalty")])
    assert module.state == "installed", module.state
    module.button_immediate_uninstall()
registry = odoo.modules.registry.Registry.new(db)
with registry.cursor() as cr:
    env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
    assert env["ir.module.module"].search([("name", "=", "vip_loyalty")]).state == "uninstalled"
    assert "vip.points.entry" not in env, "model still registered after uninstall"
    cr.execute(
        "SELECT count(*) FROM information_schema.columns"
        " WHERE table_name = 'res_partner' AND column_name LIKE 'vip_%'"
    )
    assert cr.fetchone()[0] == 0, "vip_ columns left on res_partner"
print("uninstalled cleanly")
