import base64
import itertools
from datetime import datetime, time, timedelta
from unittest.mock import patch

from dateutil.relativedelta import relativedelta
from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import VipPosCommon

PHONES = itertools.count(70000001)


class _Killed(BaseException):  # noqa: N818 - what a worker killed mid-chunk looks like to the code
    """Not an Exception: nothing in the job catches it, as nothing survives a SIGKILL."""


@tagged("post_install", "-at_install")
class TestJobs(VipPosCommon):
    """Long VIP work runs as background jobs: queued by the button, run by the cron in slices."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env, login="vip_job_manager", name="Manager Gao",
            groups="base.group_user,point_of_sale.group_pos_user,vip_loyalty.group_vip_manager",
            company_id=cls.env.company.id, company_ids=[(6, 0, cls.env.company.ids)],
        )
        cls.job_class = type(cls.env["vip.job"])

    def _past_customers(self, count, start, prefix):
        """Customers with one paid 1,000 order each, from before the module (not processed)."""
        customers = [self.env["res.partner"].create({"name": f"{prefix} {i}", "phone": f"+86 139 {next(PHONES)}"})
                     for i in range(count)]
        with patch.object(type(self.env["pos.order"]), "_vip_process_paid", lambda self: None):
            for i, partner in enumerate(customers):
                when = datetime.combine(start + timedelta(days=3 + i), time(12))
                self.sync([(self.product_1000, 1)], customer=partner, date_order=when)
        return customers

    def _queue(self, start, **vals):
        self.program.job_inline_limit = 0  # whatever its size, the rebuild goes to the background
        wizard = self.env["vip.history.rebuild"].with_user(self.manager).create(
            dict({"date_from": start, "dry_run": False, "batch_size": 1}, **vals))
        return wizard, wizard.action_rebuild()

    def _earned(self, partner):
        return self.env["vip.points.entry"].search_count([("partner_id", "=", partner.id), ("entry_type", "=", "earn")])

    def test_the_button_queues_and_the_cron_runs_the_rebuild_in_slices(self):
        start = fields.Date.context_today(self.env.user) - relativedelta(months=3)
        customers = self._past_customers(4, start, "Queued")
        wizard, action = self._queue(start)
        job = wizard.job_id
        self.assertEqual((action["res_model"], action["res_id"]), ("vip.job", job.id), "the button opens the job")
        self.assertEqual((job.state, wizard.state), ("queued", "draft"))
        self.assertTrue(all(partner.vip_state == "none" for partner in customers), "nothing ran in the request")
        cron = self.env.ref("vip_loyalty.ir_cron_vip_jobs")
        self.assertTrue(self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), "the cron is woken")
        seen = [(job.state, job.progress_done, job.progress_total)]
        # A slice of no time: each cron call does one chunk (one member here), then returns.
        with patch.object(self.job_class, "_vip_slice_seconds", return_value=0.0):
            for _call in range(10):
                self.env["vip.job"]._cron_run_jobs()
                job.invalidate_recordset()
                seen.append((job.state, job.progress_done, job.progress_total))
                if job.state == "done":
                    break
        self.assertEqual(seen, [("queued", 0, 0), ("running", 1, 4), ("running", 2, 4), ("running", 3, 4),
                                ("done", 4, 4)])
        self.assertEqual((job.members_count, job.orders_count, job.failed_count), (4, 4, 0))
        self.assertIn("4 members computed in batches, 0 replayed through the live order code", job.log)
        for partner in customers:
            partner.invalidate_recordset()
            self.assertEqual((partner.vip_level_id, partner.vip_points_balance, self._earned(partner)),
                             (self.levels["SENIOR"], 100, 1))
        self.assertTrue(any("4 members rebuilt" in message.body for message in job.message_ids), "the chatter says")

    def test_an_interrupted_job_resumes_without_doing_members_twice(self):
        start = fields.Date.context_today(self.env.user) - relativedelta(months=3)
        customers = self._past_customers(4, start, "Crash")
        _wizard, action = self._queue(start)
        job = self.env["vip.job"].browse(action["res_id"])
        commit, simulate = self.job_class._vip_commit, self.job_class._vip_simulate_member

        def keep_on_commit(job, do_commit):
            commit(job, do_commit)
            self.env.cr.execute("SAVEPOINT vip_test_committed")  # what a real commit would keep

        def killed_at_the_third(job, member, *args):
            if member.id == customers[2].id:
                raise _Killed
            return simulate(job, member, *args)

        killed = False
        with patch.object(self.job_class, "_vip_commit", keep_on_commit), \
                patch.object(self.job_class, "_vip_simulate_member", killed_at_the_third):
            try:  # not assertRaises: Odoo's rolls back its own savepoint, further back than a crash
                self.env["vip.job"]._cron_run_jobs()
            except _Killed:
                killed = True
        self.assertTrue(killed)
        self.env.cr.execute("ROLLBACK TO SAVEPOINT vip_test_committed")
        self.env.clear()
        self.assertEqual((job.state, job.progress_done), ("running", 2), "two members committed, then the crash")
        self.assertEqual([self._earned(p) for p in customers], [1, 1, 0, 0])
        replayed = []

        def spy(job, member, *args):
            replayed.append(member.id)
            return simulate(job, member, *args)

        with patch.object(self.job_class, "_vip_simulate_member", spy):
            self.env["vip.job"]._cron_run_jobs()
        self.assertEqual(replayed, [customers[2].id, customers[3].id], "done members are not replayed")
        self.assertEqual((job.state, job.progress_done, job.members_count), ("done", 4, 4))
        self.assertEqual([self._earned(p) for p in customers], [1, 1, 1, 1])
        self.assertEqual(self.env["res.partner"]._vip_check_balances(), [])

    def _sequence_values(self):
        card = self.env.ref("vip_loyalty.seq_vip_card_number")
        values = {}
        for name in (f"ir_sequence_{card.id:03d}", "vip_points_entry_id_seq", "vip_level_history_id_seq"):
            self.env.cr.execute(f"SELECT last_value, is_called FROM {name}")  # noqa: S608 - fixed names
            values[name] = self.env.cr.fetchone()
        return values

    def test_a_dry_run_takes_no_card_or_entry_numbers(self):
        start = fields.Date.context_today(self.env.user) - relativedelta(months=3)
        customers = self._past_customers(2, start, "Dry")
        buyer, pick = self._past_customers(2, start, "Tangled")
        with patch.object(type(self.env["pos.order"]), "_vip_process_paid", lambda self: None):
            self.refund(self.env["pos.order"].search([("partner_id", "=", buyer.id)]), {self.product_1000: 1},
                        customer=pick)  # a return rung up for someone else: the live code's case
        before = self._sequence_values()
        wizard = self.env["vip.history.rebuild"].with_user(self.manager).create(
            {"date_from": start, "dry_run": True})
        wizard.action_rebuild()
        self.assertEqual(self._sequence_values(), before)
        job = wizard.job_id
        self.assertEqual(job.state, "done", "a small rebuild runs at once")
        self.assertEqual((wizard.members_count, wizard.points_outstanding, wizard.level_summary),
                         (2, 200, f"{self.levels['SENIOR'].name}: 2"))
        self.assertEqual(set(wizard.member_ids.ids), {p.id for p in customers})
        self.assertEqual(job.live_count, 2, "the tangled pair is counted, not simulated")
        self.assertFalse(self.env["vip.points.entry"].search_count(
            [("partner_id", "in", [p.id for p in customers + [buyer, pick]])]))
        self.assertTrue(all(p.vip_state == "none" for p in customers))
        real = self.env["vip.history.rebuild"].with_user(self.manager).create({"date_from": start, "dry_run": False})
        real.action_rebuild()
        self.assertNotEqual(self._sequence_values(), before, "the real run does take numbers")
        self.assertEqual([(p.vip_level_id, p.vip_points_balance) for p in customers],
                         [(self.levels["SENIOR"], 100)] * 2, "as the dry run said")

    def test_another_company_is_refused_and_nothing_is_queued(self):
        other = self.env["res.company"].create({"name": "Shop of another company"})
        jobs = self.env["vip.job"].sudo().search_count([])
        start = fields.Date.context_today(self.env.user) - relativedelta(months=1)
        rebuild = self.env["vip.history.rebuild"].with_user(self.manager).create(
            {"date_from": start, "company_id": other.id, "dry_run": False})
        with self.assertRaises(AccessError):
            rebuild.action_rebuild()
        csv = base64.b64encode(b"card_number,name,phone\nVO-1,Wu Lan,+86 137 0000 0099")
        members = self.env["vip.member.import"].with_user(self.manager).create(
            {"file": csv, "file_name": "vip.csv", "company_id": other.id})
        for action in (members.action_validate, members.action_import):
            with self.assertRaises(AccessError):
                action()
        month = self.env["vip.analysis.month"].with_user(self.manager).create({"company_id": other.id})
        with self.assertRaises(AccessError):
            month.action_recompute()
        self.assertEqual(self.env["vip.job"].sudo().search_count([]), jobs)
        self.assertFalse(self.env["res.partner"].search_count([("vip_card_number", "=", "VO-1")]))
