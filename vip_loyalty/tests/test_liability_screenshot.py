import os
import subprocess
import tempfile

from odoo import fields
from odoo.tests import HttpCase, tagged

from ..engine import liability as liability_engine
from .test_liability import TestPointsLiability


@tagged("-standard", "vip_screenshots", "post_install", "-at_install")
class TestVipLiabilityScreenshot(TestPointsLiability, HttpCase):
    """Takes docs/liability_report.png (wkhtmltoimage of the PDF's page); run by tools/pos_screenshots.sh."""

    def test_liability_report_screenshot(self):
        self._report_dataset()
        self.program.breakage_rate = 0.20
        self.post_points(self.a, -200, self.m3.replace(day=8), entry_type="redeem")
        self.post(self.m3)
        data = {"company_id": self.env.company.id, "month_from": fields.Date.to_string(self.m1),
                "month_to": fields.Date.to_string(liability_engine.month_start(self.m3))}
        html, _kind = self.env["ir.actions.report"].with_user(self.accountant)._render_qweb_html(
            "vip_loyalty.report_vip_liability", [], data=data)
        # The page's stylesheets come from this test's server, as the PDF's do.
        html = html.decode().replace("<head>", f'<head><base href="{self.base_url()}/"/>', 1)
        out_dir = os.environ.get("VIP_SCREENSHOT_DIR") or os.getcwd()
        with tempfile.NamedTemporaryFile("w", suffix=".html", delete=False) as page:
            page.write(html)
        try:
            subprocess.run(
                ["wkhtmltoimage", "--quiet", "--width", "1400", "--quality", "80",
                 page.name, os.path.join(out_dir, "liability_report.png")],
                check=True, timeout=120,
            )
        finally:
            os.unlink(page.name)
