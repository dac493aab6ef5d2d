from datetime import date

from lxml import etree
from odoo.addons.vip_loyalty.tests.common import VipPosCommon
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval


@tagged("post_install", "-at_install")
class TestAnalysisTotals(VipPosCommon):
    """What a manager sees in the analysis action by default adds up to the company's figures."""

    def _default_domain(self, action_xmlid):
        """The domain of the action's default filters, read from its context and search view."""
        action = self.env.ref(action_xmlid)
        context = safe_eval(action.context or "{}")
        arch = etree.fromstring(action.search_view_id.arch)
        domain = []
        for key, value in context.items():
            if key.startswith("search_default_") and value:
                node = arch.find(f".//filter[@name='{key[len('search_default_'):]}']")
                if node is not None and node.get("domain"):
                    domain += safe_eval(node.get("domain"))
        return domain

    def test_default_pivot_total_and_grouped_rate(self):
        other = self.env["res.partner"].create({"name": "Walk-in Wu"})
        self.program.auto_enrol = True
        self.sync([(self.product_1000, 1)], date_order=self.at(2026, 2, 10))              # member 1000
        self.program.auto_enrol = False
        self.sync([(self.product_1000, 3)], customer=other, date_order=self.at(2026, 2, 11))  # 3000, not a member
        self.sync([(self.product_559, 1)], date_order=self.at(2026, 3, 10))               # member 559
        self.sync([(self.product_100, 1)], customer=other, date_order=self.at(2026, 3, 11))   # 100
        snapshot = self.env["vip.analysis.snapshot"]
        for month in (date(2026, 2, 1), date(2026, 3, 1)):
            snapshot._vip_compute_month(month, self.env.company)
        company_rows = snapshot.search([("company_id", "=", self.env.company.id), ("row_type", "=", "company")])
        self.assertEqual(len(company_rows), 2)

        manager = self.env["res.users"].create({
            "name": "Analysis Manager", "login": "vip_analysis_manager",
            "groups_id": [(6, 0, [self.env.ref("vip_loyalty.group_vip_manager").id])],
            "company_id": self.env.company.id, "company_ids": [(6, 0, self.env.company.ids)],
        })
        as_manager = snapshot.with_user(manager)
        domain = self._default_domain("vip_loyalty.vip_analysis_snapshot_action") + [
            ("company_id", "=", self.env.company.id)]
        for month in (date(2026, 2, 1), date(2026, 3, 1)):
            total = as_manager.read_group(domain + [("month", "=", month)], ["member_sales:sum"], [])[0]
            company = company_rows.filtered(lambda r, m=month: r.month == m)
            self.assertAlmostEqual(total["member_sales"], company.member_sales)
        self.assertAlmostEqual(sum(company_rows.mapped("member_sales")), 1559.0)

        # the shop over both months: 1559 of 4659, not the average of 1000/4000 and 559/659
        groups = as_manager.read_group(domain, ["contribution_rate:avg", "member_sales:sum"], ["shop_id"])
        shop = next(g for g in groups if g["shop_id"] and g["shop_id"][0] == self.config.id)
        self.assertAlmostEqual(shop["contribution_rate"], 1559 / 4659)
        self.assertAlmostEqual(shop["member_sales"], 1559.0)

    def test_dashboard_defaults_to_company_rows_by_month(self):
        domain = self._default_domain("vip_loyalty.vip_analysis_dashboard_action")
        self.assertEqual(domain, [("row_type", "=", "company")])
        arch = self.env["vip.analysis.snapshot"].get_view(view_type="graph")["arch"]
        self.assertIn('name="month"', arch)

    def test_printing_does_not_write(self):
        before = self.env["vip.analysis.snapshot"].search_count([])
        self.sync([(self.product_559, 1)], date_order=self.at(2026, 3, 10))
        data = {"month": "2026-03-01", "company_id": self.env.company.id}
        self.env["ir.actions.report"]._render_qweb_html("vip_loyalty.report_vip_analysis", self.config.ids, data=data)
        self.assertEqual(self.env["vip.analysis.snapshot"].search_count([]), before)
