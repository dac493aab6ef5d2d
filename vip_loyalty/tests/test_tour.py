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
