import base64
import os
from unittest.mock import patch

from odoo.tests import HttpCase, common, tagged

WAIT_AND_SHOOT = """(async () => {
    const until = (test) => new Promise((resolve) => {
        const timer = setInterval(() => { if (test()) { clearInterval(timer); resolve(); } }, 200);
    });
    await until(() => document.querySelector('.o_action_manager .o_view_controller, .o_action_manager .o_form_view')
        && !document.querySelector('.o_loading_indicator, .o-loading'));
    await new Promise((resolve) => setTimeout(resolve, 2500));
    console.log('vip-screenshot:%s');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    console.log('test successful');
})()"""


@tagged("-standard", "vip_backoffice_screenshots", "post_install", "-at_install")
class TestVipBackofficeScreenshots(HttpCase):
    """Takes the README's back-office pictures on the demo database (tools/backoffice_screenshots.sh);
    not part of make test. Nothing is kept: the test's transaction is rolled back."""

    browser_size = "1440x900"

    def _shoot(self, name, url):
        out_dir = os.environ.get("VIP_SCREENSHOT_DIR") or os.getcwd()
        original = common.ChromeBrowser._handle_console

        def handle_console(browser, type, args=None, **kw):  # pylint: disable=redefined-builtin
            message = str(browser._from_remoteobject(args[0])) if args else ""
            if message.startswith("vip-screenshot:"):
                shot = message.split(":", 1)[1]

                def save(future):
                    with open(os.path.join(out_dir, f"{shot}.png"), "wb") as png:
                        png.write(base64.b64decode(future.result(timeout=0)["data"]))

                browser._websocket_send("Page.captureScreenshot", with_future=True).add_done_callback(save)
            return original(browser, type, args=args, **kw)

        with patch.object(common.ChromeBrowser, "_handle_console", handle_console):
            self.browser_js(url, WAIT_AND_SHOOT % name, login="admin", timeout=120)

    def _member(self):
        return self.env["res.partner"].search([
            ("vip_state", "=", "active"), ("vip_points_balance", ">", 0), ("vip_purchase_count", ">", 1),
        ], order="vip_lifetime_spend desc", limit=1)

    def test_screens_in_english(self):
        self.env.ref("base.user_admin").lang = "en_US"
        complaint = self.env["vip.complaint"].search([("state", "=", "in_progress")], limit=1)
        blist = self.env["vip.birthday.list"].search([], limit=1)
        shots = [
            ("backoffice_members", "/odoo/action-vip_loyalty.vip_member_action"),
            ("backoffice_member", f"/odoo/action-vip_loyalty.vip_member_action/{self._member().id}"),
            ("backoffice_dashboard", "/odoo/action-vip_loyalty.vip_analysis_dashboard_action"),
            ("backoffice_analysis", "/odoo/action-vip_loyalty.vip_analysis_snapshot_action"),
            ("backoffice_ledger", "/odoo/action-vip_loyalty.vip_points_ledger_analysis_action"),
            ("backoffice_complaints", "/odoo/action-vip_loyalty.vip_complaint_action"),
            ("backoffice_complaint", f"/odoo/action-vip_loyalty.vip_complaint_action/{complaint.id}"),
            ("backoffice_gifts", "/odoo/action-vip_loyalty.vip_gift_issue_action"),
            ("backoffice_birthdays", f"/odoo/action-vip_loyalty.vip_birthday_list_action/{blist.id}"),
            ("backoffice_settings", "/odoo/action-vip_loyalty.vip_settings_action"),
        ]
        for name, url in shots:
            self._shoot(name, url)

    def test_screens_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search([("name", "=", "vip_loyalty")])._update_translations(["zh_CN"])
        self.env.ref("base.user_admin").lang = "zh_CN"
        self._shoot("backoffice_member_zh_CN", f"/odoo/action-vip_loyalty.vip_member_action/{self._member().id}")
        self._shoot("backoffice_dashboard_zh_CN", "/odoo/action-vip_loyalty.vip_analysis_dashboard_action")
