import re
from datetime import date

from odoo.addons.sms.tests.common import SMSCase
from odoo.exceptions import UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import VipPosCommon


def digits(number):
    return re.sub(r"\D", "", number or "")


@tagged("post_install", "-at_install")
class TestVipReach(VipPosCommon, SMSCase):
    """Messages by the member's channel, consent, notices before a loss, year-end vouchers, events;
    on real sync_from_ui orders and the real crons, SMS captured by Odoo's own SMS test helpers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program.member_day = 0
        cls.advisor = new_test_user(cls.env, login="vip_reach_adv", name="Advisor Qin",
                                    groups="vip_loyalty.group_vip_advisor",
                                    company_ids=[(6, 0, cls.env.company.ids)], company_id=cls.env.company.id)
        # Most members give a mobile number and no email.
        cls.member.write({"phone": False, "mobile": "+86 139 0000 0002", "vip_advisor_id": cls.advisor.id})
        cls.member._vip_enrol()
        cls.emailer = cls.env["res.partner"].create({
            "name": "Li Na", "mobile": "+86 139 0000 0003", "email": "li.na@example.com", "vip_channel": "email",
        })
        cls.emailer._vip_enrol()
        cls.cashier = cls.env["res.users"].create({
            "name": "Cashier Zhou", "login": "vip_reach_cashier", "company_id": cls.env.company.id,
            "company_ids": [(6, 0, cls.env.company.ids)],
            "groups_id": [(6, 0, [cls.env.ref("base.group_user").id, cls.env.ref("point_of_sale.group_pos_user").id])],
        })
        cls.voucher_product = cls.env.ref("vip_loyalty.product_vip_voucher")

    def logs(self, partner, kind):
        return self.env["vip.care.log"].search([("partner_id", "=", partner.id), ("kind", "=", kind)])

    def sms_to(self, partner):
        return [s for s in self._sms if digits(s["number"]).endswith(digits(partner.mobile)[-11:])]

    def send_sms_queue(self):
        """Odoo's SMS cron: the queued messages go out through IAP (mocked)."""
        self.env.ref("sms.ir_cron_sms_scheduler_action").sudo().method_direct_trigger()

    def email_notified(self, partner):
        return self.env["mail.notification"].search([
            ("res_partner_id", "=", partner.id), ("notification_type", "=", "email"),
        ])

    # -- channels and consent -------------------------------------------------------------------

    def test_thanks_by_sms_to_mobile_only_and_by_email_to_who_prefers_it(self):
        self.sync([(self.product_559, 1)], date_order=self.at(2026, 3, 2))
        self.sync([(self.product_559, 1)], customer=self.emailer, date_order=self.at(2026, 3, 2))
        with self.mockSMSGateway():
            self.env["vip.contact.step"]._cron_daily(today=date(2026, 3, 7))
            self.send_sms_queue()
        sent = self.sms_to(self.member)
        self.assertEqual(len(sent), 1, "the mobile-only member gets the thank-you by SMS")
        self.assertIn("Thank you for your visit", sent[0]["body"])
        self.assertFalse(self.sms_to(self.emailer), "who prefers email gets no SMS")
        self.assertTrue(self.email_notified(self.emailer), "who prefers email gets an email")
        self.assertFalse(self.email_notified(self.member))
        log = self.logs(self.member, "contact_step")
        self.assertEqual((log.message_channel, log.channel), ("sms", "message"))
        self.assertIn("Thank you for your visit", log.message_text)
        self.assertEqual(self.logs(self.emailer, "contact_step").message_channel, "email")
        with self.mockSMSGateway():
            self.env["vip.contact.step"]._cron_daily(today=date(2026, 3, 8))
            self.send_sms_queue()
        self.assertFalse(self._sms, "a re-run sends nothing again")

    def test_programme_default_channel(self):
        self.program.reach_default_channel = "email"
        both = self.env["res.partner"].create({"name": "Zhao Lei", "mobile": "13900000004", "email": "z@example.com"})
        self.assertEqual(both._vip_reach_channel(self.env.company), "email")
        self.assertEqual(self.member._vip_reach_channel(self.env.company), "sms", "no email: SMS")
        both.vip_channel = "sms"
        self.assertEqual(both._vip_reach_channel(self.env.company), "sms")

    def test_promotion_only_with_consent(self):
        consenting = self.env["res.partner"].create({
            "name": "Wang Fang", "mobile": "+86 139 0000 0005", "vip_accepts_promotions": "yes",
        })
        consenting._vip_enrol()
        self.emailer.vip_accepts_promotions = "no"
        promo = self.env["vip.promotion"].create({
            "name": "Winter preview", "date_start": date(2026, 11, 20),
            "message": "<p>Our winter collection preview starts on 20 November.</p>",
        })
        promo.action_schedule()
        with self.mockSMSGateway():
            self.env["vip.contact.step"]._cron_daily(today=date(2026, 11, 18))
            self.send_sms_queue()
        self.assertEqual(len(self.sms_to(consenting)), 1)
        self.assertIn("Winter preview", self.sms_to(consenting)[0]["body"])
        self.assertFalse(self.sms_to(self.member), "no consent given: nothing")
        self.assertFalse(self.sms_to(self.emailer), "consent refused: nothing")
        self.assertFalse(self.email_notified(self.emailer))
        self.assertFalse(self.logs(self.member, "promotion") | self.logs(self.emailer, "promotion"))
        self.assertEqual(self.logs(consenting, "promotion").message_channel, "sms")

    # -- notices before a loss -------------------------------------------------------------------

    def test_one_points_expiry_notice_thirty_days_ahead(self):
        expiry = date(2026, 12, 31)
        self.env["vip.points.entry"]._vip_post([{
            "partner_id": self.member.id, "company_id": self.env.company.id, "date": date(2026, 1, 10),
            "points": 300, "entry_type": "adjust", "expiry_date": expiry, "rule_description": "test lot",
        }])
        self.member.sudo().vip_abc_class = "A"
        Notice = self.env["vip.notice.step"]
        with self.mockSMSGateway():
            Notice._cron_daily(today=date(2026, 11, 30))
            self.send_sms_queue()
        self.assertFalse(self.sms_to(self.member), "31 days ahead: not yet")
        with self.mockSMSGateway():
            Notice._cron_daily(today=date(2026, 12, 1))
            self.send_sms_queue()
        sent = self.sms_to(self.member)
        self.assertEqual(len(sent), 1, "30 days ahead: one notice")
        self.assertIn("300 points expire after 2026-12-31", sent[0]["body"])
        task = self.env["mail.activity"].search([("res_model", "=", "res.partner"), ("res_id", "=", self.member.id),
                                                 ("summary", "=", "Your points expire soon")])
        self.assertEqual(task.user_id, self.advisor, "the advisor of an A-class member gets a task")
        with self.mockSMSGateway():
            Notice._cron_daily(today=date(2026, 12, 1))
            Notice._cron_daily(today=date(2026, 12, 15))
            self.send_sms_queue()
        self.assertFalse(self._sms, "none on a re-run")
        self.assertEqual(len(self.logs(self.member, "notice").filtered(lambda entry: entry.channel == "message")), 1)

    def test_level_validity_notice(self):
        self.member.sudo().write({"vip_level_id": self.levels["SENIOR"].id,
                                  "vip_level_valid_until": date(2027, 3, 31)})
        with self.mockSMSGateway():
            self.env["vip.notice.step"]._cron_daily(today=date(2027, 3, 1))
            self.env["vip.notice.step"]._cron_daily(today=date(2027, 3, 2))
            self.send_sms_queue()
        self.assertEqual(len(self.sms_to(self.member)), 1)
        self.assertIn("valid until 2027-03-31", self.sms_to(self.member)[0]["body"])

    # -- year-end vouchers -----------------------------------------------------------------------

    def give_points(self, partner, points, on=date(2026, 6, 1)):
        self.env["vip.points.entry"]._vip_post([{
            "partner_id": partner.id, "company_id": self.env.company.id, "date": on, "points": points,
            "entry_type": "adjust", "expiry_date": date(2026, 12, 31), "rule_description": "test lot",
        }])

    def convert(self, today=date(2026, 12, 1)):
        with self.mockSMSGateway():
            self.env["vip.voucher"]._cron_daily(today=today)
            self.send_sms_queue()
        return self.env["vip.voucher"].search([("partner_id", "=", self.member.id)], order="amount desc")

    def sync_voucher(self, voucher_code, price, date_order=None, uuid=None, user=None):
        data = self.create_ui_order_data([(self.product_559, 1), (self.voucher_product, 1)], customer=self.member,
                                         uuid=uuid)
        total = 0.0
        for _cmd, _id, line in data["lines"]:
            if line["product_id"] == self.voucher_product.id:
                line.update(price_unit=price, vip_voucher_code=voucher_code)
            line["price_subtotal"] = line["price_subtotal_incl"] = line["price_unit"] * line["qty"]
            total += line["price_subtotal_incl"]
        data.update(amount_total=total, amount_paid=total, state="paid")
        data["payment_ids"][0][2]["amount"] = total
        if date_order:
            data["date_order"] = date_order.strftime("%Y-%m-%d %H:%M:%S")
        orders = self.env["pos.order"].with_user(user or self.cashier)
        result = orders.sync_from_ui([data])
        return self.env["pos.order"].browse([o["id"] for o in result["pos.order"]])

    def ledger_sum(self, partner):
        return sum(self.env["vip.points.entry"].search([("partner_id", "=", partner.id)]).mapped("points"))

    def test_year_end_vouchers_converted_once_and_used_once(self):
        self.give_points(self.member, 1234)
        self.assertFalse(self.convert(today=date(2026, 11, 30)), "not before 1 December")
        vouchers = self.convert()
        self.assertEqual(vouchers.mapped("amount"), [100.0, 23.0], "points / 10, faces 10-100")
        self.assertEqual(set(vouchers.mapped("valid_until")), {date(2027, 1, 15)})
        entry = vouchers.points_entry_id
        self.assertEqual((entry.points, entry.entry_type), (-1230, "voucher"))
        self.assertEqual(self.member.vip_points_balance, 4)
        self.assertEqual(self.ledger_sum(self.member), self.member.vip_points_balance)
        sent = self.sms_to(self.member)
        self.assertEqual(len(sent), 1, "the member is told by SMS")
        self.assertIn(vouchers[0].name, sent[0]["body"])
        self.assertEqual(self.logs(self.member, "voucher").message_channel, "sms")
        # Converting twice for the same year changes nothing.
        self.give_points(self.member, 500)
        self.assertEqual(self.convert(today=date(2026, 12, 2)), vouchers)
        self.assertEqual(self.member.vip_points_balance, 504)
        self.assertFalse(self._sms)
        # At the till, as a cashier without any VIP right.
        check = self.env["vip.voucher"].with_user(self.cashier).vip_pos_check(vouchers[0].name.lower(),
                                                                                 self.config.id)
        self.assertTrue(check["ok"])
        self.assertEqual((check["amount"], check["product_id"]), (100.0, self.voucher_product.id))
        order = self.sync_voucher(vouchers[0].name, -100.0, date_order=self.at(2026, 12, 20))
        self.assertEqual(order.amount_total, 459.0)
        self.assertEqual((vouchers[0].state, vouchers[0].pos_order_id), ("used", order))
        self.assertEqual(self.ledger_sum(self.member), self.member.vip_points_balance)
        # Used once: refused the second time, nothing written.
        orders_before = self.env["pos.order"].search_count([])
        with self.assertRaisesRegex(UserError, "already used"):
            self.sync_voucher(vouchers[0].name, -100.0, date_order=self.at(2026, 12, 21))
        self.assertFalse(self.env["vip.voucher"].with_user(self.cashier).vip_pos_check(
            vouchers[0].name, self.config.id)["ok"])
        # Refused after expiry.
        with self.assertRaisesRegex(UserError, "expired on 2027-01-15"):
            self.sync_voucher(vouchers[1].name, -23.0, date_order=self.at(2027, 1, 16))
        self.env["vip.voucher"]._cron_daily(today=date(2027, 1, 16))
        self.assertEqual(vouchers[1].state, "expired")
        self.assertEqual(self.env["pos.order"].search_count([]), orders_before, "nothing is written")

    def test_bad_vouchers_are_refused_and_nothing_written(self):
        self.give_points(self.member, 500)
        voucher = self.convert()
        self.assertEqual(voucher.amount, 50.0)
        orders_before = self.env["pos.order"].search_count([])
        with self.assertRaisesRegex(UserError, "worth 50.00"):
            self.sync_voucher(voucher.name, -80.0, date_order=self.at(2026, 12, 20))
        with self.assertRaisesRegex(UserError, "No voucher has the code"):
            self.sync_voucher("VNOTACODE1", -50.0, date_order=self.at(2026, 12, 20))
        other = self.env["res.company"].create({"name": "Other Shop Ltd"})
        foreign = self.env["vip.voucher"].sudo().create({
            "name": "VFOREIGN23", "company_id": other.id, "partner_id": self.member.id, "amount": 50,
            "year": 2026, "date_issued": date(2026, 12, 1), "valid_until": date(2027, 1, 15),
        })
        with self.assertRaisesRegex(UserError, "belongs to Other Shop Ltd"):
            self.sync_voucher(foreign.name, -50.0, date_order=self.at(2026, 12, 20))
        self.assertEqual(self.env["pos.order"].search_count([]), orders_before)
        self.assertEqual((voucher.state, foreign.state), ("open", "open"))
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.env["vip.voucher"].sudo().create({
                "name": "VZEROVALUE", "company_id": self.env.company.id, "partner_id": self.member.id, "amount": 0,
                "year": 2026, "date_issued": date(2026, 12, 1), "valid_until": date(2027, 1, 15),
            })
        self.assertFalse(self.env["vip.voucher"].search([("name", "=", "VZEROVALUE")]))
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.program.voucher_min_face = 0

    # -- VIP events ----------------------------------------------------------------------------------

    def test_event_invites_by_level_and_counts_attendance_and_sales(self):
        self.member.sudo().write({"vip_level_id": self.levels["SENIOR"].id, "vip_accepts_promotions": "yes"})
        event = self.env["vip.event"].create({
            "name": "Thank-you evening", "date": date(2026, 12, 12), "level_ids": [(6, 0, self.levels["SENIOR"].ids)],
        })
        with self.mockSMSGateway():
            event.action_invite()
            event.action_invite()
            self.send_sms_queue()
        self.assertEqual(event.invitation_ids.partner_id, self.member, "the Senior member only, once")
        self.assertEqual(len(self.sms_to(self.member)), 1)
        self.sync([(self.product_559, 1)], date_order=self.at(2026, 12, 12))
        self.sync([(self.product_1000, 1)], date_order=self.at(2026, 12, 13))
        self.assertEqual(event.sales_amount, 0.0, "nobody attended yet")
        event.invitation_ids.action_attended()
        self.assertEqual((event.invited_count, event.attended_count), (1, 1))
        self.assertEqual(event.sales_amount, 559.0, "the attendees' sales on the event's day")
        with self.assertRaises(UserError):
            self.env["vip.event"].create({"name": "Nobody", "date": date(2026, 12, 20)}).action_invite()
