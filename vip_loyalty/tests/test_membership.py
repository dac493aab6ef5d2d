from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger
from psycopg2 import IntegrityError


@tagged("post_install", "-at_install")
class TestMembership(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cashier = new_test_user(
            cls.env, login="vip_cashier",
            groups="base.group_user,point_of_sale.group_pos_user,vip_loyalty.group_vip_user",
        )
        cls.advisor = new_test_user(cls.env, login="vip_advisor", groups="vip_loyalty.group_vip_advisor")
        cls.manager = new_test_user(cls.env, login="vip_manager", groups="vip_loyalty.group_vip_manager")

    def test_enrol_button_assigns_card_and_base_level(self):
        partner = self.env["res.partner"].create({"name": "Li Na", "phone": "+86 138 1111 2222"})
        self.assertEqual(partner.vip_state, "none")
        partner.with_user(self.cashier).action_vip_enrol()
        self.assertEqual(partner.vip_state, "active")
        self.assertTrue(partner.vip_card_number.startswith("VIP"))
        self.assertEqual(partner.vip_level_id.code, "MEMBER")
        self.assertEqual(partner.vip_advisor_id, self.cashier)
        self.assertEqual(partner.vip_level_history_ids.reason, "upgrade")

    def test_card_numbers_follow_the_sequence(self):
        a, b = self.env["res.partner"].create([{"name": "A"}, {"name": "B"}])
        (a | b).action_vip_enrol()
        self.assertNotEqual(a.vip_card_number, b.vip_card_number)

    def test_duplicate_card_is_refused_and_nothing_written(self):
        a = self.env["res.partner"].create({"name": "A"})
        a.action_vip_enrol()
        b = self.env["res.partner"].create({"name": "B"})
        b.action_vip_enrol()
        before = b.vip_card_number
        with self.assertRaisesRegex(ValidationError, "already belongs to"):
            b.write({"vip_card_number": a.vip_card_number})
        b.invalidate_recordset()
        self.assertEqual(b.vip_card_number, before)
        with self.assertRaisesRegex(ValidationError, "already belongs to"):
            self.env["res.partner"].create({"name": "C", "vip_state": "active", "vip_card_number": a.vip_card_number})

    def test_card_uniqueness_is_a_database_guarantee(self):
        a = self.env["res.partner"].create({"name": "A"})
        a.action_vip_enrol()
        b = self.env["res.partner"].create({"name": "B"})
        b.action_vip_enrol()
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.env.cr.savepoint():
            self.env.cr.execute("UPDATE res_partner SET vip_card_number = %s WHERE id = %s", [a.vip_card_number, b.id])

    def test_blank_or_malformed_card_is_refused(self):
        a = self.env["res.partner"].create({"name": "A"})
        a.action_vip_enrol()
        with self.assertRaisesRegex(ValidationError, "needs a card number"):
            a.write({"vip_card_number": False})
        with self.assertRaisesRegex(ValidationError, "not valid"):
            a.write({"vip_card_number": "a b c"})

    def test_malformed_phone_is_refused_for_members(self):
        with self.assertRaisesRegex(ValidationError, "phone number"), self.env.cr.savepoint():
            self.env["res.partner"].create({"name": "X", "phone": "call me", "vip_state": "active"})
        self.assertFalse(self.env["res.partner"].search([("name", "=", "X")]))
        # Non-members keep Odoo's usual freedom.
        self.env["res.partner"].create({"name": "Y", "phone": "call me"})

    def test_balance_cannot_be_written_by_hand(self):
        a = self.env["res.partner"].create({"name": "A"})
        a.action_vip_enrol()
        with self.assertRaisesRegex(UserError, "kept by the ledger"):
            a.write({"vip_points_balance": 500})
        with self.assertRaisesRegex(UserError, "Change Level"):
            a.with_user(self.manager).write({"vip_level_id": self.env.ref("vip_loyalty.vip_level_supreme").id})

    def test_soft_profile_hidden_from_cashier(self):
        a = self.env["res.partner"].create({"name": "A", "vip_hobbies": "hiking"})
        self.assertEqual(a.with_user(self.advisor).vip_hobbies, "hiking")
        with self.assertRaises(AccessError):
            a.with_user(self.cashier).read(["vip_hobbies"])

    def test_profile_completeness_weights_hard_20_soft_80(self):
        a = self.env["res.partner"].create({"name": "A"})
        # name alone: 1 of 11 hard items = 20 * 1/11
        self.assertAlmostEqual(a.vip_profile_completeness, round(20 / 11, 1))
        a.write({"vip_work": "teacher", "vip_family": "two children"})
        self.assertAlmostEqual(a.vip_profile_completeness, round(20 / 11 + 80 * 2 / 10, 1))

    def test_enrol_from_the_form(self):
        with Form(self.env["res.partner"]) as form:
            form.name = "Form Member"
            form.phone = "13800001111"
        partner = form.record
        partner.action_vip_enrol()
        self.assertEqual(partner.vip_state, "active")

    def test_manual_level_change_needs_manager_and_reason(self):
        a = self.env["res.partner"].create({"name": "A"})
        a.action_vip_enrol()
        vip = self.env.ref("vip_loyalty.vip_level_vip")
        wizard = self.env["vip.level.change"].with_user(self.manager).create(
            {"partner_id": a.id, "level_id": vip.id, "reason": "store opening guest"}
        )
        wizard.action_confirm()
        self.assertEqual(a.vip_level_id, vip)
        last = self.env["vip.level.history"].search([("partner_id", "=", a.id)], order="id desc", limit=1)
        self.assertEqual(
            (last.reason, last.rule_description, last.user_id), ("manual", "store opening guest", self.manager)
        )
        with self.assertRaises(AccessError):
            self.env["vip.level.change"].with_user(self.advisor).create(
                {"partner_id": a.id, "level_id": vip.id, "reason": "x"}
            )
