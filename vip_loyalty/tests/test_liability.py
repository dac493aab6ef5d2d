import base64
import io

import openpyxl
from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from ..engine import liability as liability_engine
from .common import VipPosCommon


@tagged("post_install", "-at_install")
class TestPointsLiability(VipPosCommon):
    """The points liability in accounting, posted by an accountant with no VIP rights."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.company
        today = fields.Date.context_today(cls.env.user)
        # Three closed months before this one.
        cls.m1 = liability_engine.add_months(liability_engine.month_start(today), -4)
        cls.m2 = liability_engine.next_month(cls.m1)
        cls.m3 = liability_engine.next_month(cls.m2)
        cls.liability_account = cls.env["account.account"].create({
            "name": "VIP points liability", "code": "VIPL01", "account_type": "liability_current",
            "company_ids": [(6, 0, company.ids)],
        })
        cls.revenue_account = cls.company_data["default_account_revenue"]
        cls.journal = cls.company_data["default_journal_misc"]
        cls.settings = {
            "liability_account_id": cls.liability_account.id,
            "revenue_account_id": cls.revenue_account.id,
            "liability_journal_id": cls.journal.id,
            "point_value": 0.03,
            "breakage_rate": 0.10,
            "liability_start_date": cls.m1,
        }
        cls.accountant = cls.env["res.users"].create({
            "name": "Accountant", "login": "vip_liability_accountant",
            "groups_id": [(6, 0, [cls.env.ref("account.group_account_manager").id])],
            "company_id": company.id, "company_ids": [(6, 0, company.ids)],
        })
        cls.vip_manager = cls.env["res.users"].create({
            "name": "VIP manager", "login": "vip_liability_manager",
            "groups_id": [(6, 0, [cls.env.ref("vip_loyalty.group_vip_manager").id])],
            "company_id": company.id, "company_ids": [(6, 0, company.ids)],
        })
        cls.a, cls.b, cls.c = cls.env["res.partner"].create([
            {"name": "Member A"}, {"name": "Member B"}, {"name": "Member C"}])

    # -- helpers ---------------------------------------------------------------------------

    def post_points(self, partner, points, day, entry_type="earn", expiry=None):
        far = day.replace(year=day.year + 5)
        return self.env["vip.points.entry"]._vip_post([{
            "partner_id": partner.id, "company_id": self.env.company.id, "date": day, "points": points,
            "entry_type": entry_type, "expiry_date": (expiry or far) if points > 0 else False,
            "rule_description": "test",
        }])

    def first_month(self):
        """Earn 9,000, redeem 4,500, let 300 expire."""
        m1 = self.m1
        self.post_points(self.a, 5000, m1.replace(day=2))
        self.post_points(self.b, 3700, m1.replace(day=3))
        self.post_points(self.c, 300, m1.replace(day=2), expiry=m1.replace(day=10))
        self.post_points(self.a, -4500, m1.replace(day=15), entry_type="redeem")
        self.env["vip.points.entry"]._vip_expire_lots(m1.replace(day=20), self.env.company)

    def post(self, month, user=None):
        return self.program.with_user(user or self.accountant)._vip_post_liability(month)

    def moves(self):
        return self.env["account.move"].search([("vip_program_id", "=", self.program.id)])

    @staticmethod
    def lines(move):
        return sorted(
            (line.account_id.code, line.vip_liability_kind, line.vip_points, line.debit, line.credit)
            for line in move.line_ids
        )

    def booked(self, month):
        lines = self.env["account.move.line"].search([
            ("move_id.vip_program_id", "=", self.program.id), ("parent_state", "=", "posted"),
            ("account_id", "=", self.liability_account.id), ("date", "<=", liability_engine.month_end(month)),
        ])
        return round(sum(lines.mapped("credit")) - sum(lines.mapped("debit")), 2)

    def outstanding(self, month):
        entries = self.env["vip.points.entry"].search([
            ("company_id", "=", self.env.company.id), ("date", "<=", liability_engine.month_end(month))])
        return sum(entries.mapped("points"))

    # -- the hand-worked month --------------------------------------------------------------

    def test_hand_worked_month(self):
        self.program.write(self.settings)
        self.first_month()
        move = self.post(self.m1)
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.journal_id, self.journal)
        self.assertEqual(move.date, liability_engine.month_end(self.m1))
        liab, rev = self.liability_account.code, self.revenue_account.code
        # 9,000 × 0.03 × 0.9 = 243.00; 4,500 × 0.027 = 121.50; 300 × 0.027 = 8.10
        self.assertEqual(self.lines(move), sorted([
            (liab, "deferral", 9000, 0.0, 243.00), (rev, "deferral", 9000, 243.00, 0.0),
            (liab, "redemption", 4500, 121.50, 0.0), (rev, "redemption", 4500, 0.0, 121.50),
            (liab, "breakage", 300, 8.10, 0.0), (rev, "breakage", 300, 0.0, 8.10),
        ]))
        self.assertEqual(self.booked(self.m1), 113.40, "4,200 points × 0.03 × 0.9")
        entries = self.env["vip.points.entry"].search([("company_id", "=", self.env.company.id)])
        self.assertEqual(len(entries), 5, "three earns, one redemption, one expiry")
        self.assertEqual(entries.vip_liability_move_id, move, "each ledger entry counted by this entry")

        # A second run posts nothing and finds the same entry.
        self.assertEqual(self.post(self.m1), move)
        self.assertEqual(self.moves(), move)

        # The next month moves only its change: B earns 1,000.
        self.post_points(self.b, 1000, self.m2.replace(day=5))
        move2 = self.post(self.m2)
        self.assertEqual(self.lines(move2), sorted([(liab, "deferral", 1000, 0.0, 27.00),
                                                    (rev, "deferral", 1000, 27.00, 0.0)]))
        self.assertEqual(self.booked(self.m2), 140.40)
        self.assertEqual(self.post(self.m2), move2)
        self.assertEqual(len(self.moves()), 2)

        # A late ledger entry of a posted month: a new entry for the difference, the posted ones untouched.
        self.post_points(self.c, 100, self.m2.replace(day=20), entry_type="adjust")
        correction = self.post(self.m2)
        self.assertNotIn(correction, move | move2)
        self.assertEqual(self.lines(correction), sorted([(liab, "deferral", 100, 0.0, 2.70),
                                                         (rev, "deferral", 100, 2.70, 0.0)]))
        self.assertEqual(self.lines(move2), sorted([(liab, "deferral", 1000, 0.0, 27.00),
                                                    (rev, "deferral", 1000, 27.00, 0.0)]))
        self.assertEqual(self.booked(self.m2), round(5300 * 0.027, 2))
        with self.assertRaises(UserError, msg="an earlier month is closed once a later one is posted"):
            self.post(self.m1)

    def test_changed_estimate_is_caught_up_in_its_month(self):
        self.program.write(self.settings)
        self.first_month()
        self.post_points(self.b, 1000, self.m2.replace(day=5))
        self.post(self.m1)
        self.post(self.m2)
        # Month 3: the manager raises the expected breakage to 20%; A redeems 200.
        self.program.breakage_rate = 0.20
        self.post_points(self.a, -200, self.m3.replace(day=8), entry_type="redeem")
        move3 = self.post(self.m3)
        liab, rev = self.liability_account.code, self.revenue_account.code
        # Redemption at the new estimate: 200 × 0.03 × 0.8 = 4.80.
        # Catch-up of the 5,200 points held: 5,200 × 0.03 × (0.2 − 0.1) = 15.60 released.
        self.assertEqual(self.lines(move3), sorted([
            (liab, "redemption", 200, 4.80, 0.0), (rev, "redemption", 200, 0.0, 4.80),
            (liab, "catchup", 5200, 15.60, 0.0), (rev, "catchup", 5200, 0.0, 15.60),
        ]))
        catchups = self.moves().line_ids.filtered(lambda line: line.vip_liability_kind == "catchup")
        self.assertEqual(catchups.move_id, move3, "one catch-up, in the month of the change")
        for month, rate in ((self.m1, 0.10), (self.m2, 0.10), (self.m3, 0.20)):
            self.assertEqual(self.booked(month), round(self.outstanding(month) * 0.03 * (1 - rate), 2),
                             f"liability identity at the end of {month}")
        self.assertEqual(self.booked(self.m3), 120.00, "5,000 points × 0.03 × 0.8")

    # -- bad input ----------------------------------------------------------------------------

    def test_no_accounts_posts_nothing(self):
        self.first_month()
        self.program.write({**self.settings, "liability_account_id": False})
        with self.assertRaisesRegex(UserError, "Points Liability Account"):
            self.post(self.m1)
        self.assertFalse(self.moves())
        self.assertFalse(self.env["vip.points.entry"].search([("vip_liability_move_id", "!=", False)]))

    def test_breakage_outside_0_100_is_refused(self):
        self.program.write(self.settings)
        for rate in (1.5, -0.1):
            with self.assertRaises(ValidationError):
                self.program.with_user(self.vip_manager).breakage_rate = rate
        self.assertEqual(self.program.breakage_rate, 0.10)
        # A VIP manager without accounting rights still opens the programme (the journal is not theirs to read).
        form = Form(self.program.with_user(self.vip_manager))
        self.assertEqual(form.name, self.program.name)

    def test_locked_month_posts_nothing(self):
        self.program.write(self.settings)
        self.first_month()
        self.env.company.sudo().fiscalyear_lock_date = liability_engine.month_end(self.m1)
        with self.assertRaisesRegex(UserError, "locked"):
            self.post(self.m1)
        with self.assertRaisesRegex(UserError, "locked"):
            self.post(self.m2)  # m1 would be posted first: nothing at all
        self.assertFalse(self.moves())

    def test_only_accountants_post(self):
        self.program.write(self.settings)
        self.first_month()
        with self.assertRaises(AccessError):
            self.post(self.m1, user=self.vip_manager)
        with self.assertRaises(UserError):
            self.post(self.m1.replace(year=self.m1.year - 1))  # before the start date
        self.assertFalse(self.moves())
        # The wizard posts as the accountant and opens the entry.
        wizard = self.env["vip.liability.post"].with_user(self.accountant).create({"month": self.m1})
        action = wizard.action_post()
        self.assertEqual(action["res_model"], "account.move")
        self.assertEqual(self.moves().id, action["res_id"])

    def test_company_without_settings_sees_nothing(self):
        """No accounts on the programme: the cron runs, sales go on, and nothing is posted."""
        self.first_month()
        order = self.sync([(self.product_1000, 1)], date_order=self.at(self.m2.year, self.m2.month, 3))
        self.assertEqual(order.vip_points_earned, 100)
        self.env["vip.program"]._cron_liability_month_end()
        self.env["vip.program"]._cron_liability_month_end(today=self.m3)
        self.assertFalse(self.env["account.move"].search([("vip_program_id", "!=", False)]))
        self.assertFalse(self.env["vip.points.entry"].search([("vip_liability_move_id", "!=", False)]))
        self.assertFalse(self.env["account.move.line"].search([("vip_liability_kind", "!=", False)]))

    def test_cron_posts_last_month(self):
        self.program.write(self.settings)
        self.first_month()
        self.env["vip.program"]._cron_liability_month_end(today=self.m2.replace(day=1))
        self.assertEqual(self.moves().vip_liability_month, self.m1)
        self.env["vip.program"]._cron_liability_month_end(today=self.m2.replace(day=1))
        self.assertEqual(len(self.moves()), 1, "the cron run again posts nothing")

    # -- the report ----------------------------------------------------------------------------

    def _report_dataset(self):
        self.program.write(self.settings)
        self.first_month()
        # One sale at the shop in month 2: 1,000 spent = 100 points.
        self.sync([(self.product_1000, 1)], date_order=self.at(self.m2.year, self.m2.month, 3))
        self.post(self.m1)
        self.post(self.m2)

    def test_report_xlsx_reads_back(self):
        self._report_dataset()
        wizard = self.env["vip.liability.report"].with_user(self.accountant).create(
            {"month_from": self.m1, "month_to": self.m2})
        wizard.action_export_xlsx()
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)))
        self.assertEqual(book.sheetnames, ["Liability", "By shop", "Breakage"])
        sheet = book["Liability"]
        header = [c.value for c in sheet[1]]
        self.assertEqual(header[:7], ["Scope", "Month", "Opening points", "Earned", "Redeemed", "Expired",
                                      "Closing points"])
        rows = {r[1].value: {h: c.value for h, c in zip(header, r, strict=True)} for r in sheet.iter_rows(min_row=2)}
        first = rows[self.m1.strftime("%Y-%m")]
        self.assertEqual((first["Opening points"], first["Earned"], first["Redeemed"], first["Expired"],
                          first["Closing points"]), (0, 9000, 4500, 300, 4200))
        self.assertAlmostEqual(first["Deferred"], 243.00)
        self.assertAlmostEqual(first["Released (redeemed)"], 121.50)
        self.assertAlmostEqual(first["Breakage revenue"], 8.10)
        self.assertAlmostEqual(first["Closing balance"], 113.40)
        self.assertAlmostEqual(first["Posted in accounting"], 113.40)
        second = rows[self.m2.strftime("%Y-%m")]
        self.assertEqual((second["Opening points"], second["Earned"], second["Closing points"]), (4200, 100, 4300))
        self.assertAlmostEqual(second["Closing balance"], 116.10)
        self.assertAlmostEqual(second["Posted in accounting"], 116.10)
        shops = {(r[0].value, r[1].value): r for r in book["By shop"].iter_rows(min_row=2)}
        shop_row = shops[(self.config.name, self.m2.strftime("%Y-%m"))]
        self.assertEqual(shop_row[3].value, 100, "the sale's points belong to its shop")
        self.assertEqual(shops[("No shop", self.m1.strftime("%Y-%m"))][3].value, 9000)
        breakage = {r[0].value: r for r in book["Breakage"].iter_rows(min_row=2)}
        m1 = breakage[self.m1.strftime("%Y-%m")]
        self.assertAlmostEqual(m1[1].value, 0.10, msg="assumed")
        self.assertAlmostEqual(m1[2].value, 300 / 4800, msg="observed: expired ÷ points that left")
        self.assertEqual(m1[1].number_format, "0.0%")

    def test_report_pdf_renders(self):
        self._report_dataset()
        data = {"company_id": self.env.company.id, "month_from": fields.Date.to_string(self.m1),
                "month_to": fields.Date.to_string(self.m2)}
        report = self.env["ir.actions.report"].with_user(self.accountant)
        html, _kind = report._render_qweb_html("vip_loyalty.report_vip_liability", [], data=data)
        html = html.decode()
        self.assertIn("Points liability", html)
        self.assertIn("9,000", html)
        self.assertIn("113.40", html)
        self.assertIn(self.config.name, html)
        self.assertIn("6.2%", html, "observed breakage 300 / 4,800 = 6.25%")
        wizard = self.env["vip.liability.report"].with_user(self.accountant).create(
            {"month_from": self.m1, "month_to": self.m2})
        action = wizard.action_print_pdf()
        self.assertEqual(action["report_name"], "vip_loyalty.report_vip_liability")
        wizard.month_from = self.m3
        with self.assertRaises(UserError):
            wizard.action_print_pdf()
        # A cashier reads no liability.
        cashier = self.env["res.users"].create({
            "name": "Cashier", "login": "vip_liability_cashier",
            "groups_id": [(6, 0, [self.env.ref("vip_loyalty.group_vip_user").id])],
            "company_id": self.env.company.id, "company_ids": [(6, 0, self.env.company.ids)],
        })
        with self.assertRaises(AccessError):
            self.env["report.vip_loyalty.report_vip_liability"].with_user(cashier)._vip_liability_data(
                self.env.company, self.m1, self.m2)

    def test_settings_show_observed_breakage(self):
        self.program.write(self.settings)
        self.first_month()
        self.assertAlmostEqual(self.program._vip_observed_breakage(liability_engine.month_end(self.m1), 12),
                               300 / 4800)
        self.assertAlmostEqual(self.program.observed_breakage_24, 300 / 4800)
        self.assertAlmostEqual(self.program.observed_breakage_12, 300 / 4800)
