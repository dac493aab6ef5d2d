from datetime import date

from odoo.tests import tagged

from .common import VipPosCommon


@tagged("post_install", "-at_install")
class TestNightlyChatter(VipPosCommon):
    """What the nightly job changes on a member shows in the member's chatter, like a change by hand."""

    def _notes(self, partner, text):
        return partner.message_ids.filtered(lambda m: text in (m.body or ""))

    def test_nightly_downgrade_leaves_a_chatter_line(self):
        self.sync([(self.product_1000, 1)], date_order=self.at(2026, 1, 10))
        self.assertEqual(self.member.vip_level_id.code, "SENIOR")
        self.env["vip.program"]._cron_nightly(today=date(2026, 8, 10))
        self.assertEqual(self.member.vip_level_id.code, "MEMBER")
        history = self.member.vip_level_history_ids[0]
        notes = self._notes(self.member, "Level: Senior → Member")
        self.assertEqual(len(notes), 1)
        self.assertIn(f"(Downgrade: {history.rule_description})", notes.body)
        self.assertEqual(notes.message_type, "notification")
        # Re-running the night changes nothing and says nothing.
        self.env["vip.program"]._cron_nightly(today=date(2026, 8, 10))
        self.assertEqual(len(self._notes(self.member, "Level:")), 1)

    def test_chatter_line_in_the_companys_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search([("name", "=", "vip_loyalty")])._update_translations(["zh_CN"])
        self.env.company.partner_id.lang = "zh_CN"
        self.sync([(self.product_1000, 1)], date_order=self.at(2026, 1, 10))
        self.env["vip.program"]._cron_nightly(today=date(2027, 2, 10))  # 13 months: lost
        self.assertEqual(self.member.vip_state, "lost")
        notes = self._notes(self.member, "VIP 状态：")
        self.assertEqual(len(notes), 1, self.member.message_ids.mapped("body"))
        self.assertIn("→ 流失", notes.body)

    def test_nightly_class_change_leaves_a_chatter_line(self):
        self.sync([(self.product_100, 1)], date_order=self.at(2026, 5, 1))
        self.env["res.partner"]._vip_cron_segmentation(today=date(2026, 5, 2))
        self.assertEqual(self.member.vip_abc_class, "C")
        self.assertFalse(self._notes(self.member, "ABC Class"), "a member's first class is not logged")
        self.sync([(self.product_100, 1)], date_order=self.at(2026, 5, 20))
        self.env["res.partner"]._vip_cron_segmentation(today=date(2026, 5, 21))
        self.assertEqual(self.member.vip_abc_class, "B")
        self.assertEqual(len(self._notes(self.member, "ABC Class: C → B (nightly segmentation)")), 1)
