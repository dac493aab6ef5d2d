import base64
import io
from datetime import date

import openpyxl
from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import VipPosCommon

MARCH = date(2026, 3, 1)


@tagged("post_install", "-at_install")
class TestAnalysis(VipPosCommon):
    """A small month worked out by hand: March 2026 in one shop, two advisors."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.advisor2 = cls.env["res.users"].create({
            "name": "Advisor Two", "login": "vip_advisor_two",
            "groups_id": [(6, 0, [cls.env.ref("vip_loyalty.group_vip_advisor").id])],
            "company_id": cls.env.company.id, "company_ids": [(6, 0, cls.env.company.ids)],
        })
        cls.a, cls.b, cls.c, cls.d = cls.env["res.partner"].create([
            {"name": "Old member A"},
            {"name": "Member B", "vip_advisor_id": cls.advisor2.id},
            {"name": "New member C"},
            {"name": "Walk-in D"},
        ])
        cls.snapshot = cls.env["vip.analysis.snapshot"]

    def anonymous(self, lines, day):
        data = self.create_ui_order_data(lines, customer=False)
        data["state"] = "paid"
        data["date_order"] = fields.Datetime.to_string(self.at(day.year, day.month, day.day))
        result = self.env["pos.order"].sync_from_ui([data])
        return self.env["pos.order"].browse([o["id"] for o in result["pos.order"]])

    def _dataset(self):
        self.sync([(self.product_100, 1)], customer=self.a, date_order=self.at(2025, 1, 10))   # dead card by March
        self.sync([(self.product_559, 1)], customer=self.b, date_order=self.at(2026, 2, 5))    # member since February
        self.sync([(self.product_100, 2)], customer=self.b, date_order=self.at(2026, 3, 10))   # 200
        self.sync([(self.product_559, 1)], customer=self.b, date_order=self.at(2026, 3, 12))   # 559
        self.sync([(self.product_1000, 1)], customer=self.c, date_order=self.at(2026, 3, 15))  # 1000, new + Senior
        self.program.auto_enrol = False
        self.sync([(self.product_5, 3)], customer=self.d, date_order=self.at(2026, 3, 20))     # 15, not registered
        self.program.auto_enrol = True
        self.anonymous([(self.product_100, 1)], date(2026, 3, 25))                           # 100, no customer
        return self.snapshot._vip_compute_month(MARCH, self.env.company)

    def row(self, rows, shop=False, advisor=False):
        found = rows.filtered(lambda r: r.shop_id.id == (shop.id if shop else False)
                              and r.advisor_id.id == (advisor.id if advisor else False))
        self.assertEqual(len(found), 1)
        return found

    def test_company_kpis_by_hand(self):
        rows = self._dataset()
        total = self.row(rows)
        self.assertEqual(total.row_type, "company")
        self.assertEqual(total.month, MARCH)
        self.assertEqual(total.member_count, 3, "A, B and C; D never registered")
        self.assertEqual(total.new_member_count, 1, "C")
        self.assertEqual(total.active_member_count, 2, "B and C bought within 12 months")
        self.assertAlmostEqual(total.dead_card_rate, 1 / 3)
        self.assertAlmostEqual(total.total_sales, 1874.0)
        self.assertAlmostEqual(total.member_sales, 1759.0)
        self.assertAlmostEqual(total.contribution_rate, 1759 / 1874)
        self.assertAlmostEqual(total.new_member_sales, 1000.0)
        self.assertAlmostEqual(total.existing_member_sales, 759.0)
        self.assertAlmostEqual(total.purchase_frequency, 1.5, msg="3 member purchases by 2 members")
        self.assertAlmostEqual(total.units_per_transaction, 8 / 5)
        self.assertAlmostEqual(total.average_ticket, 1874 / 5)
        # New faces: C (registered), D (not) and the anonymous sale (not): 1 of 3, though auto-enrolment is on.
        self.assertEqual(total.new_customer_count, 3)
        self.assertEqual(total.new_customer_registered, 1)
        self.assertAlmostEqual(total.registration_rate, 1 / 3, msg="C registered; D and the anonymous sale did not")
        self.assertEqual(total.complaint_count, 0)
        self.assertEqual(total.new_member_target, 30)

    def test_shop_and_advisor_rows(self):
        rows = self._dataset()
        shop = self.row(rows, shop=self.config)
        self.assertEqual(shop.row_type, "shop")
        self.assertAlmostEqual(shop.total_sales, 1874.0)
        self.assertEqual(shop.member_count, 3)
        mine = self.row(rows, shop=self.config, advisor=self.env.user)
        other = self.row(rows, shop=self.config, advisor=self.advisor2)
        self.assertEqual(mine.row_type, "advisor")
        self.assertAlmostEqual(other.member_sales, 759.0, msg="B's purchases count for B's advisor")
        self.assertEqual(other.member_count, 1)
        self.assertAlmostEqual(mine.total_sales, 1115.0, msg="C, the walk-in and the anonymous sale")
        self.assertAlmostEqual(mine.member_sales, 1000.0)
        self.assertEqual(mine.member_count, 2, "A and C were enrolled by this cashier")
        self.assertEqual(len(rows), 4)
        self.assertEqual(sorted(rows.filtered("completeness_rank").mapped("completeness_rank")), [1, 2])

    def test_recompute_never_duplicates(self):
        rows = self._dataset()
        again = self.snapshot._vip_compute_month(date(2026, 3, 17), self.env.company)
        self.assertEqual(len(again), len(rows))
        self.assertEqual(self.snapshot.search_count([("company_id", "=", self.env.company.id),
                                                     ("month", "=", MARCH)]), 4)
        self.env["vip.program"]._cron_monthly_analysis(today=date(2026, 4, 1))
        self.assertEqual(self.snapshot.search_count([("company_id", "=", self.env.company.id),
                                                     ("month", "=", MARCH)]), 4)
        wizard = self.env["vip.analysis.month"].create({"month": date(2026, 3, 9)})
        action = wizard.action_recompute()
        self.assertEqual(len(self.snapshot.search(action["domain"])), 4)

    def test_level_migration_matrix(self):
        self._dataset()
        report = self.env["report.vip_loyalty.report_vip_analysis"]
        migration = report._vip_level_migration(MARCH, self.env.company, None)
        levels = migration["levels"]
        cells = {(levels[i], levels[j]): n for i, row in enumerate(migration["matrix"]) for j, n in enumerate(row) if n}
        none = levels[0]
        member, senior = self.levels["MEMBER"].name, self.levels["SENIOR"].name
        self.assertEqual(cells, {(none, member): 1, (member, senior): 1}, "C enrolled, then rose to Senior")
        self.assertEqual(migration["total"], 2)

    def test_xlsx_reads_back(self):
        self._dataset()
        wizard = self.env["vip.analysis.month"].create({"month": MARCH, "shop_ids": [(6, 0, self.config.ids)]})
        wizard.action_export_xlsx()
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)))
        self.assertEqual(book.sheetnames, ["Summary", "Categories", "Age groups", "Levels", "Level migration", "Staff"])
        summary = book["Summary"]
        self.assertEqual([c.value for c in summary[1]], ["Scope", "Figure", "2026-03", "2026-02", "2025-03"])
        self.assertEqual(summary.freeze_panes, "C2")
        values = {(r[0].value, r[1].value): r for r in summary.iter_rows(min_row=2)}
        sales = values[("Company", "All POS sales")]
        self.assertAlmostEqual(sales[2].value, 1874.0)
        self.assertAlmostEqual(sales[3].value, 559.0, msg="February: B's first purchase")
        self.assertEqual(sales[2].number_format, "#,##0.00")
        rate = values[("Company", "VIP contribution rate")]
        self.assertAlmostEqual(rate[2].value, 1759 / 1874)
        self.assertEqual(rate[2].number_format, "0.0%")
        self.assertEqual(values[("Company", "Member base")][4].value, 1, "March 2025: A only")
        self.assertAlmostEqual(values[(self.config.name, "Registration rate")][2].value, 1 / 3)
        categories = book["Categories"]
        row = next(r for r in categories.iter_rows(min_row=2) if r[0].value == "Company")
        self.assertEqual(row[1].value, self.categ_basic.display_name)
        self.assertAlmostEqual(row[2].value, 1874.0)
        self.assertEqual(row[3].value, 8)
        self.assertAlmostEqual(row[4].value, 1874 / 8)
        self.assertAlmostEqual(row[6].value, (1874 - 559) / 559, msg="trend against February")
        migration = book["Level migration"]
        self.assertEqual(migration.freeze_panes, "B2")

    def test_pdf_renders(self):
        self._dataset()
        data = {"month": "2026-03-01", "company_id": self.env.company.id, "shop_ids": self.config.ids}
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "vip_loyalty.report_vip_analysis", self.config.ids, data=data)
        html = html.decode()
        self.assertIn("VIP monthly analysis", html)
        self.assertIn(self.config.name, html)
        self.assertIn("1,874.00", html)
        self.assertIn("93.9%", html, "contribution rate 1759 / 1874")
        self.env.company.external_report_layout_id = self.env.ref("web.external_layout_standard")
        wizard = self.env["vip.analysis.month"].create({"month": MARCH, "shop_ids": [(6, 0, self.config.ids)]})
        action = wizard.action_print_pdf()
        self.assertEqual(action["report_name"], "vip_loyalty.report_vip_analysis")

    def test_future_month_is_refused(self):
        wizard = self.env["vip.analysis.month"].create({"month": fields.Date.context_today(self.env.user)})
        wizard.month = date(2099, 1, 1)
        with self.assertRaises(UserError):
            wizard.action_recompute()

    def test_low_season_target(self):
        self._dataset()
        july = self.snapshot._vip_compute_month(date(2026, 7, 1), self.env.company)
        self.assertEqual(self.row(july, shop=False).new_member_target, 20, "20 in July-September")

    def test_registration_rate_per_cashier_and_team_targets(self):
        """Anonymous sales are new faces not registered, per cashier; targets per team."""
        team = self.env["vip.staff.team"].create({"name": "Group A", "user_ids": [(6, 0, self.env.user.ids)]})
        other = self.env["vip.staff.team"].create({"name": "Group B", "user_ids": [(6, 0, self.advisor2.ids)]})
        self.assertEqual((team.new_member_target, team.new_member_target_low), (30, 20), "the default targets")
        rows = self._dataset()
        cashier = self.row(rows, shop=self.config, advisor=self.env.user)
        # This cashier rang up C (enrolled), D (not) and the anonymous sale: 1 of 3 by hand.
        self.assertEqual((cashier.new_customer_count, cashier.new_customer_registered), (3, 1))
        self.assertAlmostEqual(cashier.registration_rate, 1 / 3)
        shop = self.row(rows, shop=self.config)
        self.assertAlmostEqual(shop.registration_rate, 1 / 3)
        figures = self.env["vip.team.snapshot"].search([("month", "=", MARCH)])
        mine = figures.filtered(lambda f: f.team_id == team)
        self.assertEqual((mine.new_member_count, mine.new_member_target), (1, 30), "C, enrolled by this cashier")
        self.assertAlmostEqual(mine.new_member_target_rate, 1 / 30)
        self.assertAlmostEqual(mine.registration_rate, 1 / 3)
        theirs = figures.filtered(lambda f: f.team_id == other)
        self.assertEqual((theirs.new_member_count, theirs.new_customer_count), (0, 0))
        self.snapshot._vip_compute_month(date(2026, 8, 1), self.env.company)
        august = self.env["vip.team.snapshot"].search([("month", "=", date(2026, 8, 1)), ("team_id", "=", team.id)])
        self.assertEqual(august.new_member_target, 20, "20 in July-September")
