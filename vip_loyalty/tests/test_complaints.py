from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest.mock import patch

import pytz
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import VipPosCommon


@tagged("post_install", "-at_install")
class TestComplaints(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("base.main_company")
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=[cls.company.id]))
        cls.calendar = cls.company.resource_calendar_id
        cls.tz = pytz.timezone(cls.calendar.tz or "UTC")
        cls.cashier = new_test_user(
            cls.env, login="vip_cmp_cashier", groups="base.group_user,vip_loyalty.group_vip_user",
            company_id=cls.company.id,
        )
        cls.cashier.vip_compensation_limit = 100
        cls.manager = new_test_user(
            cls.env, login="vip_cmp_manager", groups="vip_loyalty.group_vip_manager", company_id=cls.company.id,
        )
        cls.member = cls.env["res.partner"].create({"name": "Chen Jing", "phone": "+86 138 0000 0101"})
        cls.member._vip_enrol()
        cls.category = cls.env.ref("vip_loyalty.vip_complaint_category_quality")
        cls.Complaint = cls.env["vip.complaint"]

    @contextmanager
    def assertRefused(self, exception, pattern):
        """assertRaises (rolled back to a savepoint) plus a check of the message."""
        with self.assertRaises(exception) as caught:
            yield
        self.assertRegex(str(caught.exception), pattern)

    def local(self, *args):
        """A wall-clock time in the working calendar's time zone, as naive UTC."""
        return self.tz.localize(datetime(*args)).astimezone(pytz.utc).replace(tzinfo=None)

    def complaint(self, **vals):
        values = {
            "partner_id": self.member.id,
            "severity": "small",
            "category_id": self.category.id,
            "date_reported": self.local(2026, 3, 2, 10, 0),  # a Monday
            "description": "The zip broke on the second wear.",
        }
        values.update(vals)
        return self.Complaint.create(values)

    # -- SLA deadlines -----------------------------------------------------------------

    def test_small_complaint_deadlines(self):
        complaint = self.complaint()
        self.assertTrue(complaint.name.startswith("CMP/"), complaint.name)
        self.assertEqual(complaint.sla_id, self.env.ref("vip_loyalty.vip_complaint_sla_small"))
        self.assertEqual(complaint.response_deadline, self.local(2026, 3, 2, 11, 0))
        self.assertEqual(complaint.resolution_deadline, self.local(2026, 3, 3, 10, 0))

    def test_large_complaint_skips_the_weekend(self):
        complaint = self.complaint(severity="large")
        self.assertEqual(complaint.response_deadline, self.local(2026, 3, 2, 11, 0))
        # Monday + 7 working days (Tue..Fri, Mon, Tue, Wed) = Wednesday of the next week, same time.
        self.assertEqual(complaint.resolution_deadline, self.local(2026, 3, 11, 10, 0))
        friday = self.complaint(severity="large", date_reported=self.local(2026, 3, 6, 16, 0))
        self.assertEqual(friday.resolution_deadline, self.local(2026, 3, 17, 16, 0))

    def test_public_holiday_is_not_a_working_day(self):
        self.env["resource.calendar.leaves"].create({
            "name": "Company day off",
            "calendar_id": self.calendar.id,
            "date_from": self.local(2026, 3, 4, 0, 0),
            "date_to": self.local(2026, 3, 4, 23, 59),
        })
        complaint = self.complaint(severity="large")
        self.assertEqual(complaint.resolution_deadline, self.local(2026, 3, 12, 10, 0))

    def test_sla_policy_is_editable_data(self):
        filed = self.complaint()
        self.assertEqual(filed.resolution_deadline, self.local(2026, 3, 3, 10, 0))
        self.env.ref("vip_loyalty.vip_complaint_sla_small").resolution_time = 48
        complaint = self.complaint()
        self.assertEqual(complaint.resolution_deadline, self.local(2026, 3, 4, 10, 0))
        self.assertEqual(filed.resolution_deadline, self.local(2026, 3, 3, 10, 0), "filed complaints keep theirs")
        complaint.date_reported = self.local(2026, 3, 2, 9, 0)
        self.assertEqual(complaint.response_deadline, self.local(2026, 3, 2, 10, 0))

    def test_first_response_from_message_or_start(self):
        complaint = self.complaint()
        complaint.message_post(body="Internal note", message_type="comment", subtype_xmlid="mail.mt_note")
        self.assertFalse(complaint.first_response_date)
        complaint.message_post(body="We are sorry, we will call you today.", message_type="comment",
                               subtype_xmlid="mail.mt_comment")
        self.assertTrue(complaint.first_response_date)
        other = self.complaint()
        other.action_start()
        self.assertEqual(other.state, "in_progress")
        self.assertTrue(other.first_response_date)
        # answered long after the hour: the SLA is breached
        self.assertTrue(other.sla_breached)

    # -- priority ------------------------------------------------------------------------

    def test_priority_rises_with_level_and_orders_the_list(self):
        top = self.env["res.partner"].create({"name": "Top member", "phone": "+86 138 0000 0102"})
        top._vip_enrol()
        top.sudo().write(
            {"vip_level_id": self.env.ref("vip_loyalty.vip_level_supreme").id})
        plain = self.env["res.partner"].create({"name": "Walk-in"})
        low = self.complaint()
        high = self.complaint(partner_id=top.id)
        none = self.complaint(partner_id=plain.id)
        self.assertEqual(high.priority, "3")
        self.assertEqual(none.priority, "0")
        self.assertGreater(high.priority, low.priority)
        ordered = self.Complaint.search([("id", "in", (low | high | none).ids)])
        self.assertEqual(ordered[0], high)
        self.assertEqual(ordered[-1], none)

    def test_priority_follows_the_members_abc_class(self):
        low = self.complaint()
        before = low.priority
        self.assertNotEqual(before, "3")
        # The nightly segmentation writes the class by SQL and marks it modified, as here.
        self.env.cr.execute("UPDATE res_partner SET vip_abc_class = 'A' WHERE id = %s", [low.partner_id.id])
        low.partner_id.invalidate_recordset(["vip_abc_class"])
        low.partner_id.modified(["vip_abc_class"])
        self.assertEqual(low.priority, "3", "an A-class member's complaint comes first")

    # -- transitions -------------------------------------------------------------------

    def test_full_flow(self):
        complaint = self.complaint()
        complaint.action_start()
        complaint.resolution = "Zip replaced free of charge."
        complaint.action_resolve()
        self.assertEqual(complaint.state, "resolved")
        self.assertTrue(complaint.date_resolved)
        complaint.outcome = "full"
        complaint.action_close()
        self.assertEqual(complaint.state, "closed")
        complaint.satisfaction = "5"
        complaint.action_reopen()
        self.assertEqual(complaint.state, "in_progress")

    def test_close_without_outcome_is_refused(self):
        complaint = self.complaint(resolution="Refunded.")
        complaint.action_resolve()
        with self.assertRefused(UserError, "outcome"):
            complaint.action_close()
        self.assertEqual(complaint.state, "resolved")
        self.assertFalse(complaint.date_closed)

    def test_resolve_without_resolution_is_refused(self):
        complaint = self.complaint()
        complaint.action_start()
        with self.assertRefused(UserError, "resolution"):
            complaint.action_resolve()
        self.assertEqual(complaint.state, "in_progress")

    def test_escalate_without_promised_date_is_refused(self):
        complaint = self.complaint()
        with self.assertRefused(UserError, "promised date"):
            complaint.action_escalate()
        self.assertEqual(complaint.state, "new")
        complaint.promised_date = complaint.company_id._vip_today(complaint.shop_id) + timedelta(days=3)
        complaint.action_escalate()
        self.assertEqual(complaint.state, "escalated")
        self.assertTrue(complaint.activity_ids)

    def test_wrong_state_is_refused(self):
        complaint = self.complaint()
        with self.assertRefused(UserError, "not possible"):
            complaint.action_close()
        with self.assertRefused(UserError, "not possible"):
            complaint.action_reopen()
        # a state written directly (a card dragged on the kanban) takes the button's step and its rules
        with self.assertRefused(UserError, "not possible"):
            complaint.state = "closed"
        self.assertEqual(complaint.state, "new")
        complaint.state = "in_progress"
        self.assertEqual(complaint.state, "in_progress")
        self.assertTrue(complaint.first_response_date, "the same step as Start")
        with self.assertRefused(UserError, "cannot go back"):
            complaint.state = "new"

    # -- cron -----------------------------------------------------------------------------

    def test_cron_escalates_an_overdue_complaint_exactly_once(self):
        late = self.complaint()
        answered = self.complaint()
        answered.message_post(body="Sorry, we are on it.", message_type="comment", subtype_xmlid="mail.mt_comment")
        answered.first_response_date = self.local(2026, 3, 2, 10, 30)
        not_yet = self.complaint(date_reported=self.local(2026, 3, 2, 11, 30))
        escalation = self.env.ref("vip_loyalty.mail_activity_vip_complaint_escalation")

        self.Complaint._cron_complaints(now=self.local(2026, 3, 2, 12, 0))
        self.assertEqual(late.state, "escalated")
        self.assertTrue(late.sla_breached)
        self.assertEqual(len(late.activity_ids.filtered(lambda a: a.activity_type_id == escalation)), 1)
        self.assertIn(late.activity_ids.user_id, self.env.ref("vip_loyalty.group_vip_manager").users)
        self.assertTrue(late.message_ids.filtered(lambda m: "SLA missed" in (m.body or "")))
        self.assertEqual(answered.state, "new")
        self.assertEqual(not_yet.state, "new")
        first_date = late.date_escalated
        notes = len(late.message_ids)

        # back to work, then the cron runs again (and again) after the resolution deadline
        late.action_start()
        self.Complaint._cron_complaints(now=self.local(2026, 3, 4, 12, 0))
        self.Complaint._cron_complaints(now=self.local(2026, 3, 4, 12, 0))
        self.assertEqual(late.state, "in_progress")
        self.assertEqual(late.date_escalated, first_date)
        self.assertEqual(len(late.activity_ids.filtered(lambda a: a.activity_type_id == escalation)), 1)
        self.assertFalse(late.message_ids[: len(late.message_ids) - notes].filtered(
            lambda m: "SLA missed" in (m.body or "")))
        # the answered one is now past its resolution deadline: escalated once
        self.assertEqual(answered.state, "escalated")

    def test_cron_bad_row_does_not_stop_the_rest(self):
        bad = self.complaint()
        good = self.complaint()
        complaint_class = type(self.Complaint)
        original = complaint_class._vip_escalation_user

        def flaky(record):
            if record == bad:
                raise ValueError("no manager reachable")
            return original(record)

        with patch.object(complaint_class, "_vip_escalation_user", flaky), \
                mute_logger("odoo.addons.vip_loyalty.models.vip_complaint"):
            self.Complaint._cron_complaints(now=self.local(2026, 3, 2, 12, 0))
        self.assertEqual(good.state, "escalated")
        bad.invalidate_recordset()
        self.assertEqual(bad.state, "new")
        self.assertFalse(bad.date_escalated)
        # the next run retries it
        self.Complaint._cron_complaints(now=self.local(2026, 3, 2, 12, 15))
        self.assertEqual(bad.state, "escalated")

    def test_cron_sends_the_followup_once(self):
        complaint = self.complaint(resolution="Exchanged.", outcome="partial")
        complaint.action_resolve()
        complaint.action_close()
        followup = self.env.ref("vip_loyalty.mail_activity_vip_complaint_followup")
        self.Complaint._cron_complaints(now=complaint.date_closed + timedelta(hours=1))
        self.assertFalse(complaint.followup_date)
        later = complaint.date_closed + timedelta(days=1, minutes=1)
        self.Complaint._cron_complaints(now=later)
        self.Complaint._cron_complaints(now=later + timedelta(days=1))
        self.assertEqual(complaint.followup_date, later)
        self.assertEqual(len(complaint.activity_ids.filtered(lambda a: a.activity_type_id == followup)), 1)
        questions = complaint.message_ids.filtered(lambda m: "from 1 (very dissatisfied) to 5" in (m.body or ""))
        self.assertEqual(len(questions), 1)
        self.assertIn(self.member, questions.partner_ids)
        self.assertEqual(complaint.state, "closed")

    # -- compensation --------------------------------------------------------------------------

    def test_compensation_writes_exactly_one_ledger_entry(self):
        complaint = self.complaint()
        before = self.member.vip_points_balance
        entry = complaint.with_user(self.manager).compensate_points(200, "Late alteration")
        self.assertEqual(len(entry), 1)
        entries = self.env["vip.points.entry"].search([("complaint_id", "=", complaint.id)])
        self.assertEqual(entries, entry)
        self.assertEqual(entry.entry_type, "compensation")
        self.assertEqual(entry.points, 200)
        self.assertEqual(entry.partner_id, self.member)
        self.assertIn(complaint.name, entry.rule_description)
        self.assertEqual(self.member.vip_points_balance, before + 200)
        self.assertEqual(complaint.compensation_points, 200)

    def test_vip_user_cannot_exceed_the_compensation_limit(self):
        complaint = self.complaint()
        as_cashier = complaint.with_user(self.cashier)
        as_cashier.compensate_points(60, "Goodwill")
        with self.assertRefused(AccessError, "at most 100 points"):
            as_cashier.compensate_points(50, "More goodwill")
        self.assertEqual(self.env["vip.points.entry"].search_count([("complaint_id", "=", complaint.id)]), 1)
        self.assertEqual(self.member.vip_points_balance, 60)
        self.cashier.vip_compensation_limit = 0
        with self.assertRaises(AccessError):
            self.complaint().with_user(self.cashier).compensate_points(1, "Goodwill")
        # the manager has no limit
        complaint.with_user(self.manager).compensate_points(500, "Manager decision")
        self.assertEqual(complaint.compensation_points, 560)

    def test_compensation_bad_input(self):
        complaint = self.complaint()
        with self.assertRaises(UserError):
            complaint.compensate_points(0, "Nothing")
        with self.assertRaises(UserError):
            complaint.compensate_points(10, " ")
        self.assertFalse(complaint.points_entry_ids)

    def test_compensation_wizard(self):
        complaint = self.complaint()
        action = complaint.action_open_compensate()
        wizard = Form(self.env[action["res_model"]].with_context(**action["context"]))
        wizard.points = 30
        wizard.reason = "Wrong size delivered"
        wizard.save().action_confirm()
        self.assertEqual(complaint.compensation_points, 30)

    # -- bad input --------------------------------------------------------------------------------

    def test_satisfaction_out_of_range_is_refused(self):
        count = self.Complaint.search_count([])
        for bad in ("0", "6", 0, 6):
            with self.assertRefused(ValidationError, "1 to 5"):
                self.complaint(satisfaction=bad)
        self.assertEqual(self.Complaint.search_count([]), count)
        complaint = self.complaint(satisfaction=4)
        self.assertEqual(complaint.satisfaction, "4")
        with self.assertRefused(ValidationError, "1 to 5"):
            complaint.satisfaction = "6"
        self.assertEqual(complaint.satisfaction, "4")

    def test_promised_date_in_the_past_is_refused(self):
        count = self.Complaint.search_count([])
        yesterday = self.env.company._vip_today() - timedelta(days=1)
        with self.assertRefused(ValidationError, "in the past"):
            self.complaint(promised_date=yesterday)
        self.assertEqual(self.Complaint.search_count([]), count)
        complaint = self.complaint()
        with self.assertRefused(ValidationError, "in the past"):
            complaint.promised_date = yesterday
        self.assertFalse(complaint.promised_date)

    def test_partner_of_another_company_is_refused(self):
        other = self.env["res.company"].create({"name": "Other Retail Co"})
        stranger = self.env["res.partner"].create({"name": "Stranger", "company_id": other.id})
        count = self.Complaint.search_count([])
        with self.assertRefused(ValidationError, "Other Retail Co"):
            self.complaint(partner_id=stranger.id)
        self.assertEqual(self.Complaint.search_count([]), count)

    # -- member, rights, KPIs ---------------------------------------------------------------------

    def test_member_smart_button_counts_open_complaints(self):
        first = self.complaint()
        self.complaint()
        self.assertEqual(self.member.vip_complaint_open_count, 2)
        first.write({"resolution": "Done", "outcome": "full"})
        first.action_resolve()
        self.assertEqual(self.member.vip_complaint_open_count, 1)
        action = self.member.action_vip_view_complaints()
        self.assertEqual(self.Complaint.search(action["domain"]), self.member.vip_complaint_ids)

    def test_cashier_records_a_complaint(self):
        complaint = self.Complaint.with_user(self.cashier).create({
            "partner_id": self.member.id,
            "channel": "phone",
            "description": "Rude answer on the hotline.",
            "staff_id": self.manager.id,
        })
        self.assertEqual(complaint.user_id, self.cashier)
        self.assertIn(self.member, complaint.message_partner_ids)
        with self.assertRaises(AccessError):
            complaint.with_user(self.cashier).unlink()

    def test_companies_are_isolated_and_sla_is_for_managers(self):
        other = self.env["res.company"].create({"name": "Branch Co"})
        theirs = self.Complaint.with_company(other).create({
            "partner_id": self.env["res.partner"].create({"name": "Branch member", "company_id": other.id}).id,
            "company_id": other.id,
        })
        mine = self.complaint()
        visible = self.Complaint.with_user(self.cashier).search([("id", "in", (theirs | mine).ids)])
        self.assertEqual(visible, mine)
        sla = self.env.ref("vip_loyalty.vip_complaint_sla_small")
        with self.assertRaises(AccessError):
            sla.with_user(self.cashier).write({"resolution_time": 100})
        sla.with_user(self.manager).write({"resolution_time": 12})
        self.assertEqual(sla.resolution_time, 12)

    def test_kpis(self):
        a = self.complaint()
        a.first_response_date = self.local(2026, 3, 2, 10, 30)
        a.write({"resolution": "ok", "satisfaction": "4"})
        b = self.complaint(satisfaction="2")
        kpis = self.Complaint._vip_kpis([("id", "in", (a | b).ids)], member_count=50,
                                        now=self.local(2026, 3, 2, 12, 0))
        self.assertEqual(kpis.count, 2)
        self.assertAlmostEqual(kpis.rate_per_100_members, 4.0)
        self.assertAlmostEqual(kpis.within_sla_share, 0.5)
        self.assertAlmostEqual(kpis.avg_first_response_hours, 0.5)
        self.assertAlmostEqual(kpis.avg_satisfaction, 3.0)
        self.assertEqual(kpis.top_categories, ((self.category.name, 2),))


