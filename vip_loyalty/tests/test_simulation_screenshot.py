import base64
import os
from unittest.mock import patch

from odoo.tests import HttpCase, common, tagged

from .test_simulation import TestSimulation

SHOOT = """
(async () => {
    const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    for (let i = 0; i < 120 && !document.querySelector(".o_vip_simulation_matrix"); i++) {
        await pause(250);
    }
    await pause(1000);
    console.log("vip-screenshot:whatif_results");
    await pause(2000);
    console.log("test successful");
})();
"""


@tagged("-standard", "vip_screenshots", "post_install", "-at_install")
class TestVipSimulationScreenshot(TestSimulation, HttpCase):
    """Takes docs/whatif_results.png: the results tab of a simulated scenario in the web client;
    run by tools/pos_screenshots.sh, not by make test."""

    browser_size = "1400x1100"

    # The inherited tests run in make test already.
    test_simulation_matches_a_rebuild_both_ways_and_writes_nothing = None
    test_a_rebuild_uses_the_programme_in_force_on_each_day = None
    test_bad_scenarios_are_refused_and_nothing_is_written = None
    test_only_managers_see_scenarios = None

    def test_results_screenshot(self):
        self._history()
        simulation = self._scenario()
        simulation.action_simulate()
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
            self.browser_js(f"/odoo/action-vip_loyalty.vip_simulation_action/{simulation.id}", SHOOT,
                            login=self.manager.login, timeout=120)
