from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, tagged

from .common import VipPosCommon

DEFAULT_MODELS = ["vip.level", "vip.points.rule", "vip.points.bonus", "vip.holiday", "vip.gift.rule",
                  "vip.contact.step"]


def company_records(env, company):
    return {
        model: env[model].sudo().with_context(active_test=False).search([("company_id", "=", company.id)])
        for model in DEFAULT_MODELS
    }


@tagged("post_install", "-at_install")
class TestNewCompanySells(VipPosCommon):
    """TestPoSCommon's company is created by the test, after install: it must earn like the main one."""

    def test_company_created_in_a_test_sells_and_earns(self):
        company = self.env.company
        self.assertNotEqual(company, self.env.ref("base.main_company"))
        level_ids = [level.id for level in self.levels.values()]
        self.assertFalse(self.env["ir.model.data"].search([("model", "=", "vip.level"), ("res_id", "in", level_ids)]),
                         "the levels are copies made when the company was created, not install data")
        self.assertEqual(sorted(self.levels), ["MEMBER", "SENIOR", "SUPREME", "VIP"])
        self.assertEqual(self.rule.company_id, company)
        self.assertEqual(self.config.company_id, company)
        order = self.sync([(self.product_559, 1)])
        self.assertTrue(order.vip_processed)
        self.assertEqual(self.member.vip_points_balance, 55)
        self.assertEqual(self.member.vip_level_id.company_id, company)
        entry = self.env["vip.points.entry"].search([("pos_order_id", "=", order.id)])
        self.assertEqual((entry.entry_type, entry.points, entry.company_id), ("earn", 55, company))


@tagged("post_install", "-at_install")
class TestCompanyDefaults(TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.main = cls.env.ref("base.main_company")
        cls.company = cls.env["res.company"].create({"name": "Second Shop Ltd"})
        cls.advisor = cls.env["res.users"].create({
            "name": "VIP Advisor Two", "login": "vip_advisor_two",
            "company_id": cls.company.id, "company_ids": [(6, 0, cls.company.ids)],
            "groups_id": [(6, 0, [cls.env.ref("vip_loyalty.group_vip_advisor").id])],
        })
        cls.manager = cls.env["res.users"].create({
            "name": "VIP Manager Two", "login": "vip_manager_two",
            "company_id": cls.company.id, "company_ids": [(6, 0, (cls.company | cls.main).ids)],
            "groups_id": [(6, 0, [cls.env.ref("vip_loyalty.group_vip_manager").id])],
        })

    def test_new_company_gets_a_working_programme(self):
        mine, main = company_records(self.env, self.company), company_records(self.env, self.main)
        for model in DEFAULT_MODELS:
            self.assertEqual(len(mine[model]), len(main[model]), model)
        self.assertEqual(sorted(mine["vip.level"].mapped("code")), sorted(main["vip.level"].mapped("code")))
        self.assertEqual(sorted(mine["vip.points.bonus"].mapped(lambda b: (b.name, b.active))),
                         sorted(main["vip.points.bonus"].mapped(lambda b: (b.name, b.active))))
        # Gift rules point at the new company's own levels and holidays.
        for rule in mine["vip.gift.rule"]:
            self.assertLessEqual(rule.level_ids, mine["vip.level"], rule.name)
            self.assertLessEqual(rule.holiday_ids, mine["vip.holiday"], rule.name)
        main_rule = main["vip.gift.rule"].filtered("level_ids")[:1]
        self.assertTrue(main_rule, "the defaults have a gift rule tiered by level")
        copied = mine["vip.gift.rule"].filtered(lambda r: r.name == main_rule.name and r.occasion == main_rule.occasion)
        self.assertEqual(sorted(copied.level_ids.mapped("code")), sorted(main_rule.level_ids.mapped("code")))
        program = self.env["vip.program"]._get_for_company(self.company)
        self.assertEqual(program.company_id, self.company)
        # A member of the new company gets its lowest level and a card.
        member = self.env["res.partner"].create({"name": "Wang Fang", "company_id": self.company.id})
        member.with_company(self.company)._vip_enrol()
        self.assertEqual(member.vip_level_id, mine["vip.level"].sorted("sequence")[0])
        self.assertTrue(member.vip_card_number)
        # The gift rules' cost checks hold in the new company: its gift products got their cost.
        gift = mine["vip.gift.rule"].filtered(lambda r: r.cost_min)[:1]
        self.assertGreaterEqual(gift.product_id.with_company(self.company).standard_price, gift.cost_min)

    def test_setup_action_fills_what_a_company_lacks(self):
        records = company_records(self.env, self.company)
        records["vip.gift.rule"].unlink()
        records["vip.points.bonus"].unlink()
        records["vip.points.rule"].unlink()
        records["vip.level"].unlink()
        self.assertFalse(self.env["vip.points.rule"]._for_company(self.company))
        allowed = (self.company | self.main).ids
        with self.assertRaises(AccessError):
            self.env["vip.program"].with_user(self.advisor).with_context(
                allowed_company_ids=self.company.ids).action_vip_setup_companies()
        action = self.env["vip.program"].with_user(self.manager).with_context(
            allowed_company_ids=allowed).action_vip_setup_companies()
        self.assertIn("Second Shop Ltd", action["params"]["message"])
        after = company_records(self.env, self.company)
        self.assertEqual(len(after["vip.level"]), 4)
        self.assertTrue(self.env["vip.points.rule"]._for_company(self.company))
        self.assertEqual(after["vip.holiday"], records["vip.holiday"], "what the company has is kept")
        # Run again: nothing left to create, nothing doubled.
        action = self.env["vip.program"].with_user(self.manager).with_context(
            allowed_company_ids=allowed).action_vip_setup_companies()
        self.assertEqual(action["params"]["message"], "Every company already has its VIP programme.")
        self.assertEqual(len(company_records(self.env, self.company)["vip.level"]), 4)
