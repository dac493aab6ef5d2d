from datetime import timedelta

from odoo import fields
from odoo.addons.point_of_sale.tests.test_frontend import TestPointOfSaleHttpCommon
from odoo.tests import tagged

from ..engine import points as points_engine


@tagged("post_install", "-at_install")
class TestVipPosUserTour(TestPointOfSaleHttpCommon):
    """A cashier in no VIP group sells to a member and refunds half, in a real browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        company = cls.main_pos_config.company_id
        main_company = env.ref("base.main_company")
        if not env["vip.level"].search([("company_id", "=", company.id)]):
            for lvl in env["vip.level"].sudo().search([("company_id", "=", main_company.id)]):
                lvl.copy({"company_id": company.id, "name": lvl.name})
            rule = env.ref("vip_loyalty.vip_points_rule_default").sudo()
            rule.copy({"company_id": company.id, "name": rule.name})
        env["vip.program"]._get_for_company(company).member_day = 0
        # 2 × 559 would lift the member to Senior with its 5% on the same order (the
        # qualifying purchase); this tour checks a cashier's rights, not the level.
        env["vip.program"]._get_for_company(company).guard_qualifying_order = False
        vip_groups = env.ref("vip_loyalty.group_vip_user") | env.ref("vip_loyalty.group_vip_manager")
        assert not cls.pos_user.groups_id & vip_groups, "the cashier of this tour has POS rights only"
        cls.silk = env["product.product"].create({
            "name": "Silk Dress", "list_price": 559.0, "available_in_pos": True, "taxes_id": False,
            "is_storable": False, "type": "consu",
        })
        cls.member = env["res.partner"].create({
            "name": "Chen Jing", "phone": "+86 138 0000 0001", "vip_card_number": "VIPROLE0001",
        })
        cls.member.property_product_pricelist = cls.main_pos_config.pricelist_id
        cls.member._vip_enrol(advisor=cls.pos_user)
        today = fields.Date.context_today(cls.member.with_user(cls.pos_user))
        env["vip.points.entry"]._vip_post([{
            "partner_id": cls.member.id, "company_id": company.id, "date": today, "points": 1200,
            "entry_type": "adjust", "expiry_date": today + timedelta(days=200), "rule_description": "tour lot",
        }])

    def test_pos_user_sells_and_refunds_half_points_follow_at_once(self):
        self.main_pos_config.with_user(self.pos_user).open_ui()
        self.start_pos_tour("vip_pos_user_sale_refund_tour", login="pos_user")
        sale, refund = self.env["pos.order"].search([("partner_id", "=", self.member.id)], order="id")
        self.assertEqual((sale.user_id, refund.user_id), (self.pos_user, self.pos_user))
        self.assertTrue(sale.vip_processed and refund.vip_processed, "both processed when paid, not at night")
        entries = self.env["vip.points.entry"].sudo().search([("partner_id", "=", self.member.id)])
        earn = entries.filtered(lambda e: e.entry_type == "earn")
        reverse = entries.filtered(lambda e: e.entry_type == "reverse")
        self.assertEqual((earn.points, earn.pos_order_id), (111, sale))  # 1118.00 at 1 pt / 10
        expected = points_engine.reversal_points(111, sale.amount_total, -refund.amount_total, 0)
        self.assertEqual(expected, 56)
        self.assertEqual((reverse.points, reverse.pos_order_id, reverse.reversed_entry_id), (-56, refund, earn))
        self.assertEqual(self.member.vip_points_balance, 1200 + 111 - 56)
