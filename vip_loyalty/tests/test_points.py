from datetime import date
from unittest.mock import patch

from dateutil.relativedelta import relativedelta
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import VipPosCommon


@tagged("post_install", "-at_install")
class TestPoints(VipPosCommon):
    def entries(self, **domain):
        return self.env["vip.points.entry"].search(
            [("partner_id", "=", self.member.id)] + [(k, "=", v) for k, v in domain.items()]
        )

    def test_559_earns_55_with_explanation(self):
        order = self.sync([(self.product_559, 1)])
        earn = self.entries(entry_type="earn")
        self.assertEqual(earn.points, 55)
        self.assertEqual(earn.remaining, 55)
        self.assertEqual(earn.pos_order_id, order)
        self.assertTrue(earn.rule_description.startswith("559.00 × 1 pt / 10 = 55 pts"), earn.rule_description)
        self.assertEqual(earn.expiry_date, date(earn.date.year, 12, 31))
        self.assertEqual(self.member.vip_points_balance, 55)
        self.assertEqual(order.vip_points_earned, 55)

    def test_birthday_doubles(self):
        today = self.env.company._vip_today()
        self.member.vip_birthday = today.replace(year=1990)
        self.sync([(self.product_559, 1)])
        earn = self.entries(entry_type="earn")
        self.assertEqual(earn.points, 110)
        self.assertIn("×2", earn.rule_description)

    def test_order_without_customer_earns_nothing(self):
        data = self.create_ui_order_data([(self.product_559, 1)])
        data["state"] = "paid"
        self.env["pos.order"].sync_from_ui([data])
        self.assertFalse(self.env["vip.points.entry"].search([("company_id", "=", self.env.company.id)]))

    def test_replayed_uuid_earns_nothing_more(self):
        order = self.sync([(self.product_559, 1)])
        self.sync([(self.product_559, 1)], uuid=order.uuid)
        # Even a second pass of the paid hook on the same order writes nothing.
        order.action_pos_order_paid()
        self.assertEqual(len(self.entries(entry_type="earn")), 1)
        self.assertEqual(self.member.vip_points_balance, 55)

    def test_failed_processing_leaves_nothing_and_nightly_job_catches_up(self):
        partner_model = type(self.env["res.partner"])
        # The level step breaks after the earn entry was written: Odoo logs the error and keeps
        # the paid order; none of the VIP writes may stay behind.
        with patch.object(partner_model, "_vip_evaluate_after_order", side_effect=UserError("broken level rule")), \
                self.assertLogs("odoo.addons.vip_loyalty.models.pos_order", level="ERROR"):
            order = self.sync([(self.product_559, 1)])
        self.assertEqual(order.state, "paid")
        self.assertFalse(order.vip_processed)
        self.assertFalse(self.entries())
        self.assertEqual(self.member.vip_points_balance, 0)
        program = self.env["vip.program"]._get_for_company(self.env.company)
        program._cron_nightly()
        program._cron_nightly()
        self.assertTrue(order.vip_processed)
        self.assertEqual(self.entries(entry_type="earn").points, 55)
        self.assertEqual(self.member.vip_points_balance, 55)

    def test_half_refund_reverses_half(self):
        order = self.sync([(self.product_559, 2)])  # 1118.00 → 111 pts
        self.assertEqual(self.member.vip_points_balance, 111)
        refund = self.refund(order, {self.product_559: 1})
        reverse = self.entries(entry_type="reverse")
        # 111 × 559 / 1118 = 55.5 → 56 (half up)
        self.assertEqual(reverse.points, -56)
        self.assertEqual(reverse.pos_order_id, refund)
        self.assertEqual(reverse.reversed_entry_id, self.entries(entry_type="earn"))
        self.assertEqual(self.member.vip_points_balance, 55)
        # The second half reverses exactly what is left of the order's points.
        self.refund(order, {self.product_559: 1})
        self.assertEqual(sum(self.entries(entry_type="reverse").mapped("points")), -111)
        self.assertEqual(self.member.vip_points_balance, 0)

    def test_refund_of_order_that_earned_nothing_reverses_nothing(self):
        order = self.sync([(self.product_5, 1)])  # 5.00 → 0 points
        self.refund(order, {self.product_5: 1})
        self.assertFalse(self.entries(entry_type="reverse"))

    def test_redeem_burns_earliest_expiring_lot(self):
        self.sync([(self.product_559, 1)])  # 55 pts, expires 31 Dec this year
        self.member.vip_adjust_points(1000, "opening balance")  # expires 31 Dec too, later id
        early = self.entries(entry_type="earn")
        entry = self.member.vip_redeem_points(1000, "gift: silk scarf")
        self.assertEqual(entry.entry_type, "redeem")
        self.assertEqual(entry.points, -1000)
        self.assertEqual(self.member.vip_points_balance, 55)
        self.assertEqual(early.remaining, 0, "the earliest lot is consumed first")
        self.assertEqual(self.entries(entry_type="adjust").remaining, 55)

    def test_rolling_expiry_burns_soonest_first(self):
        self.rule.write({"expiry_policy": "rolling_months", "expiry_months": 12})
        self.member.vip_adjust_points(1000, "opening balance")
        self.rule.write({"expiry_months": 1})
        self.sync([(self.product_559, 1)])  # 55 pts expiring in a month: burnt first
        self.member.vip_redeem_points(100, "cash")
        self.assertEqual(self.entries(entry_type="earn").remaining, 0)
        self.assertEqual(self.entries(entry_type="adjust").remaining, 955)

    def test_over_redeem_raises_and_writes_nothing(self):
        self.sync([(self.product_559, 1)])
        count = self.env["vip.points.entry"].search_count([])
        with self.assertRaisesRegex(UserError, "55 points"):
            self.member.vip_redeem_points(56, "too much")
        self.assertEqual(self.env["vip.points.entry"].search_count([]), count)
        self.assertEqual(self.member.vip_points_balance, 55)
        with self.assertRaises(UserError):
            self.member.vip_redeem_points(-5, "negative")

    def test_cron_on_1_january_expires_last_year(self):
        order = self.sync([(self.product_559, 1)])
        earn_date = order.vip_points_entry_ids.date
        self.env["vip.program"]._cron_nightly(today=date(earn_date.year, 12, 31))
        self.assertEqual(self.member.vip_points_balance, 55, "still valid on 31 December")
        self.env["vip.program"]._cron_nightly(today=date(earn_date.year + 1, 1, 1))
        expire = self.entries(entry_type="expire")
        self.assertEqual(expire.points, -55)
        self.assertEqual(self.member.vip_points_balance, 0)
        self.env["vip.program"]._cron_nightly(today=date(earn_date.year + 1, 1, 1))
        self.assertEqual(len(self.entries(entry_type="expire")), 1, "re-running the night expires nothing more")

    def test_ledger_is_append_only(self):
        self.sync([(self.product_559, 1)])
        earn = self.entries(entry_type="earn")
        with self.assertRaises(UserError):
            earn.write({"points": 500})
        with self.assertRaises(UserError):
            earn.unlink()
        with self.assertRaises(UserError):
            self.env["vip.points.entry"].create({
                "partner_id": self.member.id, "company_id": self.env.company.id,
                "date": self.env.company._vip_today(), "points": 10, "entry_type": "adjust",
            })

    def test_cashier_cannot_touch_the_ledger(self):
        cashier = new_test_user(
            self.env, login="cashier_pts",
            groups="base.group_user,point_of_sale.group_pos_user,vip_loyalty.group_vip_user",
            company_id=self.env.company.id, company_ids=[(6, 0, self.env.company.ids)],
        )
        self.sync([(self.product_559, 1)])
        earn = self.entries(entry_type="earn").with_user(cashier)
        self.assertEqual(earn.points, 55, "a cashier can read points")
        with self.assertRaises(UserError):
            earn.write({"points": 500})
        with self.assertRaises(AccessError):
            earn.unlink()
        with self.assertRaises(UserError):
            self.env["vip.points.entry"].with_user(cashier).create({
                "partner_id": self.member.id, "company_id": self.env.company.id,
                "date": self.env.company._vip_today(), "points": 10, "entry_type": "adjust",
            })
        with self.assertRaises(AccessError):
            self.member.with_user(cashier).vip_adjust_points(100, "friend")

    def test_adjustment_needs_reason_and_manager(self):
        self.sync([(self.product_559, 1)])
        with self.assertRaisesRegex(UserError, "reason"):
            self.member.vip_adjust_points(10, "  ")
        wizard = self.env["vip.points.adjust"].create({"partner_id": self.member.id, "points": -5, "reason": "typo"})
        wizard.action_confirm()
        self.assertEqual(self.member.vip_points_balance, 50)
        with self.assertRaisesRegex(UserError, "Not enough points"):
            self.member.vip_adjust_points(-51, "too much")

    def test_balance_always_equals_ledger_sum(self):
        order = self.sync([(self.product_559, 3)])
        self.refund(order, {self.product_559: 1})
        self.member.vip_redeem_points(20, "gift")
        self.env["vip.program"]._cron_nightly(today=self.env.company._vip_today() + relativedelta(years=1, days=1))
        ledger = sum(self.entries().mapped("points"))
        self.assertEqual(self.member.vip_points_balance, ledger)
        self.assertFalse(self.env["res.partner"]._vip_check_balances())

    def test_the_ledger_list_exports_with_cards(self):
        # The standard list export, as from the ledger list (Export, with the Card column).
        self.sync([(self.product_559, 1)])
        self.member.vip_redeem_points(5, "sticker")
        entries = self.env["vip.points.entry"].search([("partner_id", "=", self.member.id)], order="date, id")
        rows = entries.export_data(["date", "card_number", "partner_id", "entry_type", "points", "rule_description"])
        self.assertEqual([row[1] for row in rows["datas"]], [self.member.vip_card_number] * 2)
        self.assertEqual(sorted(row[4] for row in rows["datas"]), [-5, 55])