@tagged("post_install", "-at_install")
class TestComplaintPos(VipPosCommon):
    def test_complaint_about_a_pos_line(self):
        order = self.sync([(self.product_559, 1), (self.product_100, 1)])
        line = order.lines.filtered(lambda li: li.product_id == self.product_559)
        complaint = self.env["vip.complaint"].create({
            "partner_id": self.member.id,
            "pos_order_id": order.id,
            "pos_order_line_id": line.id,
            "severity": "large",
            "description": "Seam opened after one wash.",
        })
        self.assertEqual(complaint.company_id, order.company_id)
        self.assertEqual(complaint.shop_id, order.config_id)
        self.assertEqual(complaint.product_id, self.product_559)
        # the shared seed policy applies in a company without its own
        self.assertEqual(complaint.sla_id, self.env.ref("vip_loyalty.vip_complaint_sla_large"))
        self.assertTrue(complaint.resolution_deadline > complaint.date_reported + timedelta(days=7))

    def test_form_fills_from_the_order(self):
        order = self.sync([(self.product_559, 1)])
        form = Form(self.env["vip.complaint"])
        form.pos_order_id = order
        self.assertEqual(form.partner_id, self.member)
        self.assertEqual(form.shop_id, order.config_id)
        form.pos_order_line_id = order.lines
        self.assertEqual(form.product_id, self.product_559)
        form.description = "Colour faded."
        complaint = form.save()
        self.assertEqual(complaint.state, "new")
        self.assertTrue(complaint.response_deadline)

    def test_pos_member_panel_counts_open_complaints(self):
        partners = self.env["res.partner"]
        self.assertEqual(partners.vip_pos_member_summary(self.member.id, self.config.id)["complaints"], 0)
        complaint = self.env["vip.complaint"].create({"partner_id": self.member.id, "resolution": "Refunded."})
        self.assertEqual(partners.vip_pos_member_summary(self.member.id, self.config.id)["complaints"], 1)
        complaint.action_resolve()
        self.assertEqual(partners.vip_pos_member_summary(self.member.id, self.config.id)["complaints"], 0)

    def test_line_of_another_order_is_refused(self):
        first = self.sync([(self.product_559, 1)])
        second = self.sync([(self.product_100, 1)])
        with self.assertRaises(ValidationError):
            self.env["vip.complaint"].create({
                "partner_id": self.member.id,
                "pos_order_id": first.id,
                "pos_order_line_id": second.lines.id,
            })


@tagged("post_install", "-at_install")
class TestComplaintReport(TransactionCase):
    def test_complaint_record_renders(self):
        member = self.env["res.partner"].create({"name": "Report Member"})
        complaint = self.env["vip.complaint"].create({
            "partner_id": member.id,
            "description": "Button came off.",
            "resolution": "Sewn back on the spot.",
        })
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "vip_loyalty.vip_complaint_report", complaint.ids)
        html = html.decode()
        self.assertIn(complaint.name, html)
        self.assertIn("Report Member", html)
        self.assertIn("Sewn back on the spot.", html)
