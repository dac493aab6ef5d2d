from datetime import datetime

from odoo import fields
from odoo.addons.point_of_sale.tests.common import TestPoSCommon


class VipPosCommon(TestPoSCommon):
    """Real POS orders through sync_from_ui, the path a terminal uses."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id |= cls.env.ref("vip_loyalty.group_vip_manager")
        # TestPoSCommon runs in a company of its own: created after install, it has the defaults.
        cls.levels = {lvl.code: lvl for lvl in cls.env["vip.level"].search([("company_id", "=", cls.env.company.id)])}
        cls.program = cls.env["vip.program"]._get_for_company(cls.env.company)
        cls.rule = cls.env["vip.points.rule"]._for_company(cls.env.company)
        cls.product_559 = cls.create_product("Silk dress", cls.categ_basic, 559.0)
        cls.product_1000 = cls.create_product("Wool coat", cls.categ_basic, 1000.0)
        cls.product_2000 = cls.create_product("Cashmere coat", cls.categ_basic, 2000.0)
        cls.product_100 = cls.create_product("Scarf", cls.categ_basic, 100.0)
        cls.product_5 = cls.create_product("Hair clip", cls.categ_basic, 5.0)
        cls.member = cls.env["res.partner"].create({"name": "Chen Jing", "phone": "+86 138 0000 0001"})

    def setUp(self):
        super().setUp()
        self.config = self.basic_config
        self.open_new_session()

    def sync(self, lines, customer=None, uuid=None, date_order=None):
        """Sync one paid order as the POS does; returns the pos.order."""
        data = self.create_ui_order_data(lines, customer=customer or self.member, uuid=uuid)
        data["state"] = "paid"
        if date_order:
            data["date_order"] = fields.Datetime.to_string(date_order)
        result = self.env["pos.order"].sync_from_ui([data])
        ids = [o["id"] for o in result["pos.order"]]
        return self.env["pos.order"].browse(ids)

    def refund(self, order, qty_by_product, customer=None):
        lines = [
            {"product": line.product_id, "quantity": -qty_by_product[line.product_id], "refunded_orderline_id": line.id}
            for line in order.lines
            if line.product_id in qty_by_product
        ]
        return self.sync(lines, customer=customer or order.partner_id)

    @staticmethod
    def at(year, month, day):
        return datetime(year, month, day, 12, 0, 0)
