from datetime import timedelta

from odoo.addons.point_of_sale.tests.test_frontend import TestPointOfSaleHttpCommon
from odoo.tests import tagged


@tagged("post_install", "-at_install")
class TestVipPosTour(TestPointOfSaleHttpCommon):
    """The cashier's screen in a real browser; after each tour the server's ledger and level are checked."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        company = cls.main_pos_config.company_id
        cls.levels = {lvl.code: lvl for lvl in env["vip.level"].search([("company_id", "=", company.id)])}
        cls.program = env["vip.program"]._get_for_company(company)
        # The member day would change the discounts on the 28th: the tours do not depend on the date.
        cls.program.member_day = 0
        # A cashier with only POS user and VIP user rights.
        cls.pos_user.groups_id |= env.ref("vip_loyalty.group_vip_user")
        cls.env.user.groups_id |= env.ref("vip_loyalty.group_vip_manager")

        def product(name, price):
            return env["product.product"].create({
                "name": name, "list_price": price, "available_in_pos": True, "taxes_id": False,
                "is_storable": False, "type": "consu",
            })

        cls.silk = product("Silk Dress", 559.0)
        cls.coat = product("Promo Coat", 1000.0)
        cls.scarf = product("Gift Scarf", 180.0)
        pricelist = cls.main_pos_config.pricelist_id
        env["product.pricelist.item"].create({
            "pricelist_id": pricelist.id, "applied_on": "0_product_variant", "product_id": cls.coat.id,
            "compute_price": "percentage", "percent_price": 12.0,
        })
        cls.member = env["res.partner"].create({
            "name": "Chen Jing", "phone": "+86 138 0000 0001", "vip_card_number": "VIPTOUR0001",
        })
        cls.member.property_product_pricelist = pricelist
        cls.member._vip_enrol(advisor=cls.pos_user)
        today = company._vip_today()
        cls.member.sudo().write({
            "vip_level_id": cls.levels["SENIOR"].id, "vip_level_since": today,
        })
        env["vip.points.entry"]._vip_post([
            {"partner_id": cls.member.id, "company_id": company.id, "date": today, "points": 200,
             "entry_type": "adjust", "expiry_date": today + timedelta(days=10), "rule_description": "tour lot"},
            {"partner_id": cls.member.id, "company_id": company.id, "date": today, "points": 1000,
             "entry_type": "adjust", "expiry_date": today + timedelta(days=200), "rule_description": "tour lot"},
        ])

    def _orders(self, partner):
        return self.env["pos.order"].search([("partner_id", "=", partner.id)])

    def _entries(self, partner, entry_type):
        return self.env["vip.points.entry"].search([("partner_id", "=", partner.id), ("entry_type", "=", entry_type)])

    def test_scan_card_level_discount_stack_and_receipt(self):
        self.main_pos_config.with_user(self.pos_user).open_ui()
        self.start_pos_tour("vip_pos_member_tour", login="pos_user")
        order = self._orders(self.member)
        self.assertEqual(len(order), 1)
        by_product = {line.product_id: line for line in order.lines}
        self.assertEqual(by_product[self.silk].discount, 5.0)
        self.assertEqual(by_product[self.silk].vip_discount_label, "Senior discount 5%")
        self.assertEqual(by_product[self.coat].discount, 5.0)
        self.assertEqual(by_product[self.coat].price_unit, 880.0)
        self.assertIn("折上折", by_product[self.coat].vip_discount_label)
        self.assertAlmostEqual(order.amount_total, 1367.05, places=2)
        earn = self._entries(self.member, "earn")
        self.assertEqual(earn.points, 136)
        self.assertEqual(earn.pos_order_id, order)
        self.assertEqual(self.member.vip_points_balance, 1336)
        self.assertEqual(self.member.vip_level_id, self.levels["SENIOR"])

    def test_quick_enrolment(self):
        self.main_pos_config.with_user(self.pos_user).open_ui()
        self.start_pos_tour("vip_pos_enrol_tour", login="pos_user")
        member = self.env["res.partner"].search([("name", "=", "Lin Xiao")])
        self.assertEqual(len(member), 1, "one member, the refused duplicate wrote nothing")
        self.assertEqual(member.vip_state, "active")
        self.assertTrue(member.vip_card_number.startswith("VIP"))
        self.assertEqual(member.vip_level_id, self.levels["MEMBER"])
        self.assertEqual(member.vip_advisor_id, self.pos_user)
        self.assertEqual(member.vip_enrol_shop_id, self.main_pos_config)
        self.assertEqual(self._entries(member, "earn").points, 55)
        self.assertEqual(member.vip_points_balance, 55)

    def test_redeem_points_for_a_gift(self):
        self.main_pos_config.with_user(self.pos_user).open_ui()
        self.start_pos_tour("vip_pos_gift_tour", login="pos_user")
        order = self._orders(self.member)
        self.assertEqual(order.vip_redeem_points, 1000)
        gift = order.lines.filtered("vip_redeem_gift")
        self.assertEqual(gift.product_id, self.scarf)
        self.assertEqual(gift.price_subtotal_incl, 0.0)
        redeem = self._entries(self.member, "redeem")
        self.assertEqual(len(redeem), 1, "the redemption is written exactly once")
        self.assertEqual(redeem.points, -1000)
        self.assertEqual(redeem.pos_order_id, order)
        self.assertEqual(self._entries(self.member, "earn").points, 53)
        self.assertEqual(self.member.vip_points_balance, 253)
        self.assertEqual(self.member.vip_level_id, self.levels["SENIOR"])

    def test_hand_over_a_planned_gift(self):
        rule = self.env["vip.gift.rule"].create({
            "name": "Birthday gift", "occasion": "birthday", "product_id": self.scarf.id,
            "company_id": self.main_pos_config.company_id.id,
        })
        issue = self.env["vip.gift.issue"].create({
            "partner_id": self.member.id, "rule_id": rule.id, "product_id": self.scarf.id,
            "company_id": self.main_pos_config.company_id.id, "occasion": "birthday",
            "occasion_date": self.main_pos_config.company_id._vip_today(), "period_key": "tour",
        })
        self.main_pos_config.with_user(self.pos_user).open_ui()
        self.start_pos_tour("vip_pos_hand_over_tour", login="pos_user")
        order = self._orders(self.member)
        gift_line = order.lines.filtered("vip_gift_issue_id")
        self.assertEqual(gift_line.vip_gift_issue_id, issue)
        self.assertEqual((gift_line.product_id, gift_line.price_subtotal_incl), (self.scarf, 0.0))
        self.env["pos.order"]._cron_vip_care()  # the care job, a minute after the sale
        self.assertEqual((issue.state, issue.pos_order_id), ("delivered", order))
        self.assertEqual(self._entries(self.member, "earn").points, 53, "the gift earns no points")
        self.assertFalse(self._entries(self.member, "redeem"), "a planned gift costs no points")

    def test_pay_part_of_an_order_with_points(self):
        self.main_pos_config.with_user(self.pos_user).open_ui()
        self.start_pos_tour("vip_pos_cash_tour", login="pos_user")
        order = self._orders(self.member)
        self.assertEqual((order.vip_redeem_points, order.vip_redeem_kind), (1200, "cash"))
        cash_line = order.lines.filtered(lambda line: line.price_unit < 0)
        self.assertEqual(cash_line.product_id, self.env.ref("vip_loyalty.product_vip_points_cash"))
        self.assertAlmostEqual(cash_line.price_subtotal_incl, -36.0)  # 1200 pts at 100 pts = 3.00
        self.assertAlmostEqual(order.amount_total, 559.0 * 0.95 - 36.0, places=2)
        redeem = self._entries(self.member, "redeem")
        self.assertEqual(len(redeem), 1, "the redemption is written exactly once")
        self.assertEqual((redeem.points, redeem.pos_order_id), (-1200, order))
        self.assertEqual(self._entries(self.member, "earn").points, 53)
        self.assertEqual(self.member.vip_points_balance, 53)

    def test_cashier_discount_is_never_overwritten(self):
        """A typed discount above the member's stays, one below yields; each line says which."""
        self.main_pos_config.with_user(self.pos_user).open_ui()
        self.start_pos_tour("vip_pos_cashier_discount_tour", login="pos_user")
        order = self._orders(self.member)
        by_product = {line.product_id: line for line in order.lines}
        silk, coat = by_product[self.silk], by_product[self.coat]
        self.assertEqual((silk.discount, silk.vip_cashier_discount), (15.0, 15.0))
        self.assertEqual(silk.vip_discount_label, "Cashier discount 15% (member 5% not applied)")
        self.assertEqual((coat.discount, coat.vip_cashier_discount), (5.0, 2.0))
        self.assertEqual(coat.vip_discount_label, "折上折 Senior 5% on 12% promotion (cashier 2% not applied)")
        self.assertAlmostEqual(order.amount_total, 559.0 * 0.85 + 880.0 * 0.95, places=2)

    def test_lost_card_scanned_finds_the_member_with_a_warning(self):
        """The old card finds the member, warns, and the points go to the member's card."""
        new_card = self.member.vip_replace_card("lost in the park")
        self.main_pos_config.with_user(self.pos_user).open_ui()
        self.start_pos_tour("vip_pos_replaced_card_tour", login="pos_user")
        order = self._orders(self.member)
        self.assertEqual(len(order), 1, "the old card sold to the member, not to a new customer")
        self.assertFalse(self.env["res.partner"].search([("vip_card_number", "=", "VIPTOUR0001")]))
        self.assertEqual(self.member.vip_card_number, new_card)
        self.assertEqual(self._entries(self.member, "earn").points, 53)
        self.assertEqual(self.member.vip_points_balance, 1253)
