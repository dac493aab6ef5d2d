from datetime import date
from unittest.mock import patch

from odoo.tests import tagged

from .common import VipPosCommon

SALES_DAY = date(2026, 3, 2)
NIGHT = date(2028, 1, 2)  # every lot of 2026 has expired


@tagged("post_install", "-at_install")
class TestNightShards(VipPosCommon):
    """The nightly job in shards: each member once, a failed shard alone again, re-runs idle."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.members = cls.env["res.partner"].create([{"name": f"Night member {i}"} for i in range(5)])
        cls.program.night_shard_size = 2

    def setUp(self):
        super().setUp()
        for member in self.members:
            self.sync([(self.product_559, 1)], customer=member,
                      date_order=self.at(SALES_DAY.year, SALES_DAY.month, SALES_DAY.day))

    def shards(self, night=NIGHT):
        return self.env["vip.night.shard"].search([("company_id", "=", self.env.company.id), ("night", "=", night)])

    def expiries(self):
        return self.env["vip.points.entry"].search([("partner_id", "in", self.members.ids),
                                                   ("entry_type", "=", "expire")])

    def test_each_member_once_and_a_rerun_does_nothing(self):
        self.env["vip.program"]._cron_nightly(today=NIGHT)
        shards = self.shards()
        members = shards.filtered(lambda s: s.kind == "members")
        self.assertEqual(set(shards.mapped("state")), {"done"})
        self.assertEqual(len(shards.filtered(lambda s: s.kind == "final")), 1)
        # Five members, two a shard (plus the members of the test company enrolled elsewhere).
        self.assertGreaterEqual(len(members), 3)
        for member in self.members:
            self.assertEqual(len(members.filtered(lambda s, m=member: s.id_from <= m.id <= s.id_to)), 1)
        self.assertEqual(len(self.expiries()), 5, "one expiry per lot")
        self.assertEqual(set(self.members.mapped("vip_points_balance")), {0})
        self.assertEqual(set(self.members.mapped("vip_lifecycle_stage")), {"lost"})
        self.assertEqual(set(self.members.mapped("vip_abc_class")), {"C"})
        self.assertEqual(sum(members.mapped("lots_expired")), len(self.expiries()))
        # The shards' segments are what a full segmentation gives.
        self.assertEqual(self.env["res.partner"]._vip_cron_segmentation(today=NIGHT), 0)
        entries = self.env["vip.points.entry"].search_count([])
        history = self.env["vip.level.history"].search_count([])
        self.env["vip.program"]._cron_nightly(today=NIGHT)
        self.assertEqual(self.shards(), shards, "a re-run plans nothing")
        self.assertEqual(self.env["vip.points.entry"].search_count([]), entries)
        self.assertEqual(self.env["vip.level.history"].search_count([]), history)

    def test_a_failed_shard_is_retried_alone(self):
        victim = self.members[2]
        partner_class = type(self.env["res.partner"])
        original = partner_class._vip_segment_range
        failures = []

        def flaky(model, today, company, id_range, since):
            if company == self.env.company and id_range[0] <= victim.id <= id_range[1] and not failures:
                failures.append(id_range)
                raise RuntimeError("disk full")
            return original(model, today, company, id_range, since)

        with patch.object(partner_class, "_vip_segment_range", flaky):
            self.env["vip.program"]._cron_nightly(today=NIGHT)
            shards = self.shards()
            failed = shards.filtered(lambda s: s.state == "failed")
            self.assertEqual(len(failed), 1)
            self.assertEqual((failed.attempts, failed.error), (1, "disk full"))
            self.assertEqual(shards.filtered(lambda s: s.kind == "final").state, "pending",
                             "the final step waits for every member shard")
            # The failed shard's members were rolled back whole: their lots are still open.
            rolled_back = self.members.filtered(lambda m: failed.id_from <= m.id <= failed.id_to)
            self.assertIn(victim, rolled_back)
            self.assertEqual(set(rolled_back.mapped("vip_points_balance")), {55})
            self.assertEqual(len(self.expiries()), 5 - len(rolled_back))
            self.env["vip.night.shard"]._vip_run_shards()
        self.assertEqual(set(shards.mapped("state")), {"done"})
        self.assertEqual(failed.attempts, 1)
        self.assertEqual(len(self.expiries()), 5)
        self.assertEqual(victim.vip_points_balance, 0)

    def test_incremental_segmentation_reads_only_changed_members(self):
        night = date(2026, 3, 3)
        self.env["vip.program"]._cron_nightly(today=night)
        self.assertEqual(set(self.members.mapped("vip_abc_class")), {"A"}, "55 points each")
        # As on a real next night: the sales are from before last night's plan, which was a day ago.
        for table, column, age in (("vip_night_shard", "create_date", 2), ("pos_order", "write_date", 3),
                                   ("vip_points_entry", "create_date", 3), ("res_partner", "write_date", 3)):
            self.env.cr.execute(
                f"UPDATE {table} SET {column} = {column} - interval '1 day' * %s", [age]  # noqa: S608 - fixed names
            )
        self.env.invalidate_all()
        buyer = self.members[0]
        self.sync([(self.product_100, 1)], customer=buyer, date_order=self.at(2026, 3, 3))
        self.env["vip.program"]._cron_nightly(today=date(2026, 3, 4))
        shards = self.shards(date(2026, 3, 4)).filtered(lambda s: s.kind == "members")
        self.assertEqual(sum(shards.mapped("members")), 1, "only the member who bought is read again")
        self.assertEqual(self.members[1].vip_segmented_on, night)
        # Thirty days after their first sale the others are no longer new: due on 1 April.
        self.assertEqual(self.members[1].vip_segment_due, date(2026, 4, 1))
        self.assertEqual(self.members[1].vip_lifecycle_stage, "new")
        self.env["vip.program"]._cron_nightly(today=date(2026, 4, 1))
        self.assertEqual(self.members[1].vip_lifecycle_stage, "active")
        before = [(p.vip_abc_class, p.vip_lifecycle_stage, p.vip_purchase_types.ids) for p in self.members]
        self.env["res.partner"]._vip_cron_segmentation(today=date(2026, 4, 1))
        after = [(p.vip_abc_class, p.vip_lifecycle_stage, p.vip_purchase_types.ids) for p in self.members]
        self.assertEqual(before, after, "the incremental nights give the full segmentation's result")

    def test_rfm_on_its_cadence_and_on_demand(self):
        self.env["vip.program"]._cron_nightly(today=date(2026, 3, 3))
        self.assertEqual(self.program.rfm_refreshed_on, date(2026, 3, 3))
        self.assertTrue(all(self.members.mapped("vip_rfm_score")))
        self.env["vip.program"]._cron_nightly(today=date(2026, 3, 5))
        self.assertEqual(self.program.rfm_refreshed_on, date(2026, 3, 3), "weekly by default")
        self.env["vip.program"]._cron_nightly(today=date(2026, 3, 10))
        self.assertEqual(self.program.rfm_refreshed_on, date(2026, 3, 10))
        self.program.action_vip_refresh_rfm()
        self.env["vip.night.shard"]._vip_run_shards()
        self.assertEqual(self.program.rfm_refreshed_on, self.env.company._vip_today())
        self.assertFalse(self.program.rfm_refresh_requested)
