from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestVipBackendTour(HttpCase):
    def test_member_list_shows_card_and_level(self):
        partner = self.env["res.partner"].create({"name": "Tour Member Sun Li", "phone": "+86 138 5555 0001"})
        partner.action_vip_enrol()
        self.start_tour(
            "/odoo/action-vip_loyalty.vip_member_action",
            "vip_loyalty_member_tour",
            login="admin",
        )


@tagged("post_install", "-at_install")
class TestVipComplaintTour(HttpCase):
    def test_complaint_kanban_start_and_resolve(self):
        partner = self.env["res.partner"].create({"name": "Tour Complainer Qian", "phone": "+86 138 5555 0002"})
        complaint = self.env["vip.complaint"].create({"partner_id": partner.id, "description": "Hem came loose."})
        self.start_tour("/odoo/action-vip_loyalty.vip_complaint_action", "vip_loyalty_complaint_tour", login="admin")
        self.assertEqual(complaint.state, "resolved")
        self.assertEqual(complaint.resolution, "Hem redone while the customer waited.")
