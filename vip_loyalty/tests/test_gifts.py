from datetime import date

import psycopg2
from odoo.exceptions import UserError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestGiftsCare(TransactionCase):
    """Gift planning, greetings, calls, quotas and the birthday list, with frozen dates."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Issue = cls.env["vip.gift.issue"]
        cls.company = cls.env.ref("base.main_company")
        cls.level = {code: cls.env.ref(f"vip_loyalty.vip_level_{code}")
                     for code in ("member", "senior", "vip", "supreme")}
        cls.advisor = new_test_user(cls.env, login="vip_adv_wang", name="Wang Fang",
                                    groups="vip_loyalty.group_vip_advisor")
        cls.advisor2 = new_test_user(cls.env, login="vip_adv_li", name="Li Na",
                                     groups="vip_loyalty.group_vip_advisor")
        cls.shop = cls.env["pos.config"].search([("company_id", "=", cls.company.id)], limit=1)

    def make_member(self, name, level="member", birthday=None, advisor=None):
        partner = self.env["res.partner"].create({
            "name": name, "vip_birthday": birthday, "vip_advisor_id": (advisor or self.advisor).id,
            "email": f"{name.replace(' ', '.').lower()}@example.com",
        })
        partner._vip_enrol(shop=self.shop, enrol_date=date(2025, 1, 15))
        if level != "member":
            partner.sudo().write({"vip_level_id": self.level[level].id})
        return partner

    def issues(self, partner):
        return self.Issue.search([("partner_id", "=", partner.id)])

    def calls(self, partner):
        return self.env["mail.activity"].search([
            ("res_model", "=", "res.partner"), ("res_id", "=", partner.id),
            ("activity_type_id", "=", self.env.ref("mail.mail_activity_data_call").id),
        ])

    def test_birthday_on_the_10th(self):
        chen = self.make_member("Chen Jing", birthday=date(1990, 5, 10))
        self.Issue._cron_daily(today=date(2026, 5, 5))
        self.assertFalse(self.issues(chen), "5 days before: too early")

        self.Issue._cron_daily(today=date(2026, 5, 6))
        gift = self.issues(chen)
        self.assertEqual(len(gift), 1)
        self.assertEqual(gift.rule_id, self.env.ref("vip_loyalty.vip_gift_rule_birthday"))
        self.assertEqual((gift.date_planned, gift.occasion_date), (date(2026, 5, 6), date(2026, 5, 10)))
        self.assertEqual(gift.state, "notified")
        greeting = gift.message_ids.filtered(lambda m: "Happy birthday" in (m.subject or ""))
        self.assertEqual(len(greeting), 1)
        self.assertIn("Wang Fang", greeting.body, "signed by the advisor")
        self.assertIn(self.shop.name or self.company.name, greeting.body, "signed by the shop")
        self.assertIn(chen, gift.message_partner_ids, "the member receives the greeting")
        self.assertFalse(self.calls(chen), "the call is on the day")

        self.Issue._cron_daily(today=date(2026, 5, 6))
        self.assertEqual(len(self.issues(chen)), 1, "re-run: no second gift")
        self.assertEqual(len(gift.message_ids.filtered(lambda m: "Happy birthday" in (m.subject or ""))), 1)

        self.Issue._cron_daily(today=date(2026, 5, 10))
        self.Issue._cron_daily(today=date(2026, 5, 10))
        call = self.calls(chen)
        self.assertEqual(len(call), 1)
        self.assertEqual(call.user_id, self.advisor)
        self.assertEqual(call.date_deadline, date(2026, 5, 10))
        self.assertEqual(len(self.issues(chen)), 1)

        self.Issue._cron_daily(today=date(2026, 6, 9))
        self.assertEqual(gift.state, "notified", "valid 30 days after the birthday")
        self.Issue._cron_daily(today=date(2026, 6, 10))
        self.assertEqual(gift.state, "expired")

    def test_birthday_gift_tiered_by_level(self):
        zhao = self.make_member("Zhao Min", level="vip", birthday=date(1985, 7, 2))
        self.Issue._cron_daily(today=date(2026, 6, 29))
        gift = self.issues(zhao)
        self.assertEqual(gift.rule_id, self.env.ref("vip_loyalty.vip_gift_rule_birthday_premium"))
        self.assertGreaterEqual(gift.product_id.standard_price, 125)

    def test_spring_festival_only_for_eligible_levels(self):
        festival = self.env["vip.holiday"].create({"name": "Spring Festival", "date": date(2028, 1, 26)})
        member = self.make_member("Sun Li")
        senior = self.make_member("Zhou Yan", level="senior")
        supreme = self.make_member("Wu Hong", level="supreme")
        self.Issue._cron_daily(today=date(2028, 1, 22))
        self.assertFalse(self.issues(senior), "lead time is 3 days")
        self.Issue._cron_daily(today=date(2028, 1, 23))
        self.Issue._cron_daily(today=date(2028, 1, 24))
        self.assertFalse(self.issues(member), "Member level is not eligible for holiday gifts")
        for partner in (senior, supreme):
            gift = self.issues(partner)
            self.assertEqual(len(gift), 1)
            self.assertEqual(gift.holiday_id, festival)
            self.assertLessEqual(gift.product_id.standard_price, 25)
            self.assertEqual(len(self.calls(partner)), 1, "a call to pick it up")

    def test_quota_is_a_database_constraint(self):
        chen = self.make_member("Chen Jing", birthday=date(1990, 5, 10))
        self.Issue._cron_daily(today=date(2026, 5, 6))
        gift = self.issues(chen)
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.errors.UniqueViolation), self.cr.savepoint():
            gift.copy({"period_key": gift.period_key})
            self.env.flush_all()
        gift.action_cancel()
        # A cancelled gift frees the quota.
        self.Issue._cron_daily(today=date(2026, 5, 7))
        self.assertEqual(len(self.issues(chen).filtered(lambda g: g.state == "notified")), 1)

    def test_cost_cap_and_floor_checked_against_product_cost(self):
        holiday_rule = self.env.ref("vip_loyalty.vip_gift_rule_holiday")
        with self.assertRaises(ValidationError):
            holiday_rule.product_id = self.env.ref("vip_loyalty.product_gift_birthday")
        with self.assertRaises(ValidationError):
            self.env.ref("vip_loyalty.vip_gift_rule_birthday").product_id = self.env.ref(
                "vip_loyalty.product_gift_holiday")

    def test_pickup_is_signed_for(self):
        chen = self.make_member("Chen Jing", birthday=date(1990, 5, 10))
        self.Issue._cron_daily(today=date(2026, 5, 6))
        gift = self.issues(chen)
        with self.assertRaises(UserError):
            gift.action_confirm_pickup()
        gift.signed_by = "Chen Jing"
        gift.action_confirm_pickup()
        self.assertEqual(gift.state, "delivered")
        self.assertTrue(gift.date_delivered)

    def test_shipped_gift_gets_a_picking(self):
        zhao = self.make_member("Zhao Min", level="vip", birthday=date(1985, 7, 2))
        self.Issue._cron_daily(today=date(2026, 6, 29))
        gift = self.issues(zhao)
        self.assertEqual(gift.delivery, "ship")
        gift.action_ship()
        self.assertEqual(gift.picking_id.partner_id, zhao)
        self.assertEqual(gift.picking_id.move_ids.product_id, gift.product_id)

    def test_points_gift_links_the_redeem_entry(self):
        chen = self.make_member("Chen Jing")
        chen.vip_adjust_points(1200, "opening balance")
        gift = self.Issue.vip_redeem_gift(chen, self.env.ref("vip_loyalty.vip_gift_rule_redemption"))
        self.assertEqual(gift.points_spent, 1000, "the ladder: 1000 points buy an item up to 200")
        self.assertEqual(gift.points_entry_id.entry_type, "redeem")
        self.assertEqual(gift.points_entry_id.points, -1000)
        self.assertEqual(gift.points_entry_id.gift_issue_id, gift)
        self.assertEqual(chen.vip_points_balance, 200)
        with self.assertRaises(UserError):
            self.Issue.vip_redeem_gift(chen, self.env.ref("vip_loyalty.vip_gift_rule_redemption"))

    def test_points_gift_follows_the_companys_ladder(self):
        rule = self.env.ref("vip_loyalty.vip_gift_rule_redemption")
        self.env["vip.points.rule"]._for_company(rule.company_id).ladder_first_points = 800
        wu = self.make_member("Wu Lei")
        wu.vip_adjust_points(1000, "opening balance")
        gift = self.Issue.vip_redeem_gift(wu, rule)
        self.assertEqual(gift.points_spent, 800, "the ladder as configured, not the default 1000")
        self.assertEqual(wu.vip_points_balance, 200)

    def test_birthday_list_pdf_lists_exactly_next_month(self):
        april = [self.make_member("April Ma", birthday=date(1991, 4, 3)),
                 self.make_member("April Gu", level="vip", birthday=date(1979, 4, 28))]
        others = [self.make_member("March He", birthday=date(1991, 3, 31)),
                  self.make_member("May Lu", birthday=date(1988, 5, 1))]
        lost = self.make_member("Lost Qian", birthday=date(1970, 4, 9))
        lost.sudo().vip_state = "lost"
        BList = self.env["vip.birthday.list"]
        self.assertFalse(BList._cron_month_end(today=date(2031, 3, 30)), "only at month end")
        blist = BList._cron_month_end(today=date(2031, 3, 31)).filtered(lambda b: b.company_id == self.company)
        self.assertEqual(blist.month, date(2031, 4, 1))
        self.assertFalse(BList._cron_month_end(today=date(2031, 3, 31)), "re-run: no second list")
        rows = blist._vip_rows()
        self.assertTrue(all(day.month == 4 and day.year == 2031 for _p, day in rows))
        listed = {p for p, _d in rows}
        self.assertTrue(set(april) <= listed)
        self.assertFalse((set(others) | {lost}) & listed)
        expected = self.env["res.partner"].search([
            ("vip_state", "in", ("active", "lapsed")), ("vip_level_id.company_id", "=", self.company.id),
            ("vip_birthday", "!=", False),
        ]).filtered(lambda p: p.vip_birthday.month == 4)
        self.assertEqual(listed, set(expected))
        self.assertTrue(blist.message_ids.attachment_ids, "the month-end PDF is attached")


    def test_reassign_departing_advisor(self):
        members = [self.make_member(f"Member {i}", advisor=self.advisor) for i in range(3)]
        activity = members[0].activity_schedule("mail.mail_activity_data_call", user_id=self.advisor.id)
        third = new_test_user(self.env, login="vip_adv_gao", name="Gao Yu", groups="vip_loyalty.group_vip_advisor")
        wizard = self.env["vip.advisor.reassign"].create({
            "from_user_id": self.advisor.id, "to_user_ids": [(6, 0, (self.advisor2 | third).ids)],
        })
        self.assertEqual(wizard.member_count, 3)
        wizard.action_reassign()
        self.assertFalse(self.env["res.partner"].search_count([("vip_advisor_id", "=", self.advisor.id)]))
        self.assertEqual({m.vip_advisor_id for m in members}, {self.advisor2, third})
        self.assertIn(activity.user_id, self.advisor2 | third)
        with self.assertRaises(UserError):
            self.env["vip.advisor.reassign"].create({
                "from_user_id": self.advisor2.id, "to_user_ids": [(6, 0, self.advisor2.ids)],
            }).action_reassign()

    def test_promotion_announced_three_days_ahead(self):
        # Not classified yet: the promotion's key levels decide. Classified: class A decides.
        key = self.make_member("Key Member", level="supreme")
        other = self.make_member("Other Member", level="senior")
        top = self.make_member("Class A Member", level="senior")
        low = self.make_member("Class C Member", level="supreme")
        top.sudo().write({"vip_abc_class": "A"})
        low.sudo().write({"vip_abc_class": "C"})
        (key | other | top | low).write({"vip_accepts_promotions": "yes"})
        promo = self.env["vip.promotion"].create({
            "name": "Spring collection preview", "date_start": date(2026, 3, 20),
            "message": "<p>Our spring collection preview starts on 20 March.</p>",
            "key_level_ids": [(6, 0, self.level["supreme"].ids)],
        })
        self.assertEqual(promo.notice_days, 3)
        promo.action_schedule()
        Step = self.env["vip.contact.step"]
        Step._cron_daily(today=date(2026, 3, 16))
        self.assertEqual(promo.state, "scheduled")
        Step._cron_daily(today=date(2026, 3, 17))
        Step._cron_daily(today=date(2026, 3, 17))
        self.assertEqual(promo.state, "announced")
        self.assertEqual(len(self.calls(key)), 1, "members of a key level get a phone task")
        self.assertEqual(len(self.calls(top)), 1, "class A members get a phone task")
        for partner in (other, low):
            self.assertFalse(self.calls(partner))
            self.assertEqual(len(partner.message_ids.filtered(lambda m: m.subject == promo.name)), 1)

    def test_gift_issue_list_report(self):
        chen = self.make_member("Chen Jing", birthday=date(1990, 5, 10))
        self.Issue._cron_daily(today=date(2026, 5, 6))
        gift = self.issues(chen)
        html = self.env["ir.actions.report"]._render_qweb_html(
            "vip_loyalty.action_report_vip_gift_issue_list", gift.ids)[0].decode()
        self.assertIn(gift.name, html)
        self.assertIn("Chen Jing", html)

