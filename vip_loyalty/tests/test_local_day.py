from datetime import date, datetime
from unittest.mock import patch

from freezegun import freeze_time
from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import VipPosCommon


@tagged("post_install", "-at_install")
class TestLocalDay(VipPosCommon):
    """The day of an order or a birthday is the shop's, whoever syncs, processes or asks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program.tz = "UTC"  # the company's zone; the shop below has its own
        cls.basic_config.vip_tz = "Asia/Shanghai"
        groups = [cls.env.ref("point_of_sale.group_pos_user").id, cls.env.ref("vip_loyalty.group_vip_user").id]
        cls.cashier = cls.env["res.users"].create({
            "name": "Cashier Li", "login": "vip_cashier_li", "tz": "Asia/Shanghai",
            "company_id": cls.env.company.id, "company_ids": [(6, 0, cls.env.company.ids)],
            "groups_id": [(6, 0, groups)],
        })
        cls.night_user = cls.env["res.users"].create({
            "name": "Night Job", "login": "vip_night_job", "tz": "UTC",
            "company_id": cls.env.company.id, "company_ids": [(6, 0, cls.env.company.ids)],
            "groups_id": [(6, 0, [cls.env.ref("vip_loyalty.group_vip_manager").id,
                                  cls.env.ref("point_of_sale.group_pos_manager").id])],
        })

    def _sync_as(self, user, date_order):
        """Sync one paid order as ``user`` would, from a browser in the user's timezone."""
        data = self.create_ui_order_data([(self.product_559, 1)], customer=self.member)
        data.update(state="paid", date_order=fields.Datetime.to_string(date_order))
        orders = self.env["pos.order"].with_user(user).with_context(tz=user.tz).sync_from_ui([data])
        return self.env["pos.order"].browse([o["id"] for o in orders["pos.order"]])

    def _earn_date(self, order):
        return self.env["vip.points.entry"].search([("pos_order_id", "=", order.id), ("entry_type", "=", "earn")]).date

    def test_order_day_is_the_shops_for_the_cashier_and_the_nightly_job(self):
        # 23:30 in Shanghai on 10 March (15:30 UTC): synced and processed by the cashier (UTC+8).
        late = self._sync_as(self.cashier, datetime(2026, 3, 10, 15, 30))
        self.assertEqual(self._earn_date(late), date(2026, 3, 10))
        # 00:30 in Shanghai on 11 March, still 10 March in UTC: its processing fails at payment and
        # the nightly job, run by a user in UTC, catches it up on the shop's day.
        partner_model = type(self.env["res.partner"])
        with patch.object(partner_model, "_vip_evaluate_after_order", side_effect=UserError("broken")), \
                self.assertLogs("odoo.addons.vip_loyalty.models.pos_order", level="ERROR"):
            early = self._sync_as(self.cashier, datetime(2026, 3, 10, 16, 30))
        self.assertFalse(early.vip_processed)
        self.env["vip.program"].with_user(self.night_user).with_context(tz="UTC")._cron_nightly(
            today=date(2026, 3, 11))
        self.assertTrue(early.vip_processed)
        self.assertEqual(self._earn_date(early), date(2026, 3, 11))
        self.assertEqual(self.member.vip_last_purchase_date, date(2026, 3, 11))
        # The level windows read the same days, whoever asks.
        for user in (self.cashier, self.night_user):
            purchases = self.env["res.partner"].with_user(user).with_context(tz=user.tz).sudo()._vip_purchases(
                self.member.ids, self.env.company)[self.member.id]
            self.assertEqual([p.date for p in purchases], [date(2026, 3, 10), date(2026, 3, 11)])
            self.assertEqual(early.with_user(user).with_context(tz=user.tz)._vip_order_date(), date(2026, 3, 11))

    def test_shop_without_timezone_uses_the_companys(self):
        self.basic_config.vip_tz = False
        self.program.tz = "Asia/Shanghai"
        order = self._sync_as(self.night_user, datetime(2026, 3, 10, 16, 30))
        self.assertEqual(self._earn_date(order), date(2026, 3, 11))

    @freeze_time("2026-03-31 18:00:00")  # 1 April, 02:00 in Shanghai; still 31 March in New York
    def test_birthday_and_member_day_at_the_till_are_the_shops(self):
        self.program.member_day = 1
        self.member._vip_enrol()
        self.member.vip_birthday = date(1990, 4, 1)
        cashier_ny = self.env["res.users"].create({
            "name": "Cashier Ng", "login": "vip_cashier_ny", "tz": "America/New_York",
            "company_id": self.env.company.id, "company_ids": [(6, 0, self.env.company.ids)],
            "groups_id": [(6, 0, self.cashier.groups_id.ids)],
        })
        for user in (self.cashier, cashier_ny):
            summary = self.env["res.partner"].with_user(user).with_context(tz=user.tz).vip_pos_member_summary(
                self.member.id, self.config.id)
            self.assertTrue(summary["birthday_month"], user.tz)
            self.assertTrue(summary["member_day"], user.tz)
