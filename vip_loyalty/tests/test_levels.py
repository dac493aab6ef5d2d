from dateutil.relativedelta import relativedelta
from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger
from psycopg2 import IntegrityError

from .common import VipPosCommon


@tagged("post_install", "-at_install")
class TestLevels(VipPosCommon):
    def test_first_purchase_enrols_as_member(self):
        self.sync([(self.product_100, 1)])
        self.assertEqual(self.member.vip_state, "active")
        self.assertTrue(self.member.vip_card_number)
        self.assertEqual(self.member.vip_level_id.code, "MEMBER")
        self.assertEqual(self.member.vip_enrol_shop_id, self.config)

    def test_no_auto_enrol_when_switched_off(self):
        self.program.auto_enrol = False
        self.sync([(self.product_100, 1)])
        self.assertEqual(self.member.vip_state, "none")
        self.assertFalse(self.member.vip_points_entry_ids)

    def test_single_purchase_1000_gives_senior(self):
        order = self.sync([(self.product_1000, 1)])
        self.assertEqual(self.member.vip_level_id.code, "SENIOR")
        history = self.member.vip_level_history_ids.filtered(lambda h: h.to_level_id.code == "SENIOR")
        self.assertEqual(history.reason, "upgrade")
        self.assertEqual(history.pos_order_id, order)
        self.assertIn("single purchase 1,000.00 ≥ 1,000.00", history.rule_description)
        self.assertEqual(self.member.vip_level_valid_until, self.member.vip_level_since + relativedelta(months=12))

    def test_cumulative_4000_gives_vip(self):
        self.sync([(self.product_2000, 1)])
        self.assertEqual(self.member.vip_level_id.code, "SENIOR")
        self.sync([(self.product_2000, 1)])
        self.assertEqual(self.member.vip_level_id.code, "VIP")
        self.assertEqual(self.member.vip_lifetime_spend, 4000)
        self.assertEqual(self.member.vip_purchase_count, 2)

    def test_5000_points_gives_supreme(self):
        # 5 orders of 1000 → 500 points; adjust the rest as a manager would for a transfer.
        self.sync([(self.product_100, 1)])
        self.member.vip_adjust_points(5000, "points transferred from the old card system")
        self.sync([(self.product_100, 1)])
        self.assertEqual(self.member.vip_level_id.code, "SUPREME")
        last = self.env["vip.level.history"].search([("partner_id", "=", self.member.id)], order="id desc", limit=1)
        self.assertIn("points 5,", last.rule_description)

    def test_replayed_order_changes_nothing(self):
        order = self.sync([(self.product_1000, 1)])
        history_count = len(self.member.vip_level_history_ids)
        balance = self.member.vip_points_balance
        replay = self.sync([(self.product_1000, 1)], uuid=order.uuid)
        self.assertFalse(replay)
        self.assertEqual(self.env["pos.order"].search_count([("uuid", "=", order.uuid)]), 1)
        self.assertEqual(len(self.member.vip_level_history_ids), history_count)
        self.assertEqual(self.member.vip_points_balance, balance)
        self.assertEqual(self.member.vip_purchase_count, 1)

    def test_decay_and_lost_by_nightly_cron(self):
        self.sync([(self.product_1000, 1)])
        self.assertEqual(self.member.vip_level_id.code, "SENIOR")
        today = self.env.company._vip_today()
        self.env["vip.program"]._cron_nightly(today=today + relativedelta(months=7))
        self.assertEqual(self.member.vip_level_id.code, "MEMBER")
        self.assertEqual(self.member.vip_level_history_ids[0].reason, "downgrade")
        # Re-running the same night changes nothing.
        count = len(self.member.vip_level_history_ids)
        self.env["vip.program"]._cron_nightly(today=today + relativedelta(months=7))
        self.assertEqual(len(self.member.vip_level_history_ids), count)
        self.env["vip.program"]._cron_nightly(today=today + relativedelta(months=13))
        self.assertEqual(self.member.vip_state, "lost")
        self.assertTrue(self.member.exists(), "lost customers stay in the database")

    def test_permanent_level_never_drops(self):
        gold = self.levels["SUPREME"]
        gold.write({"is_permanent": True, "validity_months": 0})
        self.sync([(self.product_2000, 2)])
        self.assertEqual(self.member.vip_level_id, gold)
        today = self.env.company._vip_today()
        for months in (7, 13, 25):
            self.env["vip.program"]._cron_nightly(today=today + relativedelta(months=months))
            self.assertEqual(self.member.vip_level_id, gold)

    def test_bad_thresholds_are_refused_and_nothing_written(self):
        senior = self.levels["SENIOR"]
        with self.assertRaisesRegex(ValidationError, "invalid"), self.env.cr.savepoint():
            senior.write({"min_cumulative_spend": 5000})  # above VIP's 4000
        senior.invalidate_recordset()
        self.assertEqual(senior.min_cumulative_spend, 2000)
        with self.assertRaisesRegex(ValidationError, "negative"), self.env.cr.savepoint():
            senior.write({"min_single_purchase": -1})
        senior.invalidate_recordset()
        self.assertEqual(senior.min_single_purchase, 1000)
        # The database refuses it; over RPC Odoo shows the constraint's message.
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.env.cr.savepoint():
            self.env["vip.level"].create({"name": "Dup", "code": "VIP", "sequence": 99})
        self.assertEqual(self.env["vip.level"].search_count([("code", "=", "VIP")]), 1)

    def test_seed_002_scheme_by_configuration_alone(self):
        """VIP for a year at 1,800 cumulative or 500 single; +500 renews; 5,000 lifetime is permanent Gold."""
        self.program.write({"decay_months": 0, "lost_months": 0})
        self.levels["SUPREME"].active = False
        self.levels["SENIOR"].active = False
        self.levels["VIP"].write({
            "min_single_purchase": 500, "min_cumulative_spend": 1800, "qualify_window": "rolling_12m",
            "validity_months": 12, "retention_annual_spend": 500,
        })
        gold = self.env["vip.level"].create({
            "name": "Gold", "code": "GOLD", "sequence": 50, "min_single_purchase": 0,
            "min_cumulative_spend": 5000, "qualify_window": "lifetime", "is_permanent": True,
        })
        self.sync([(self.product_559, 1)])
        self.assertEqual(self.member.vip_level_id.code, "VIP")
        valid_until = self.member.vip_level_valid_until
        # 500 more during the year, then the year ends: renewed for another year.
        self.sync([(self.product_559, 1)], date_order=fields.Datetime.now() + relativedelta(days=1))
        self.env["vip.program"]._cron_nightly(today=valid_until + relativedelta(days=1))
        self.assertEqual(self.member.vip_level_id.code, "VIP")
        self.assertEqual(self.member.vip_level_valid_until, valid_until + relativedelta(months=12))
        last = self.env["vip.level.history"].search([("partner_id", "=", self.member.id)], order="id desc", limit=1)
        self.assertEqual(last.reason, "renewal")
        # Lifetime 5,000 → permanent Gold.
        self.sync([(self.product_2000, 3)])
        self.assertEqual(self.member.vip_level_id, gold)
        self.env["vip.program"]._cron_nightly(today=valid_until + relativedelta(months=30))
        self.assertEqual(self.member.vip_level_id, gold)
