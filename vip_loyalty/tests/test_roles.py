from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import VipPosCommon


@tagged("post_install", "-at_install")
class TestVipRoles(VipPosCommon):
    """Each role as the server sees it: a POS user with no VIP group, a VIP cashier, an advisor, a
    manager, and a cashier of a second company. Every refusal writes nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program.member_day = 0
        cls.company_a = cls.env.company
        cls.company_b = cls.setup_other_company(name="VIP Second Shop Co")["company"]
        cls._copy_programme(cls.company_b)
        cls.config_b = cls.env["pos.config"].with_company(cls.company_b).create({"name": "Second Shop Till"})

        # Contact Creation, as Odoo gives every new user: they may edit contacts.
        pos_user = "base.group_user,base.group_partner_manager,point_of_sale.group_pos_user"
        cls.pos_only = cls._user("vip_role_pos", pos_user, cls.company_a)
        cls.cashier = cls._user("vip_role_cashier", pos_user + ",vip_loyalty.group_vip_user", cls.company_a)
        cls.advisor = cls._user("vip_role_advisor", pos_user + ",vip_loyalty.group_vip_advisor", cls.company_a)
        cls.manager = cls._user("vip_role_manager", pos_user + ",vip_loyalty.group_vip_manager", cls.company_a)
        cls.cashier_b = cls._user("vip_role_cashier_b", pos_user + ",vip_loyalty.group_vip_user", cls.company_b)
        # Allowed in both companies, selling at the first company's till.
        cls.cashier_ab = cls._user(
            "vip_role_cashier_ab", pos_user + ",vip_loyalty.group_vip_user", cls.company_a, cls.company_b,
        )

        today = fields.Date.context_today(cls.member)
        cls.member.company_id = cls.company_a
        cls.member._vip_enrol()
        cls.member_b = cls.env["res.partner"].create({
            "name": "Zhao Min", "phone": "+86 139 5555 0002", "company_id": cls.company_b.id,
            "vip_card_number": "VIPBZHAO",
        })
        cls.member_b._vip_enrol()
        for partner, company in ((cls.member, cls.company_a), (cls.member_b, cls.company_b)):
            cls.env["vip.points.entry"]._vip_post([{
                "partner_id": partner.id, "company_id": company.id, "date": today, "points": 1200,
                "entry_type": "adjust", "expiry_date": today + timedelta(days=5), "rule_description": "test lot",
            }])
        cls.gift = cls.create_product("Silk scarf gift", cls.categ_basic, 180.0)
        gift_product_b = cls.env["product.product"].create({"name": "Scarf gift B", "list_price": 180.0})
        rule_b = cls.env["vip.gift.rule"].create({
            "name": "Birthday gift B", "occasion": "birthday", "product_id": gift_product_b.id,
            "company_id": cls.company_b.id,
        })
        cls.gift_b = cls.env["vip.gift.issue"].create({
            "partner_id": cls.member_b.id, "rule_id": rule_b.id, "product_id": gift_product_b.id,
            "company_id": cls.company_b.id, "occasion": "birthday", "occasion_date": today, "period_key": "roles",
        })

    @classmethod
    def _copy_programme(cls, company):
        """The new company got the programme's defaults; its points payment is its own product."""
        cash_b = cls.env["product.product"].create({
            "name": "Points payment B", "type": "service", "list_price": 0.0, "available_in_pos": True,
            "company_id": company.id,
        })
        cls.env["vip.points.rule"].sudo()._for_company(company).cash_product_id = cash_b

    @classmethod
    def _user(cls, login, groups, *companies):
        return new_test_user(
            cls.env, login=login, groups=groups, company_id=companies[0].id,
            company_ids=[(6, 0, [c.id for c in companies])],
        )

    def _entries(self, partner, entry_type=None):
        domain = [("partner_id", "=", partner.id)] + ([("entry_type", "=", entry_type)] if entry_type else [])
        return self.env["vip.points.entry"].search(domain)

    def _state(self, partner):
        partner.invalidate_recordset()
        return (partner.vip_state, partner.vip_level_id, partner.vip_points_balance,
                len(partner.vip_level_history_ids), len(self._entries(partner)))

    # -- the till --------------------------------------------------------------------------

    def test_pos_user_without_vip_group_works_the_till(self):
        partners = self.env["res.partner"].with_user(self.pos_only)
        card = self.member.vip_card_number
        self.assertEqual(partners.vip_pos_search(card, self.config.id), self.member.ids)
        summary = partners.vip_pos_member_summary(self.member.id, self.config.id)
        self.assertEqual((summary["name"], summary["card"], summary["balance"]), ("Chen Jing", card, 1200))
        self.assertEqual(summary["level_name"], "Member")
        benefits = partners.vip_pos_benefits(
            self.member.id, [{"product_id": self.product_559.id, "price_unit": 559.0, "qty": 1}], self.config.id)
        self.assertEqual(len(benefits), 1)
        self.assertTrue(partners.vip_pos_gift_quote(self.member.id, self.gift.id, self.config.id)["ok"])
        self.assertEqual(partners.vip_pos_cash_quote(self.member.id, 559.0, self.config.id)["points"], 1200)
        new_id = partners.vip_pos_enrol("Lin Xiao", "137 2468 1357", self.config.id)
        new = self.env["res.partner"].browse(new_id)
        self.assertEqual((new.vip_state, new.vip_enrol_shop_id, new.vip_advisor_id),
                         ("active", self.config, self.pos_only))
        rule = self.env["vip.gift.rule"].create({
            "name": "Birthday gift", "occasion": "birthday", "product_id": self.gift.id,
            "company_id": self.company_a.id,
        })
        gift = self.env["vip.gift.issue"].create({
            "partner_id": self.member.id, "rule_id": rule.id, "product_id": self.gift.id,
            "company_id": self.company_a.id, "occasion": "birthday",
            "occasion_date": fields.Date.context_today(self.member), "period_key": "roles-a",
        })
        issues = self.env["vip.gift.issue"].with_user(self.pos_only)
        self.assertEqual([g["id"] for g in issues.vip_pos_open_gifts(self.member.id, self.config.id)], gift.ids)
        record = issues.vip_pos_gift_record(gift.id, self.config.id)["vip.gift.issue"][0]
        self.assertEqual((record["id"], record["partner_id"], record["product_id"]),
                         (gift.id, self.member.id, self.gift.id))
        order = self.sync([(self.product_559, 1)])
        info = self.env["pos.order"].with_user(self.pos_only).vip_pos_receipt_info([order.uuid])
        self.assertEqual((info[0]["card"], info[0]["earned"]), (card, 55))
        # ... and still none of the back office's VIP data.
        with self.assertRaises(AccessError):
            self.env["vip.points.entry"].with_user(self.pos_only).search([])
        with self.assertRaises(AccessError):
            self.member.with_user(self.pos_only).read(["vip_hobbies"])

    def test_other_companys_member_gets_nothing_back(self):
        for user in (self.pos_only, self.cashier, self.cashier_ab):
            partners = self.env["res.partner"].with_user(user)
            self.assertEqual(partners.vip_pos_search(self.member_b.vip_card_number, self.config.id), [], user.login)
            self.assertEqual(partners.vip_pos_search("139 5555 0002", self.config.id), [], user.login)
            self.assertEqual(partners.vip_pos_member_summary(self.member_b.id, self.config.id), {}, user.login)
            benefits = partners.vip_pos_benefits(
                self.member_b.id, [{"product_id": self.product_559.id, "price_unit": 559.0, "qty": 1}],
                self.config.id)
            self.assertEqual(benefits, [{"discount": 0.0, "kind": "none", "label": ""}])
            for quote in (partners.vip_pos_gift_quote(self.member_b.id, self.gift.id, self.config.id),
                          partners.vip_pos_cash_quote(self.member_b.id, 559.0, self.config.id)):
                self.assertFalse(quote["ok"])
                self.assertNotIn("points", quote)
                self.assertNotIn("Zhao", quote["message"])
            issues = self.env["vip.gift.issue"].with_user(user)
            self.assertEqual(issues.vip_pos_open_gifts(self.member_b.id, self.config.id), [])
            self.assertEqual(issues.vip_pos_gift_record(self.gift_b.id, self.config.id), {})
        # The same member at their own company's till: all there.
        summary = self.env["res.partner"].with_user(self.cashier_b).vip_pos_member_summary(
            self.member_b.id, self.config_b.id)
        self.assertEqual((summary["name"], summary["balance"], len(summary["gifts"])), ("Zhao Min", 1200, 1))

    def test_other_companys_terminal_is_refused(self):
        calls = [
            lambda p, c: p.vip_pos_search(self.member.vip_card_number, c),
            lambda p, c: p.vip_pos_member_summary(self.member.id, c),
            lambda p, c: p.vip_pos_benefits(
                self.member.id, [{"product_id": self.product_559.id, "price_unit": 559.0, "qty": 1}], c),
            lambda p, c: p.vip_pos_gift_quote(self.member.id, self.gift.id, c),
            lambda p, c: p.vip_pos_cash_quote(self.member.id, 559.0, c),
            lambda p, c: p.vip_pos_enrol("Someone", "137 0000 0009", c),
            lambda p, c: p.env["vip.gift.issue"].vip_pos_open_gifts(self.member.id, c),
        ]
        count = self.env["res.partner"].search_count([])
        for user, config_id in ((self.cashier, self.config_b.id), (self.pos_only, self.config_b.id),
                                (self.cashier_b, self.config.id), (self.cashier, 999999)):
            partners = self.env["res.partner"].with_user(user)
            for call in calls:
                with self.assertRaises(AccessError):
                    call(partners, config_id)
        self.assertEqual(self.env["res.partner"].search_count([]), count, "no member enrolled")
        order = self.sync([(self.product_559, 1)])
        self.assertEqual(self.env["pos.order"].with_user(self.cashier_b).vip_pos_receipt_info([order.uuid]), [])

    def test_till_loads_only_its_own_companys_points_product(self):
        cash_a = self.rule.cash_product_id
        cash_b = self.env["vip.points.rule"]._for_company(self.company_b).cash_product_id
        self.assertTrue(cash_a and cash_b and cash_a != cash_b)
        special = self.config._get_special_products()
        self.assertIn(cash_a, special)
        self.assertNotIn(cash_b, special)
        session = self.pos_session.with_user(self.pos_only)
        loaded = session.load_data([])
        self.assertIn(cash_a.id, loaded["pos.session"]["data"][0]["_pos_special_products_ids"])
        self.assertNotIn(cash_b.id, loaded["pos.session"]["data"][0]["_pos_special_products_ids"])
        self.assertNotIn(cash_b.id, [p["id"] for p in loaded["product.product"]["data"]])

    # -- level and status ------------------------------------------------------------------

    def test_level_and_status_cannot_be_written_whatever_the_context(self):
        top = self.levels["SUPREME"]
        before = self._state(self.member)
        for user in (self.cashier, self.advisor, self.manager):
            partner = self.member.with_user(user)
            with self.assertRaisesRegex(AccessError, "Change Level"):
                partner.with_context(vip_level_change=True).write({"vip_level_id": top.id})
            with self.assertRaisesRegex(AccessError, "Change Level"):
                partner.with_context(vip_level_change=True).write({"vip_level_valid_until": "2099-12-31"})
            with self.assertRaisesRegex(AccessError, "Change Level"):
                partner.write({"vip_state": "lost"})
            with self.assertRaisesRegex(AccessError, "Change Level"):
                self.env["res.partner"].with_user(user).with_context(vip_level_change=True).create({
                    "name": "Friend", "vip_state": "active", "vip_level_id": top.id,
                })
        self.assertEqual(self._state(self.member), before)
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Friend")]))
        form_fields = self.env["res.partner"].with_user(self.manager).fields_get(
            ["vip_state", "vip_level_id"], ["readonly"])
        self.assertTrue(form_fields["vip_state"]["readonly"])
        self.assertTrue(form_fields["vip_level_id"]["readonly"])
        # Ordinary contact edits still work.
        self.member.with_user(self.manager).write({"vip_clothing_size": "M"})

    def test_only_the_managers_wizard_changes_a_level(self):
        top = self.levels["SUPREME"]
        before = self._state(self.member)
        for user in (self.cashier, self.advisor):
            with self.assertRaises(AccessError):
                self.env["vip.level.change"].with_user(user).create(
                    {"partner_id": self.member.id, "level_id": top.id, "reason": "a friend"}).action_confirm()
        self.assertEqual(self._state(self.member), before)
        self.env["vip.level.change"].with_user(self.manager).create(
            {"partner_id": self.member.id, "level_id": top.id, "reason": "store opening guest"}).action_confirm()
        self.assertEqual(self.member.vip_level_id, top)
        last = self.member.vip_level_history_ids.sorted("id")[-1]
        self.assertEqual((last.reason, last.user_id), ("manual", self.manager))

    # -- points and enrolment ----------------------------------------------------------------

    def test_redeeming_points_needs_a_vip_user(self):
        before = self._state(self.member)
        for user in (self.pos_only, new_test_user(self.env, login="vip_role_internal", groups="base.group_user")):
            with self.assertRaisesRegex(AccessError, "Only VIP users"):
                self.member.with_user(user).vip_redeem_points(100, "a friend's coffee")
        self.assertEqual(self._state(self.member), before)
        self.assertFalse(self._entries(self.member, "redeem"))
        # A VIP user of another company cannot see the member, so cannot burn their points either.
        with self.assertRaises(AccessError):
            self.member.with_user(self.cashier_b).vip_redeem_points(100, "a friend's coffee")
        self.assertEqual(self._state(self.member), before)
        entry = self.member.with_user(self.cashier).vip_redeem_points(100, "gift: hair clip")
        self.assertEqual((entry.points, self.member.vip_points_balance), (-100, 1100))

    def test_back_office_enrolment_needs_vip_rights(self):
        partner = self.env["res.partner"].create({"name": "Walk-in", "phone": "137 1111 0000"})
        for user in (self.pos_only, new_test_user(self.env, login="vip_role_clerk", groups="base.group_user")):
            with self.assertRaisesRegex(AccessError, "Only VIP users"):
                partner.with_user(user).action_vip_enrol()
        partner.invalidate_recordset()
        self.assertEqual((partner.vip_state, partner.vip_card_number, partner.vip_level_id.id), ("none", False, False))
        partner.with_user(self.cashier).action_vip_enrol()
        self.assertEqual((partner.vip_state, partner.vip_level_id), ("active", self.levels["MEMBER"]))

    # -- reports ---------------------------------------------------------------------------------

    def test_analysis_report_only_for_allowed_companies(self):
        report = self.env["report.vip_loyalty.report_vip_analysis"]
        month = fields.Date.to_string(fields.Date.context_today(self.member).replace(day=1) - timedelta(days=1))
        snapshots = self.env["vip.analysis.snapshot"].sudo()
        before = snapshots.search_count([("company_id", "=", self.company_b.id)])
        with self.assertRaisesRegex(AccessError, "not allowed"):
            report.with_user(self.manager)._get_report_values([], {"month": month, "company_id": self.company_b.id})
        with self.assertRaisesRegex(UserError, "shops of the company"):
            report.with_user(self.manager)._get_report_values(
                self.config_b.ids, {"month": month, "company_id": self.company_a.id})
        with self.assertRaisesRegex(AccessError, "VIP Managers"):
            report.with_user(self.advisor)._get_report_values([], {"month": month, "company_id": self.company_a.id})
        self.assertEqual(snapshots.search_count([("company_id", "=", self.company_b.id)]), before)
        values = report.with_user(self.manager)._get_report_values(
            [], {"month": month, "company_id": self.company_a.id})
        self.assertEqual(values["company"], self.company_a)
        for xmlid, group in (
            ("vip_loyalty.action_report_vip_analysis", "vip_loyalty.group_vip_manager"),
            ("vip_loyalty.action_report_vip_birthday_list", "vip_loyalty.group_vip_user"),
            ("vip_loyalty.vip_complaint_report", "vip_loyalty.group_vip_user"),
            ("vip_loyalty.action_report_vip_gift_issue_list", "vip_loyalty.group_vip_user"),
        ):
            self.assertEqual(self.env.ref(xmlid).groups_id, self.env.ref(group), xmlid)
