from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import new_test_user, tagged
from odoo.tools import html2plaintext

from ..models import pos_order as pos_order_module
from .common import VipPosCommon

LOGGER = "odoo.addons.vip_loyalty.models.pos_order"
NOTE = "Ask how the purchase suits %s: care instructions, outfit advice, questions."


@tagged("post_install", "-at_install")
class TestCareJob(VipPosCommon):
    """The care job schedules after the sale exactly what the order's transaction scheduled
    before (issue 18): one follow-up per member sale, two calls from 2,000, gifts delivered."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.advisor = new_test_user(cls.env, login="vip_job_adv", name="Advisor Lin",
                                    groups="vip_loyalty.group_vip_advisor",
                                    company_ids=[(6, 0, cls.env.company.ids)], company_id=cls.env.company.id)
        cls.member.vip_advisor_id = cls.advisor
        cls.other = cls.env["res.partner"].create({"name": "Wang Fang", "phone": "+86 138 0000 0002"})
        cls.followup_type = cls.env.ref("vip_loyalty.mail_activity_type_vip_followup")
        cls.call_type = cls.env.ref("mail.mail_activity_data_call")
        cls.gift_product = cls.create_product("Birthday scarf", cls.categ_basic, 199.0, standard_price=130.0)
        cls.gift_rule = cls.env["vip.gift.rule"].create({
            "name": "Birthday gift", "occasion": "birthday", "product_id": cls.gift_product.id, "cost_min": 125,
        })

    def run_care(self):
        return self.env["pos.order"]._cron_vip_care()

    def care_state(self):
        """Everything care writes: activities on the members, care logs, the gift's delivery."""
        partners = (self.member | self.other).ids
        activities = self.env["mail.activity"].search([("res_model", "=", "res.partner"), ("res_id", "in", partners)])
        logs = self.env["vip.care.log"].search([("partner_id", "in", partners)])
        return (
            {(a.res_id, a.activity_type_id, a.user_id, a.date_deadline, a.summary, html2plaintext(a.note))
             for a in activities},
            {(log.partner_id.id, log.key, log.kind, log.date, log.user_id, log.activity_id.summary) for log in logs},
        )

    def sync_with_gift(self, issue):
        data = self.create_ui_order_data(
            [(self.product_559, 1), {"product": issue.product_id, "quantity": 1, "vip_gift_issue_id": issue.id}],
            customer=issue.partner_id,
        )
        for _cmd, _id, vals in data["lines"]:
            if vals.get("vip_gift_issue_id"):
                vals.update(price_unit=0.0, price_subtotal=0.0, price_subtotal_incl=0.0)
        total = sum(vals["price_subtotal_incl"] for _c, _i, vals in data["lines"])
        data.update(amount_total=total, amount_paid=total, amount_tax=0.0, state="paid")
        data["payment_ids"][0][2]["amount"] = total
        result = self.env["pos.order"].sync_from_ui([data])
        return self.env["pos.order"].browse([o["id"] for o in result["pos.order"]])

    def test_job_schedules_what_the_order_transaction_did(self):
        small = self.sync([(self.product_559, 1)])
        big = self.sync([(self.product_2000, 1)])
        issue = self.env["vip.gift.issue"].create({
            "partner_id": self.member.id, "rule_id": self.gift_rule.id, "product_id": self.gift_product.id,
            "occasion": "birthday", "occasion_date": self.env.company._vip_today(), "period_key": "job",
        })
        with_gift = self.sync_with_gift(issue)
        refund = self.refund(small, {self.product_559: 1})
        anonymous = self.env["pos.order"].sync_from_ui([
            dict(self.create_ui_order_data([(self.product_100, 1)]), state="paid")
        ])["pos.order"][0]["id"]
        enrolled = self.sync([(self.product_100, 1)], customer=self.other)  # enrolled by the sale, no advisor
        orders = small | big | with_gift | refund | enrolled | self.env["pos.order"].browse(anonymous)
        # The till's transaction did points and level only; care is flagged for the member sales.
        self.assertEqual(orders.filtered("vip_processed"), small | big | with_gift | refund | enrolled)
        self.assertEqual(orders.filtered("vip_care_pending"), small | big | with_gift | enrolled)
        self.assertEqual(self.care_state(), (set(), set()))
        self.assertEqual(small.vip_points_earned, 55)

        self.assertEqual(self.run_care(), 4)

        # The previous in-transaction code's result, rule by rule: a follow-up within 7 days of
        # the sale for the member's advisor (else the cashier), a call at 7 and at 30 days from
        # 2,000, one care log per touch dated the day the order reached the server.
        expected_activities, expected_logs = set(), set()
        for order, advisor in ((small, self.advisor), (big, self.advisor), (with_gift, self.advisor),
                               (enrolled, enrolled.user_id)):
            day = order._vip_order_date()
            touches = [("followup", self.followup_type, 7, "Follow-up")]
            if order.amount_total >= 2000:
                touches += [("big_purchase_call", self.call_type, 7, "One-week call"),
                            ("month_call", self.call_type, 30, "One-month call")]
            for kind, activity_type, days, label in touches:
                summary = f"{label}: {order.name}"
                note = NOTE % order.partner_id.name
                expected_activities.add(
                    (order.partner_id.id, activity_type, advisor, day + timedelta(days=days), summary, note))
                sync_day = order.company_id._vip_local_date(order.create_date, order.config_id)
                expected_logs.add((order.partner_id.id, f"order{order.id}:{kind}", kind, sync_day, advisor, summary))
        self.assertEqual(self.care_state(), (expected_activities, expected_logs))
        self.assertEqual(len(expected_activities), 6)
        self.assertEqual(
            (issue.state, issue.pos_order_id, issue.date_delivered), ("delivered", with_gift, with_gift.create_date)
        )
        self.assertEqual(orders.filtered("vip_care_done"), small | big | with_gift | enrolled)
        self.assertFalse(orders.filtered("vip_care_pending"))

        # A re-run, or the same orders synced and paid again, creates nothing.
        self.sync([(self.product_559, 1)], uuid=small.uuid)
        small.action_pos_order_paid()
        self.assertEqual(self.run_care(), 0)
        self.assertEqual(self.care_state(), (expected_activities, expected_logs))

    def test_failing_order_does_not_block_the_others(self):
        first = self.sync([(self.product_559, 1)])
        broken = self.sync([(self.product_1000, 1)])
        last = self.sync([(self.product_100, 1)])
        order_model = type(self.env["pos.order"])
        schedule = order_model._vip_schedule_care

        def fail_on_broken(orders):
            if orders.id == broken.id:
                raise ValueError("advisor calendar unavailable")
            return schedule(orders)

        with patch.object(order_model, "_vip_schedule_care", fail_on_broken), \
                self.assertLogs(LOGGER, level="ERROR") as logs:
            self.assertEqual(self.run_care(), 2)
        self.assertIn(f"care of paid order {broken.name} failed", logs.output[0])
        followups = self.env["mail.activity"].search([
            ("res_model", "=", "res.partner"), ("res_id", "=", self.member.id),
            ("activity_type_id", "=", self.followup_type.id),
        ])
        self.assertEqual(sorted(followups.mapped("summary")), sorted(f"Follow-up: {o.name}" for o in first | last))
        self.assertEqual((broken.vip_care_pending, broken.vip_care_attempts), (True, 1))
        # The next run retries it alone.
        self.assertEqual(self.run_care(), 1)
        self.assertEqual(len(followups.search([("id", "not in", followups.ids), ("res_id", "=", self.member.id),
                                               ("res_model", "=", "res.partner")])), 1)
        self.assertEqual((broken.vip_care_pending, broken.vip_care_done), (False, True))

    def test_order_failing_every_run_is_left_after_five(self):
        broken = self.sync([(self.product_559, 1)])
        with patch.object(type(self.env["pos.order"]), "_vip_schedule_care", side_effect=ValueError("broken")), \
                self.assertLogs(LOGGER, level="ERROR"):
            for _run in range(6):
                self.run_care()
        self.assertEqual((broken.vip_care_pending, broken.vip_care_attempts), (True, 5))

    def test_sale_triggers_the_care_job_once(self):
        cron = self.env.ref("vip_loyalty.ir_cron_vip_order_care")
        triggers = self.env["ir.cron.trigger"].sudo()
        triggers.search([("cron_id", "=", cron.id)]).unlink()  # left by committed tests a minute ago
        with patch.dict(pos_order_module._CARE_TRIGGER_WAITING, clear=True):
            self.sync([(self.product_559, 1)])
            self.sync([(self.product_100, 1)])
        added = triggers.search([("cron_id", "=", cron.id)])
        self.assertEqual(len(added), 1, "one waiting trigger serves the sales that follow")
        self.assertGreater(added.call_at, fields.Datetime.now())
        self.assertLessEqual(added.call_at, fields.Datetime.now() + timedelta(minutes=2))
