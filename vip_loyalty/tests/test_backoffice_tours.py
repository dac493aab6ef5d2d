from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestBackofficeTours(HttpCase):
    """Each screen in Chromium as the least-privileged role that uses it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cashier = new_test_user(cls.env, "vip_tour_cashier", groups="base.group_user,base.group_partner_manager,"
                                    "vip_loyalty.group_vip_user", name="Tour Cashier")
        cls.advisor = new_test_user(cls.env, "vip_tour_advisor", groups="base.group_user,base.group_partner_manager,"
                                    "vip_loyalty.group_vip_advisor", name="Tour Advisor")
        cls.manager = new_test_user(cls.env, "vip_tour_manager", groups="base.group_user,base.group_partner_manager,"
                                    "vip_loyalty.group_vip_manager", name="Tour Manager")

    def test_member_from_members_new(self):
        self.start_tour("/odoo/action-vip_loyalty.vip_member_action", "vip_loyalty_member_new_tour",
                        login="vip_tour_cashier")
        member = self.env["res.partner"].search([("name", "=", "Tour New Member Zhou")])
        self.assertEqual(member.vip_state, "active")
        self.assertTrue(member.vip_card_number)
        self.assertTrue(member.vip_level_id)

    def test_manual_gift_from_gifts_new(self):
        member = self.env["res.partner"].create({"name": "Tour Gift Member", "vip_advisor_id": self.advisor.id})
        member._vip_enrol(advisor=self.advisor)
        product = self.env["product.product"].create({"name": "Tour gift scarf", "standard_price": 50.0})
        self.env["vip.gift.rule"].create({
            "name": "Tour Manual Gift", "occasion": "anniversary", "product_id": product.id, "validity_days": 30,
        })
        self.start_tour("/odoo/action-vip_loyalty.vip_gift_issue_action", "vip_loyalty_gift_new_tour",
                        login="vip_tour_advisor")
        gift = self.env["vip.gift.issue"].search([("partner_id", "=", member.id)])
        self.assertEqual(len(gift), 1)
        self.assertEqual((gift.occasion, gift.product_id, gift.state), ("anniversary", product, "planned"))
        self.assertTrue(gift.period_key)
        self.assertNotEqual(gift.name, "/")

    def test_adjust_points_posts_reason_in_chatter(self):
        member = self.env["res.partner"].create({"name": "Tour Adjust Member"})
        member._vip_enrol()
        self.start_tour("/odoo/action-vip_loyalty.vip_member_action", "vip_loyalty_adjust_points_tour",
                        login="vip_tour_manager")
        self.assertEqual(member.vip_points_balance, 1500)
        self.assertTrue(member.message_ids.filtered(lambda m: "Goodwill after a late delivery" in (m.body or "")))

    def test_complaint_dragged_across_the_kanban(self):
        partner = self.env["res.partner"].create({"name": "Tour Drag Customer"})
        complaint = self.env["vip.complaint"].create({"partner_id": partner.id, "description": "Zip broke."})
        busy = self.env["vip.complaint"].create({
            "partner_id": self.env["res.partner"].create({"name": "Tour Busy Customer"}).id, "description": "Late.",
        })
        busy.action_start()
        self.start_tour("/odoo/action-vip_loyalty.vip_complaint_action", "vip_loyalty_complaint_drag_tour",
                        login="vip_tour_cashier")
        self.assertEqual(complaint.state, "in_progress")
        self.assertTrue(complaint.first_response_date, "dragging takes the same step as the Start button")
