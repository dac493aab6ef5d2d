import base64
import os
from datetime import timedelta
from unittest.mock import patch

from odoo.addons.point_of_sale.tests.test_frontend import TestPointOfSaleHttpCommon
from odoo.tests import common, tagged


@tagged("post_install", "-at_install")
class TestVipVoucherTour(TestPointOfSaleHttpCommon):
    """A year-end voucher typed at the till by a cashier without VIP rights: used once, printed on the
    receipt, refused the second time and after expiry; the server's records are checked after."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        company = cls.main_pos_config.company_id
        # The back office sets up as a VIP manager; the cashier at the till has no VIP right.
        cls.env.user.groups_id |= env.ref("vip_loyalty.group_vip_manager")
        cls.program = env["vip.program"]._get_for_company(company)
        cls.program.member_day = 0
        cls.silk = env["product.product"].create({
            "name": "Silk Dress", "list_price": 559.0, "available_in_pos": True, "taxes_id": False,
            "is_storable": False, "type": "consu",
        })
        cls.member = env["res.partner"].create({"name": "Chen Jing", "mobile": "+86 139 0000 0002"})
        cls.member._vip_enrol()
        today = company._vip_today()
        env["vip.points.entry"]._vip_post([{
            "partner_id": cls.member.id, "company_id": company.id, "date": today, "points": 1230,
            "entry_type": "adjust", "expiry_date": today + timedelta(days=100), "rule_description": "tour lot",
        }])
        # The conversion as the cron makes it, then known codes so the tour can type them.
        settings = cls.program._vip_voucher_settings()
        cls.vouchers = env["vip.voucher"]._vip_convert_member(
            cls.member, company, settings, today, today + timedelta(days=45), today)
        cls.vouchers.sorted("amount", reverse=True)[0].sudo().write({"name": "VTOURAAAA2"})
        cls.old = env["vip.voucher"].sudo().create({
            "name": "VTOUROLD22", "company_id": company.id, "partner_id": cls.member.id, "amount": 50,
            "year": today.year - 1, "date_issued": today - timedelta(days=60),
            "valid_until": today - timedelta(days=1),
        })
        cls.ledger_before = sum(env["vip.points.entry"].search([("partner_id", "=", cls.member.id)]).mapped("points"))

    def test_voucher_used_once_at_the_till(self):
        self.assertFalse(self.pos_user.has_group("vip_loyalty.group_vip_user"), "a cashier without VIP rights")
        voucher = self.vouchers.filtered(lambda v: v.name == "VTOURAAAA2")
        self.assertEqual(voucher.amount, 100.0)
        self.main_pos_config.with_user(self.pos_user).open_ui()
        self.start_pos_tour("vip_voucher_tour", login="pos_user")
        order = self.env["pos.order"].search([("config_id", "=", self.main_pos_config.id), ("state", "!=", "draft")])
        self.assertEqual(len(order), 1, "one paid order; the refused vouchers wrote nothing")
        self.assertEqual((voucher.state, voucher.pos_order_id), ("used", order))
        self.assertEqual(order.amount_total, 459.0)
        self.assertEqual(order.lines.filtered("vip_voucher_code").price_subtotal_incl, -100.0)
        self.assertEqual(self.old.state, "open", "the expired voucher was not used")
        entries = self.env["vip.points.entry"].search([("partner_id", "=", self.member.id)])
        self.assertEqual(sum(entries.mapped("points")), self.ledger_before, "using a voucher moves no points")
        self.assertEqual(self.member.vip_points_balance, self.ledger_before)


@tagged("-standard", "vip_screenshots", "post_install", "-at_install")
class TestVipVoucherScreenshot(TestVipVoucherTour):
    """Takes docs/pos_voucher_receipt.png; run by tools/pos_screenshots.sh, not by make test."""

    browser_size = "1400x1050"
    test_voucher_used_once_at_the_till = None

    def test_take_voucher_screenshot(self):
        out_dir = os.environ.get("VIP_SCREENSHOT_DIR") or os.getcwd()
        original = common.ChromeBrowser._handle_console

        def handle_console(browser, type, args=None, **kw):  # pylint: disable=redefined-builtin
            message = str(browser._from_remoteobject(args[0])) if args else ""
            if message.startswith("vip-screenshot:"):
                name = message.split(":", 1)[1]

                def save(future):
                    with open(os.path.join(out_dir, f"{name}.png"), "wb") as png:
                        png.write(base64.b64decode(future.result(timeout=0)["data"]))

                browser._websocket_send("Page.captureScreenshot", with_future=True).add_done_callback(save)
            return original(browser, type, args=args, **kw)

        self.main_pos_config.with_user(self.pos_user).open_ui()
        with patch.object(common.ChromeBrowser, "_handle_console", handle_console):
            self.start_pos_tour("vip_voucher_screenshot_tour", login="pos_user")
