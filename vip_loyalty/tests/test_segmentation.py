from datetime import date

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import VipPosCommon

TODAY = date(2026, 6, 30)


@tagged("post_install", "-at_install")
class TestSegmentation(VipPosCommon):
    """Five members whose classes, scores and types are worked out by hand below."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        partners = cls.env["res.partner"].create([{"name": f"Seg member {i}"} for i in range(1, 6)])
        cls.m1, cls.m2, cls.m3, cls.m4, cls.m5 = partners
        cls.product_socks = cls.create_product("Socks", cls.categ_basic, 20.0)
        cls.types = {t.code: t for t in cls.env["vip.purchase.type"].search([])}

    def _buy(self, partner, lines, day):
        return self.sync(lines, customer=partner, date_order=self.at(day.year, day.month, day.day))

    def _dataset(self):
        # The socks were launched on 1 May 2026: lines within 30 days are new arrivals.
        self.env.cr.execute("UPDATE product_template SET create_date = '2026-05-01 08:00' WHERE id = %s",
                            [self.product_socks.product_tmpl_id.id])
        self.product_socks.invalidate_recordset()
        # m1: one purchase a month ago -> C, new, 10 points
        self._buy(self.m1, [(self.product_100, 1)], date(2026, 6, 1))
        # m2: twice, last in November -> B dropped to C after 6 months; sleeping
        self._buy(self.m2, [(self.product_100, 1)], date(2025, 10, 1))
        self._buy(self.m2, [(self.product_100, 1)], date(2025, 11, 1))
        # m3: six purchases in May-June of one pair of socks (20) at 50 % off -> A by frequency, not points
        for day in (date(2026, 5, 5), date(2026, 5, 10), date(2026, 5, 15), date(2026, 5, 20),
                    date(2026, 6, 20), date(2026, 6, 25)):
            # (the POS test helper keeps the undiscounted total for untaxed products: 20 per order)
            order = self._buy(self.m3, [(self.product_socks, 1, 50)], day)
            self.assertEqual(order.lines.discount, 50)
        # m4: three purchases of three hair clips, two months apart -> B, bulk
        for day in (date(2026, 1, 10), date(2026, 3, 10), date(2026, 5, 10)):
            self._buy(self.m4, [(self.product_5, 3)], day)
        # m5: one dress of 559 -> 55 points -> A with a single purchase
        self._buy(self.m5, [(self.product_559, 1)], date(2026, 4, 15))
        self.env["res.partner"]._vip_cron_segmentation(today=TODAY)

    def test_abc_classes(self):
        self._dataset()
        self.assertEqual(self.m1.vip_abc_class, "C", "bought once")
        self.assertEqual(self.m2.vip_abc_class, "C", "a B member without a visit for 6 months drops to C")
        self.assertEqual(self.m3.vip_abc_class, "A", "more than 5 purchases in the last 2 months")
        self.assertLess(self.m3.vip_points_balance, 50)
        self.assertEqual(self.m4.vip_abc_class, "B", "bought more than once")
        self.assertEqual(self.m5.vip_points_balance, 55)
        self.assertEqual(self.m5.vip_abc_class, "A", "at least 50 points")

    def test_manager_override_survives_the_cron(self):
        self._dataset()
        self.m1.write({"vip_abc_class": "A"})
        self.assertTrue(self.m1.vip_abc_manual)
        self.env["res.partner"]._vip_cron_segmentation(today=TODAY)
        self.assertEqual(self.m1.vip_abc_class, "A", "a manager's choice is kept")
        self.m1.action_vip_abc_automatic()
        self.assertFalse(self.m1.vip_abc_manual)
        self.assertEqual(self.m1.vip_abc_class, "C")

    def test_cashier_cannot_set_the_class(self):
        self._dataset()
        cashier = self.env["res.users"].create({
            "name": "Cashier", "login": "seg_cashier",
            "groups_id": [(6, 0, [self.env.ref("vip_loyalty.group_vip_user").id])],
            "company_id": self.env.company.id, "company_ids": [(6, 0, self.env.company.ids)],
        })
        with self.assertRaises(AccessError):
            self.m1.with_user(cashier).write({"vip_abc_class": "A"})

    def test_lifecycle(self):
        self._dataset()
        self.assertEqual(self.m1.vip_lifecycle_stage, "new")
        self.assertEqual(self.m2.vip_lifecycle_stage, "sleeping")
        self.assertEqual(self.m3.vip_lifecycle_stage, "active")
        self.assertEqual(self.m4.vip_lifecycle_stage, "active")
        self.assertEqual(self.m5.vip_lifecycle_stage, "active")
        self.env["res.partner"]._vip_cron_segmentation(today=date(2026, 9, 15))
        self.assertEqual(self.m5.vip_lifecycle_stage, "silent", "5 months without a visit")
        self.env["res.partner"]._vip_cron_segmentation(today=date(2026, 11, 2))
        self.assertEqual(self.m2.vip_lifecycle_stage, "lost", "12 months without a visit")

    def test_rfm_scores(self):
        self._dataset()
        # Recency, oldest first: m2, m5, m4, m1, m3 -> 1..5.
        # Frequency in 12 months: m1 = m5 = 1 (rank 0), m2 = 2 (rank 2), m4 = 3 (rank 3), m3 = 6 (rank 4).
        # Monetary in 12 months: m4 45, m1 100, m3 120, m2 200, m5 559.
        expected = {self.m1: "412", self.m2: "134", self.m3: "553", self.m4: "341", self.m5: "215"}
        for partner, code in expected.items():
            self.assertEqual(partner.vip_rfm_score, code, partner.name)
        self.assertEqual((self.m3.vip_rfm_recency, self.m3.vip_rfm_frequency, self.m3.vip_rfm_monetary), (5, 5, 3))

    def test_purchase_types_after_the_third_purchase(self):
        self._dataset()
        codes = {p: set(p.vip_purchase_types.mapped("code")) for p in (self.m1, self.m2, self.m3, self.m4, self.m5)}
        self.assertEqual(codes[self.m1], set(), "fewer than 3 purchases")
        self.assertEqual(codes[self.m2], set())
        self.assertEqual(codes[self.m5], set())
        self.assertEqual(codes[self.m4], {"bulk", "style"})
        self.assertEqual(codes[self.m3], {"new_arrival", "promotion", "single_item", "frequent", "high_price", "style"})
        self.assertEqual(self.m3.vip_style_category_id, self.categ_basic)
        self.assertIn(self.types["frequent"], self.m3.vip_purchase_types)

    def test_rerun_changes_nothing(self):
        self._dataset()
        before = [(p.vip_abc_class, p.vip_rfm_score, p.vip_lifecycle_stage, p.vip_purchase_types.ids)
                  for p in (self.m1, self.m2, self.m3, self.m4, self.m5)]
        changed = self.env["res.partner"]._vip_cron_segmentation(today=TODAY)
        self.assertEqual(changed, 0)
        after = [(p.vip_abc_class, p.vip_rfm_score, p.vip_lifecycle_stage, p.vip_purchase_types.ids)
                 for p in (self.m1, self.m2, self.m3, self.m4, self.m5)]
        self.assertEqual(before, after)

    def test_nightly_program_cron_segments(self):
        self._buy(self.m1, [(self.product_100, 1)], date(2026, 6, 1))
        self.env["vip.program"]._cron_nightly(today=TODAY)
        self.assertEqual(self.m1.vip_abc_class, "C")
        self.assertEqual(self.m1.vip_rfm_score, "111")

    def test_bad_settings_are_refused(self):
        for vals in ({"abc_a_points": -1}, {"promotion_share": 1.5}, {"new_member_low_months": "7,13"},
                     {"lifecycle_silent_months": 8, "lifecycle_sleeping_months": 6}):
            with self.assertRaises(ValidationError), self.env.cr.savepoint():
                self.program.write(vals)
        self.assertEqual(self.program.abc_a_points, 50)
        self.assertEqual(self.program.new_member_low_months, "7,8,9")
