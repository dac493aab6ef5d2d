from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import VipPosCommon


@tagged("post_install", "-at_install")
class TestVipPosTerminal(VipPosCommon):
    """What the terminal asks the server: start-up fields, member data, benefits, enrolment, redemption."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program.member_day = 0
        cls.member._vip_enrol()
        cls.member.sudo().write({"vip_level_id": cls.levels["SENIOR"].id})
        cls.today = cls.env.company._vip_today()
        cls.env["vip.points.entry"]._vip_post([{
            "partner_id": cls.member.id, "company_id": cls.env.company.id, "date": cls.today, "points": 1200,
            "entry_type": "adjust", "expiry_date": cls.today + timedelta(days=5), "rule_description": "test lot",
        }])
        cls.cashier = cls.env["res.users"].create({
            "name": "Cashier Wu", "login": "vip_cashier_wu", "company_id": cls.env.company.id,
            "company_ids": [(6, 0, cls.env.company.ids)],
            "groups_id": [(6, 0, [cls.env.ref("point_of_sale.group_pos_user").id,
                                  cls.env.ref("vip_loyalty.group_vip_user").id])],
        })
        cls.gift = cls.create_product("Silk scarf gift", cls.categ_basic, 180.0)

    def _sync(self, lines, redeem=0, uuid=None, date_order=None, kind="gift", prices=None):
        data = self.create_ui_order_data(lines, customer=self.member, uuid=uuid)
        total = 0.0
        for _cmd, _id, line in data["lines"]:
            line["price_unit"] = (prices or {}).get(line["product_id"], line["price_unit"])
            net = line["price_unit"] * line["qty"] * (1 - line.get("discount", 0.0) / 100)
            line["price_subtotal"] = line["price_subtotal_incl"] = net
            total += net
        data["amount_total"] = data["amount_paid"] = total
        data["payment_ids"][0][2]["amount"] = total
        data["state"] = "paid"
        if redeem:
            data.update(vip_redeem_points=redeem, vip_redeem_kind=kind)
        if date_order:
            data["date_order"] = fields.Datetime.to_string(date_order)
        result = self.env["pos.order"].sync_from_ui([data])
        return self.env["pos.order"].browse([o["id"] for o in result["pos.order"]]), data["uuid"]

    def _entries(self, entry_type):
        return self.env["vip.points.entry"].search(
            [("partner_id", "=", self.member.id), ("entry_type", "=", entry_type)]
        )

    def test_pos_start_loads_two_small_fields_only(self):
        fields_loaded = self.env["res.partner"]._load_pos_data_fields(self.config.id)
        vip_fields = [f for f in fields_loaded if f.startswith("vip_")]
        self.assertEqual(sorted(vip_fields), ["vip_card_number", "vip_state"])

    def test_member_summary_and_search_as_cashier(self):
        partner_model = self.env["res.partner"].with_user(self.cashier)
        card = self.member.vip_card_number
        self.assertEqual(partner_model.vip_pos_search(card.lower(), self.config.id), self.member.ids)
        self.assertEqual(partner_model.vip_pos_search("138-0000-0001", self.config.id), self.member.ids)
        self.assertEqual(partner_model.vip_pos_search("nobody", self.config.id), [])
        summary = partner_model.vip_pos_member_summary(self.member.id, self.config.id)
        self.assertEqual(summary["card"], card)
        self.assertEqual(summary["level_name"], "Senior")
        self.assertEqual(summary["balance"], 1200)
        self.assertEqual(summary["expiring_points"], 1200)
        self.assertEqual(summary["complaints"], 0)
        self.assertEqual(summary["ladder"]["gift_cap"], 200.0)
        self.assertEqual(summary["ladder"]["cash_value"], 36.0)

    def test_someone_without_pos_or_vip_rights_gets_nothing(self):
        user = self.env["res.users"].create({
            "name": "No POS", "login": "vip_no_rights", "company_id": self.env.company.id,
            "company_ids": [(6, 0, self.env.company.ids)],
            "groups_id": [(6, 0, [self.env.ref("base.group_user").id])],
        })
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(user).vip_pos_member_summary(self.member.id, self.config.id)

    def test_benefits_are_named_and_skip_special_price_items(self):
        self.product_100.vip_special_price = True
        result = self.env["res.partner"].with_user(self.cashier).vip_pos_benefits(self.member.id, [
            {"product_id": self.product_559.id, "price_unit": 559.0, "qty": 1},
            {"product_id": self.product_1000.id, "price_unit": 880.0, "qty": 1},
            {"product_id": self.product_100.id, "price_unit": 100.0, "qty": 1},
        ], self.config.id)
        self.assertEqual([r["kind"] for r in result], ["level", "stack", "none"])
        self.assertEqual(result[0]["label"], "Senior discount 5%")
        self.assertEqual(result[1]["discount"], 5.0)
        # The programme's 折上折 floor is configuration: at 90% a 12% promotion no longer stacks.
        self.program.stack_floor_percent = 90
        result = self.env["res.partner"].with_user(self.cashier).vip_pos_benefits(self.member.id, [
            {"product_id": self.product_1000.id, "price_unit": 880.0, "qty": 1},
        ], self.config.id)
        self.assertEqual(result[0]["kind"], "none")

    def test_typed_discount_is_kept_when_higher_and_the_line_says_which(self):
        partners = self.env["res.partner"].with_user(self.cashier)
        result = partners.vip_pos_benefits(self.member.id, [
            {"product_id": self.product_559.id, "price_unit": 559.0, "qty": 1, "discount": 15},
            {"product_id": self.product_1000.id, "price_unit": 880.0, "qty": 1, "discount": 2},
            {"product_id": self.product_100.id, "price_unit": 100.0, "qty": 1, "discount": 0},
        ], self.config.id)
        self.assertEqual(
            [(r["kind"], r["discount"]) for r in result], [("cashier", 15.0), ("stack", 5.0), ("level", 5.0)]
        )
        self.assertEqual(result[0]["label"], "Cashier discount 15% (member 5% not applied)")
        self.assertTrue(result[1]["label"].endswith("(cashier 2% not applied)"))
        self.assertEqual(result[2]["label"], "Senior discount 5%")
        with self.assertRaises(UserError):
            partners.vip_pos_benefits(self.member.id, [
                {"product_id": self.product_559.id, "price_unit": 559.0, "qty": 1, "discount": 150},
            ], self.config.id)

    def test_quick_enrolment_by_a_cashier(self):
        partner_model = self.env["res.partner"].with_user(self.cashier)
        partner_id = partner_model.vip_pos_enrol("Lin Xiao", "137 2468 1357", self.config.id)
        new = self.env["res.partner"].browse(partner_id)
        self.assertEqual(new.vip_state, "active")
        self.assertTrue(new.vip_card_number)
        self.assertEqual(new.vip_advisor_id, self.cashier)
        self.assertEqual(new.vip_level_id, self.levels["MEMBER"])
        count = self.env["res.partner"].search_count([])
        with self.assertRaisesRegex(ValidationError, "already belongs to Chen Jing"):
            partner_model.vip_pos_enrol("Someone", "+86 138 0000 0001", self.config.id)
        with self.assertRaisesRegex(ValidationError, "already belongs"):
            partner_model.vip_pos_enrol("Someone", "137 0000 0009", self.config.id, card=new.vip_card_number)
        with self.assertRaisesRegex(ValidationError, "not valid"):
            partner_model.vip_pos_enrol("Someone", "12ab", self.config.id)
        with self.assertRaisesRegex(ValidationError, "name"):
            partner_model.vip_pos_enrol("  ", "137 0000 0009", self.config.id)
        self.assertEqual(self.env["res.partner"].search_count([]), count, "refusals write nothing")

    def test_gift_quote(self):
        quote = self.env["res.partner"].with_user(self.cashier).vip_pos_gift_quote(
            self.member.id, self.gift.id, self.config.id)
        self.assertTrue(quote["ok"])
        self.assertEqual(quote["points"], 1000)
        quote = self.env["res.partner"].with_user(self.cashier).vip_pos_gift_quote(
            self.member.id, self.product_559.id, self.config.id)
        self.assertFalse(quote["ok"])
        self.assertEqual(quote["points"], 2000)

    def test_redemption_carried_by_the_order_is_written_once(self):
        lines = [
            {"product": self.gift, "quantity": 1, "discount": 100.0, "vip_redeem_gift": True},
            {"product": self.product_559, "quantity": 1, "discount": 5.0, "vip_discount_label": "Senior discount 5%"},
        ]
        order, uuid = self._sync(lines, redeem=1000)
        self._sync(lines, redeem=1000, uuid=uuid)  # the terminal retries the same order
        redeem = self._entries("redeem")
        self.assertEqual(len(redeem), 1)
        self.assertEqual(redeem.points, -1000)
        self.assertEqual(redeem.pos_order_id, order)
        self.assertEqual(self._entries("earn").points, 53)
        self.assertEqual(self.member.vip_points_balance, 1200 - 1000 + 53)
        info = self.env["pos.order"].with_user(self.cashier).vip_pos_receipt_info([uuid])
        self.assertEqual(info[0]["earned"], 53)
        self.assertEqual(info[0]["redeemed"], 1000)
        self.assertEqual(info[0]["balance"], 253)
        self.assertEqual(info[0]["card"], self.member.vip_card_number)

    def test_redemption_over_the_balance_or_at_the_wrong_price_is_refused(self):
        orders_before = self.env["pos.order"].search_count([])
        dear = [{"product": self.product_1000, "quantity": 1, "discount": 100.0, "vip_redeem_gift": True}]
        with self.assertRaisesRegex(UserError, "cannot be redeemed"):
            self._sync(dear, redeem=3000)
        with self.assertRaisesRegex(UserError, "costs 1000 points, not 500"):
            self._sync([{"product": self.gift, "quantity": 1, "discount": 100.0, "vip_redeem_gift": True}], redeem=500)
        self.assertFalse(self._entries("redeem"))
        self.assertEqual(self.env["pos.order"].search_count([]), orders_before)
        self.assertEqual(self.member.vip_points_balance, 1200)

    def test_redemption_outside_the_redemption_month_is_refused_at_sync(self):
        this_month = (self.today.month - 1) % 3 + 1
        self.rule.redemption_month_of_quarter = str(this_month % 3 + 1)  # another month of the quarter
        orders_before = self.env["pos.order"].search_count([])
        with self.assertRaisesRegex(UserError, "redemption month"):
            self._sync([{"product": self.gift, "quantity": 1, "discount": 100.0, "vip_redeem_gift": True}],
                       redeem=1000)
        self.assertEqual(self.env["pos.order"].search_count([]), orders_before, "nothing is paid")
        self.assertFalse(self._entries("redeem"))
        self.assertEqual(self.member.vip_points_balance, 1200)

    def test_points_pay_part_of_the_order_at_cash_value(self):
        cash = self.env.ref("vip_loyalty.product_vip_points_cash")
        cashier_partners = self.env["res.partner"].with_user(self.cashier)
        quote = cashier_partners.vip_pos_cash_quote(self.member.id, 559.0, self.config.id)
        # 1200 pts = 12 blocks of 100 pts at 3.00 each (the default: 100 points = 3).
        self.assertEqual(
            (quote["ok"], quote["points"], quote["value"], quote["product_id"]), (True, 1200, 36.0, cash.id)
        )
        lines = [(self.product_559, 1), (cash, 1)]
        order, uuid = self._sync(lines, redeem=1200, kind="cash", prices={cash.id: -36.0})
        self._sync(lines, redeem=1200, kind="cash", prices={cash.id: -36.0}, uuid=uuid)  # retried sync
        redeem = self._entries("redeem")
        self.assertEqual(len(redeem), 1)
        self.assertEqual((redeem.points, redeem.pos_order_id), (-1200, order))
        self.assertIn("36.00", redeem.rule_description)
        self.assertAlmostEqual(order.amount_total, 523.0)
        self.assertEqual(self.member.vip_points_balance, 1200 - 1200 + self._entries("earn").points)

    def test_points_payment_refused_when_wrong_and_nothing_written(self):
        cash = self.env.ref("vip_loyalty.product_vip_points_cash")
        orders_before = self.env["pos.order"].search_count([])
        lines = [(self.product_559, 1), (cash, 1)]
        with self.assertRaisesRegex(UserError, "1200 points are worth 36.00, not 50.00"):
            self._sync(lines, redeem=1200, kind="cash", prices={cash.id: -50.0})
        with self.assertRaisesRegex(UserError, "blocks of 100"):
            self._sync(lines, redeem=150, kind="cash", prices={cash.id: -4.5})
        with self.assertRaisesRegex(UserError, "cannot be redeemed"):
            self._sync(lines, redeem=1300, kind="cash", prices={cash.id: -39.0})
        with self.assertRaisesRegex(UserError, "needs the points it redeems"):
            self._sync(lines, prices={cash.id: -36.0})  # a points line without a redemption
        gift_and_cash = [{"product": self.gift, "quantity": 1, "discount": 100.0, "vip_redeem_gift": True}, (cash, 1)]
        with self.assertRaisesRegex(UserError, "either a gift or a points payment"):
            self._sync(gift_and_cash, redeem=1000, prices={cash.id: -36.0})
        self.assertFalse(self._entries("redeem"))
        self.assertEqual(self.env["pos.order"].search_count([]), orders_before)
        self.assertEqual(self.member.vip_points_balance, 1200)
        cashier_partners = self.env["res.partner"].with_user(self.cashier)
        too_poor = cashier_partners.vip_pos_cash_quote(self.member.id, 2.0, self.config.id)
        self.assertFalse(too_poor["ok"])

    def test_offline_order_synced_later_earns_once(self):
        yesterday = fields.Datetime.now() - timedelta(days=1)
        _order, uuid = self._sync([(self.product_559, 1)], date_order=yesterday)
        self._sync([(self.product_559, 1)], uuid=uuid, date_order=yesterday)
        earn = self._entries("earn")
        self.assertEqual(len(earn), 1)
        self.assertEqual(earn.points, 55)
        self.assertEqual(self.member.vip_points_balance, 1255)
