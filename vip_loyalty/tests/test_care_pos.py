from datetime import date, timedelta

from odoo.tests import new_test_user, tagged

from .common import VipPosCommon


@tagged("post_install", "-at_install")
class TestCarePos(VipPosCommon):
    """Follow-ups, gift delivery and the contact plan driven by real sync_from_ui orders."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.advisor = new_test_user(cls.env, login="vip_pos_adv", name="Advisor Xu",
                                    groups="vip_loyalty.group_vip_advisor",
                                    company_ids=[(6, 0, cls.env.company.ids)], company_id=cls.env.company.id)
        cls.member.vip_advisor_id = cls.advisor
        cls.followup_type = cls.env.ref("vip_loyalty.mail_activity_type_vip_followup")
        cls.call_type = cls.env.ref("mail.mail_activity_data_call")
        cls.gift_product = cls.create_product("Birthday scarf", cls.categ_basic, 199.0, standard_price=130.0)
        cls.gift_rule = cls.env["vip.gift.rule"].create({
            "name": "Birthday gift", "occasion": "birthday", "product_id": cls.gift_product.id,
            "cost_min": 125, "lead_days": 4,
        })

    def run_care(self):
        """What the care cron does a minute after the sales."""
        return self.env["pos.order"]._cron_vip_care()

    def activities(self, activity_type, partner=None):
        return self.env["mail.activity"].search([
            ("res_model", "=", "res.partner"), ("res_id", "=", (partner or self.member).id),
            ("activity_type_id", "=", activity_type.id),
        ])

    def test_sale_creates_one_followup_within_a_week(self):
        order = self.sync([(self.product_559, 1)])
        self.assertFalse(self.activities(self.followup_type), "not in the till's transaction")
        self.run_care()
        followup = self.activities(self.followup_type)
        self.assertEqual(len(followup), 1)
        self.assertEqual(followup.user_id, self.advisor)
        order_day = order._vip_order_date()
        self.assertTrue(order_day <= followup.date_deadline <= order_day + timedelta(days=7))
        self.assertFalse(self.activities(self.call_type), "no call below 2,000")
        # Replays of the same order create nothing more.
        self.sync([(self.product_559, 1)], uuid=order.uuid)
        order.action_pos_order_paid()
        self.assertEqual(self.run_care(), 0)
        self.assertEqual(len(self.activities(self.followup_type)), 1)
        # The next sale is a new follow-up.
        self.sync([(self.product_100, 1)])
        self.run_care()
        self.assertEqual(len(self.activities(self.followup_type)), 2)

    def test_big_purchase_gets_calls_after_a_week_and_a_month(self):
        order = self.sync([(self.product_2000, 1)])
        self.run_care()
        day = order._vip_order_date()
        calls = self.activities(self.call_type)
        self.assertEqual(sorted(calls.mapped("date_deadline")), [day + timedelta(days=7), day + timedelta(days=30)])
        self.assertEqual(len(self.activities(self.followup_type)), 1)

    def test_threshold_is_configurable(self):
        self.program.care_big_purchase_amount = 500
        self.sync([(self.product_559, 1)])
        self.run_care()
        self.assertEqual(len(self.activities(self.call_type)), 2)

    def test_order_without_customer_schedules_nothing(self):
        data = self.create_ui_order_data([(self.product_559, 1)])
        data["state"] = "paid"
        before = self.env["mail.activity"].search_count([("activity_type_id", "=", self.followup_type.id)])
        self.env["pos.order"].sync_from_ui([data])
        self.run_care()
        after = self.env["mail.activity"].search_count([("activity_type_id", "=", self.followup_type.id)])
        self.assertEqual(before, after)

    def sync_with_gift(self, issue, extra_lines=()):
        lines = list(extra_lines) + [{"product": issue.product_id, "quantity": 1, "vip_gift_issue_id": issue.id}]
        data = self.create_ui_order_data(lines, customer=issue.partner_id)
        for _cmd, _id, vals in data["lines"]:
            if vals.get("vip_gift_issue_id"):
                vals.update(price_unit=0.0, price_subtotal=0.0, price_subtotal_incl=0.0)
        total = sum(vals["price_subtotal_incl"] for _c, _i, vals in data["lines"])
        data.update(amount_total=total, amount_paid=total, amount_tax=0.0, state="paid")
        data["payment_ids"][0][2]["amount"] = total
        result = self.env["pos.order"].sync_from_ui([data])
        return self.env["pos.order"].browse([o["id"] for o in result["pos.order"]])

    def test_gift_delivered_with_a_zero_price_pos_line(self):
        self.member._vip_enrol(shop=self.config)
        issue = self.env["vip.gift.issue"].create({
            "partner_id": self.member.id, "rule_id": self.gift_rule.id, "product_id": self.gift_product.id,
            "occasion": "birthday", "occasion_date": self.env.company._vip_today(), "period_key": "test",
        })
        order = self.sync_with_gift(issue, extra_lines=[(self.product_559, 1)])
        # Taken at the till at once (never offered again), delivered by the care job.
        self.assertEqual((issue.state, issue.pos_order_id), ("planned", order))
        self.assertFalse(self.env["vip.gift.issue"].vip_pos_open_gifts(self.member.id))
        self.run_care()
        self.assertEqual(issue.state, "delivered")
        self.assertEqual(issue.pos_order_id, order)
        gift_line = order.lines.filtered("vip_gift_issue_id")
        self.assertEqual(gift_line.price_subtotal_incl, 0.0)
        self.assertEqual(order.vip_points_earned, 55, "the gift earns no points")

    def test_contact_plan_from_first_purchase(self):
        Step = self.env["vip.contact.step"]
        company = self.env.company
        self.sync([(self.product_559, 1)], date_order=self.at(2026, 1, 1))
        logs = self.env["vip.care.log"].search([("partner_id", "=", self.member.id), ("kind", "=", "contact_step")])
        self.assertFalse(logs)
        Step._vip_run_plan(date(2026, 1, 6), company, 1000)
        thanks = self.member.message_ids.filtered(lambda m: m.subject == "Thank you for your visit")
        self.assertEqual(len(thanks), 1, "day 5: a thank-you message")
        Step._vip_run_plan(date(2026, 1, 7), company, 1000)
        self.assertEqual(len(self.member.message_ids.filtered(lambda m: m.subject == "Thank you for your visit")), 1)
        calls_before = len(self.activities(self.call_type))
        Step._vip_run_plan(date(2026, 1, 17), company, 1000)
        Step._vip_run_plan(date(2026, 1, 17), company, 1000)
        self.assertEqual(len(self.activities(self.call_type)), calls_before + 1, "days 15-20: one call")
        # Lost members are kept out of care.
        self.member.sudo().vip_state = "lost"
        Step._vip_run_plan(date(2026, 1, 31), company, 1000)
        self.assertEqual(len(self.activities(self.call_type)), calls_before + 1)

    def test_level_upgrade_gift_planned_once(self):
        rule = self.env["vip.gift.rule"].create({
            "name": "Senior welcome", "occasion": "level_upgrade", "product_id": self.gift_product.id,
            "level_ids": [(6, 0, self.levels["SENIOR"].ids)], "lead_days": 7,
        })
        order = self.sync([(self.product_2000, 1)])
        self.assertEqual(self.member.vip_level_id, self.levels["SENIOR"])
        day = order._vip_order_date()
        Issue = self.env["vip.gift.issue"]
        Issue._cron_daily(today=day)
        Issue._cron_daily(today=day + timedelta(days=1))
        gift = Issue.search([("partner_id", "=", self.member.id), ("rule_id", "=", rule.id)])
        self.assertEqual(len(gift), 1)
        self.assertEqual(gift.occasion_date, day)
        self.assertEqual(Issue.vip_pos_open_gifts(self.member.id)[0]["id"], gift.id)

    def test_year_end_gift_for_top_spenders(self):
        rule = self.env["vip.gift.rule"].create({
            "name": "Top spender", "occasion": "annual_top_spender", "product_id": self.gift_product.id,
            "top_spender_count": 1, "lead_days": 10,
        })
        other = self.env["res.partner"].create({"name": "Small Spender"})
        self.sync([(self.product_1000, 1)])
        self.sync([(self.product_100, 1)], customer=other)
        year = self.env.company._vip_today().year
        Issue = self.env["vip.gift.issue"]
        Issue._cron_daily(today=date(year, 12, 20))
        self.assertFalse(Issue.search([("rule_id", "=", rule.id)]), "planned from 10 days before year end")
        Issue._cron_daily(today=date(year, 12, 21))
        Issue._cron_daily(today=date(year, 12, 22))
        gifts = Issue.search([("rule_id", "=", rule.id)])
        self.assertEqual(gifts.partner_id, self.member)
        self.assertEqual(gifts.occasion_date, date(year, 12, 31))

