import base64
import os
from unittest.mock import patch

from odoo.tests import common, tagged

from . import test_pos_tour


@tagged("-standard", "vip_screenshots", "post_install", "-at_install")
class TestVipPosScreenshots(test_pos_tour.TestVipPosTour):
    """Takes docs/pos_member.png and docs/pos_receipt.png; run by tools/pos_screenshots.sh, not by make test."""

    browser_size = "1400x1050"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A birthday outside this month, so the picture shows the level discount and 折上折.
        today = cls.member.vip_level_since
        cls.member.write({"vip_birthday": today.replace(year=1990, month=(today.month + 5) % 12 + 1, day=12)})
        # A planned gift, so the picture shows it in the panel and handed over on the order.
        company = cls.main_pos_config.company_id
        rule = cls.env["vip.gift.rule"].create({
            "name": "Holiday gift", "occasion": "holiday", "product_id": cls.scarf.id, "company_id": company.id,
        })
        cls.env["vip.gift.issue"].create({
            "partner_id": cls.member.id, "rule_id": rule.id, "product_id": cls.scarf.id, "company_id": company.id,
            "occasion": "holiday", "occasion_date": today, "period_key": "screenshot",
        })

    def _run_shooting_tour(self, tour="vip_pos_screenshot_tour"):
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

        with patch.object(common.ChromeBrowser, "_handle_console", handle_console):
            self.start_pos_tour(tour, login="pos_user")

    # The inherited tour tests run in make test already.
    test_scan_card_level_discount_stack_and_receipt = None
    test_quick_enrolment = None
    test_redeem_points_for_a_gift = None
    test_pay_part_of_an_order_with_points = None
    test_hand_over_a_planned_gift = None
    test_lost_card_scanned_finds_the_member_with_a_warning = None

    def test_take_screenshots(self):
        self.main_pos_config.with_user(self.pos_user).open_ui()
        self._run_shooting_tour()

    def test_take_replaced_card_screenshot(self):
        self.member.vip_replace_card("lost in the park")
        self.main_pos_config.with_user(self.pos_user).open_ui()
        self._run_shooting_tour("vip_pos_replaced_card_screenshot_tour")
