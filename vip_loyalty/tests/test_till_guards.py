from unittest.mock import patch

from dateutil.relativedelta import relativedelta
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import VipPosCommon


@tagged("post_install", "-at_install")
class TestTillGuards(VipPosCommon):
    """Replaced cards and the till's guards on real synced orders, asked by a POS user with no VIP group."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program.member_day = 0
        cls.member._vip_enrol()
        cls.cashier = cls.env["res.users"].create({
            "name": "Cashier Ma", "login": "vip_cashier_ma", "company_id": cls.env.company.id,
            "company_ids": [(6, 0, cls.env.company.ids)],
            "groups_id": [(6, 0, [cls.env.ref("base.group_user").id, cls.env.ref("point_of_sale.group_pos_user").id])],
        })
        cls.fee = cls.create_product("Card replacement fee", cls.categ_basic, 10.0)
        cls.program.card_fee_product_id = cls.fee
        cls.till = cls.env["res.partner"].with_user(cls.cashier)

    def setUp(self):
        super().setUp()
        self.member.sudo().write({"vip_level_id": self.levels["SENIOR"].id})

    def _sync(self, lines, customer=None, group_order=False):
        """``lines``: (product, qty, price_unit, extra line vals) as the till sends them."""
        data = self.create_ui_order_data([(p, q) for p, q, _price, _vals in lines], customer=customer or self.member)
        total = 0.0
        for (_cmd, _id, line), (_p, _q, price, vals) in zip(data["lines"], lines, strict=True):
            line.update(vals, price_unit=price)
            net = price * line["qty"] * (1 - line.get("discount", 0.0) / 100)
            line["price_subtotal"] = line["price_subtotal_incl"] = net
            total += net
        data.update(amount_total=total, amount_paid=total, state="paid", vip_group_order=group_order)
        data["payment_ids"][0][2]["amount"] = total
        result = self.env["pos.order"].with_user(self.cashier).sync_from_ui([data])
        return self.env["pos.order"].browse([o["id"] for o in result["pos.order"]])

    def _benefits(self, lines, partner=None, group_order=False):
        return self.till.vip_pos_order_benefits((partner or self.member).id, [
            {"product_id": p.id, "price_unit": price, "qty": qty} for p, qty, price in lines
        ], self.config.id, group_order=group_order)

    def _logs(self, order):
        return self.env["vip.guard.log"].search([("pos_order_id", "=", order.id)])

    def _earned(self, partner=None):
        return sum(self.env["vip.points.entry"].search([
            ("partner_id", "=", (partner or self.member).id), ("entry_type", "=", "earn")]).mapped("points"))

    # -- lost and replaced cards ----------------------------------------------------------------

    def test_lost_card_replaced_at_the_till(self):
        old = self.member.vip_card_number
        result = self.till.vip_pos_replace_card(self.member.id, "lost on the bus", self.config.id)
        new = result["card"]
        self.assertNotEqual(new, old)
        self.assertTrue(new.startswith("VIP"), "the next number of the card sequence")
        self.assertEqual(self.member.vip_card_number, new)
        self.assertEqual(result["fee_product_id"], self.fee.id, "the till adds the fee item")
        replacement = self.env["vip.card.replacement"].search([("partner_id", "=", self.member.id)])
        self.assertEqual(
            (replacement.old_card, replacement.new_card, replacement.reason, replacement.kind, replacement.user_id),
            (old, new, "lost on the bus", "lost", self.cashier),
        )
        self.assertEqual(replacement.date, self.env.company._vip_today())
        # The old card, scanned or typed, finds the member with the warning.
        self.assertEqual(self.till.vip_pos_search(old, self.config.id), self.member.ids)
        lookup = self.till.vip_pos_lookup(old.lower(), self.config.id)
        self.assertEqual(lookup["ids"], self.member.ids)
        self.assertIn(f"Card {old} was replaced on", lookup["warning"]["message"])
        self.assertIn(new, lookup["warning"]["message"])
        self.assertFalse(self.till.vip_pos_lookup(new, self.config.id)["warning"])
        # Never a new customer: the old number cannot enrol anyone.
        with self.assertRaisesRegex(ValidationError, "was replaced on"):
            self.till.vip_pos_enrol("Someone Else", "137 1111 2222", self.config.id, card=old)
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Someone Else")]))
        # The sale to the member earns on the member's card, the only one.
        self._sync([(self.product_559, 1, 559.0, {})])
        self.assertEqual(self._earned(), 55)
        self.assertEqual(self.env["res.partner"].search_count([("vip_card_number", "=", old)]), 0)

    def test_replacement_card_already_taken_is_refused_and_nothing_written(self):
        other = self.env["res.partner"].create({"name": "Other", "vip_card_number": "VIPTAKEN1"})
        other._vip_enrol()
        old = self.member.vip_card_number
        with self.assertRaisesRegex(ValidationError, "VIPTAKEN1 already belongs to Other"):
            self.till.vip_pos_replace_card(self.member.id, "damaged", self.config.id, card="viptaken1")
        self.assertEqual(self.member.vip_card_number, old)
        self.assertFalse(self.env["vip.card.replacement"].search([("partner_id", "=", self.member.id)]))
        with self.assertRaisesRegex(UserError, "reason"):
            self.till.vip_pos_replace_card(self.member.id, "  ", self.config.id)
        # The back office: advisors and managers only.
        with self.assertRaises(AccessError):
            self.member.with_user(self.cashier).vip_replace_card("lost")
        wizard = self.env["vip.card.replace"].create({
            "partner_id": self.member.id, "reason": "lost", "new_card": "VIPNEW0001"})
        wizard.action_confirm()
        self.assertEqual(self.member.vip_card_number, "VIPNEW0001")

    def test_the_member_screen_offers_the_card_replacement_to_advisors(self):
        view = self.env.ref("vip_loyalty.vip_member_view_form")
        advisor = new_test_user(self.env, "vip_advisor_card", groups="base.group_user,vip_loyalty.group_vip_advisor")
        user = new_test_user(self.env, "vip_user_card", groups="base.group_user,vip_loyalty.group_vip_user")
        arch = self.env["res.partner"].with_user(advisor).get_view(view.id, "form")["arch"]
        self.assertIn('name="action_vip_replace_card"', arch)
        self.assertIn('name="vip_channel"', arch, "the member's channel sits next to the consent")
        arch = self.env["res.partner"].with_user(user).get_view(view.id, "form")["arch"]
        self.assertNotIn('name="action_vip_replace_card"', arch, "VIP users without advisor rights do not see it")

    # -- the till's guards -------------------------------------------------------------------------

    def test_group_order_gets_no_discount_and_no_points(self):
        benefits = self._benefits([(self.product_559, 1, 559.0)], group_order=True)
        self.assertEqual(benefits["guard"], "group")
        self.assertEqual([line["kind"] for line in benefits["lines"]], ["none"])
        self.assertIn("Group or corporate order", benefits["guard_message"])
        # A till that sends the member discount anyway is refused, and nothing is saved.
        count = self.env["pos.order"].search_count([])
        with self.assertRaisesRegex(UserError, "Group or corporate order"):
            self._sync([(self.product_559, 1, 559.0, {
                "discount": 5.0, "vip_discount_label": "Senior discount 5%", "vip_benefit_kind": "level"})],
                group_order=True)
        self.assertEqual(self.env["pos.order"].search_count([]), count)
        order = self._sync([(self.product_559, 1, 559.0, {})], group_order=True)
        self.assertAlmostEqual(order.amount_total, 559.0)
        self.assertEqual(order.vip_points_earned, 0)
        self.assertEqual(self._earned(), 0)
        self.assertEqual(self._logs(order).guard, "group")
        # The guard is a programme setting.
        self.program.guard_group_orders = False
        self._sync([(self.product_559, 1, 559.0, {})], group_order=True)
        self.assertEqual(self._earned(), 55)

    def test_a_history_rebuild_keeps_the_guards(self):
        """Past group orders and staff purchases earn nothing after a rebuild either."""
        buyer = self.env["res.partner"].create({"name": "Corporate buyer", "phone": "+86 139 7000 0001"})
        staff_user = new_test_user(self.env, "vip_staff_rebuild", groups="base.group_user")
        staff = staff_user.partner_id.sudo()
        staff.phone = "+86 139 7000 0002"
        with patch.object(type(self.env["pos.order"]), "_vip_process_paid", lambda self: None):
            self._sync([(self.product_559, 2, 559.0, {})], customer=buyer, group_order=True)
            self._sync([(self.product_559, 1, 559.0, {})], customer=staff)
            self._sync([(self.product_100, 1, 100.0, {})], customer=buyer)
        self.assertFalse(self.env["vip.points.entry"].search([("partner_id", "in", (buyer | staff).ids)]))
        wizard = self.env["vip.history.rebuild"].create({
            "date_from": self.env.company._vip_today() - relativedelta(months=1), "dry_run": False})
        wizard.action_rebuild()
        self.assertEqual(wizard.failed_count, 0)
        self.assertIn("replayed through the live order code", wizard.log)
        self.assertEqual(self._earned(buyer), 10, "only the ordinary sale earns")
        self.assertEqual(self._earned(staff), 0)

    def test_staff_purchase_gets_no_discount_and_no_points(self):
        staff = self.cashier.partner_id.sudo()
        staff._vip_enrol()
        self.assertEqual(self._benefits([(self.product_559, 1, 559.0)], partner=staff)["guard"], "staff")
        with self.assertRaisesRegex(UserError, "Staff purchase"):
            self._sync([(self.product_559, 1, 559.0, {
                "discount": 5.0, "vip_discount_label": "Member discount 5%"})], customer=staff)
        order = self._sync([(self.product_559, 1, 559.0, {})], customer=staff)
        self.assertEqual((order.vip_points_earned, self._earned(staff)), (0, 0))
        self.assertEqual(self._logs(order).guard, "staff")
        # A cashier's own typed discount is the cashier's hand, not a member benefit.
        typed = self._sync([(self.product_100, 1, 100.0, {
            "discount": 10.0, "vip_cashier_discount": 10.0, "vip_discount_label": "Cashier discount 10%"})],
            customer=staff)
        self.assertAlmostEqual(typed.amount_total, 90.0)
        self.program.staff_benefits_allowed = True
        self.assertFalse(self._benefits([(self.product_559, 1, 559.0)], partner=staff)["guard"])
        self._sync([(self.product_559, 1, 559.0, {})], customer=staff)
        self.assertEqual(self._earned(staff), 55)

    def test_best_price_when_the_till_pricelist_beats_the_level_price(self):
        # The till's pricelist sells the coat at 20% off today; the member's level gives 5%.
        self.env["product.pricelist.item"].create({
            "pricelist_id": self.config.pricelist_id.id, "applied_on": "0_product_variant",
            "product_id": self.product_2000.id, "compute_price": "percentage", "percent_price": 20.0,
        })
        # The member's own pricelist has no promotion: their unit price is the list price.
        benefits = self._benefits([(self.product_2000, 1, 2000.0), (self.product_100, 1, 100.0)])
        coat, dress = benefits["lines"]
        self.assertEqual((coat["kind"], coat["discount"]), ("best_price", 20.0))
        self.assertIn("Best price", coat["label"])
        self.assertIn("1,600.00", coat["label"])
        self.assertEqual((dress["kind"], dress["discount"]), ("level", 5.0), "the level price is better there")
        order = self._sync([
            (self.product_2000, 1, 2000.0, {"discount": coat["discount"], "vip_discount_label": coat["label"],
                                            "vip_benefit_kind": coat["kind"]}),
            (self.product_100, 1, 100.0, {"discount": 5.0, "vip_discount_label": dress["label"],
                                          "vip_benefit_kind": "level"}),
        ])
        coat_line = order.lines.filtered(lambda line: line.product_id == self.product_2000)
        self.assertAlmostEqual(coat_line.price_subtotal_incl, 1600.0, msg="never more than a walk-in pays")
        self.assertIn("Best price", coat_line.vip_discount_label)
        self.assertEqual(self._logs(order).guard, "best_price")
        self.program.guard_best_price = False
        coat_off = self._benefits([(self.product_2000, 1, 2000.0)])["lines"][0]
        self.assertEqual((coat_off["kind"], coat_off["discount"]), ("level", 5.0))

    def test_qualifying_purchase_gets_the_new_level_discount(self):
        member_level = self.levels["MEMBER"]
        self.member.sudo().write({"vip_level_id": member_level.id})
        self.assertTrue(self.levels["SENIOR"].qualifying_order_discount, "on by default for Senior")
        # 1000 in one purchase reaches Senior: the till shows it and gives Senior's 5% at once.
        benefits = self._benefits([(self.product_1000, 1, 1000.0)])
        self.assertEqual(benefits["new_level"]["name"], self.levels["SENIOR"].name)
        self.assertTrue(benefits["new_level"]["discount_applied"])
        line = benefits["lines"][0]
        self.assertEqual((line["kind"], line["discount"]), ("qualifying", 5.0))
        self.assertIn("New level", line["label"])
        order = self._sync([(self.product_1000, 1, 1000.0, {
            "discount": 5.0, "vip_discount_label": line["label"], "vip_benefit_kind": "qualifying"})])
        self.assertAlmostEqual(order.amount_total, 950.0)
        self.assertEqual(self.member.vip_level_id, self.levels["SENIOR"], "950 paid, 1000 before the new discount")
        history = self.env["vip.level.history"].search([("pos_order_id", "=", order.id)])
        self.assertEqual(history.to_level_id, self.levels["SENIOR"])
        self.assertEqual(self._logs(order).guard, "qualifying")
        # Below the threshold: no new level, the member's own (zero) discount.
        self.member.sudo().write({"vip_level_id": member_level.id})
        small = self._benefits([(self.product_559, 1, 559.0)])
        self.assertFalse(small["new_level"])
        # A level that does not say so: the new level shows, its discount waits for the next order.
        self.levels["SENIOR"].qualifying_order_discount = False
        shown = self._benefits([(self.product_1000, 1, 1000.0)])
        self.assertEqual(shown["new_level"]["discount_applied"], False)
        self.assertEqual(shown["lines"][0]["kind"], "none")
