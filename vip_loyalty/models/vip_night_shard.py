import logging
import os
import socket
import threading
import time
from datetime import timedelta

from odoo import api, fields, models
from odoo.modules import module as odoo_module

from ..engine import night as night_engine

_logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# Transactions still open when a night was planned may commit their orders and ledger
# entries with an earlier timestamp: the next night looks back this much further.
CHANGE_MARGIN = timedelta(hours=1)


class VipNightShard(models.Model):
    """One slice of a company's night: members of an id range, or the company's final step.

    The planner (``vip.program._cron_nightly``) writes the night's shards once; every cron
    worker on every server claims them one at a time with ``FOR UPDATE SKIP LOCKED`` and
    holds the claim for the shard's whole transaction, so no member is done twice, a shard
    that fails is rolled back and retried on its own, and a re-run for the same night finds
    nothing to do.
    """

    _name = "vip.night.shard"
    _description = "VIP nightly job shard"
    _order = "night desc, company_id, kind desc, shard_no"

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    night = fields.Date(required=True, readonly=True)
    kind = fields.Selection([("members", "Members"), ("final", "Final step")], required=True, readonly=True,
                            default="members",
                            help="Members: expiry, levels and segmentation of an id range. Final step (once every "
                                 "member shard of the night is done): the RFM refresh when due, the balance check.")
    shard_no = fields.Integer(readonly=True)
    id_from = fields.Integer(string="From id", readonly=True)
    id_to = fields.Integer(string="To id", readonly=True)
    state = fields.Selection([("pending", "Pending"), ("done", "Done"), ("failed", "Failed")],
                             default="pending", required=True, readonly=True, index=True)
    attempts = fields.Integer(readonly=True, help="Failed attempts; a shard is tried up to three times.")
    error = fields.Text(readonly=True)
    changes_since = fields.Datetime(readonly=True, help="Segmentation recomputes members changed since then.")
    members = fields.Integer(readonly=True, help="Members whose segments were recomputed.")
    lots_expired = fields.Integer(readonly=True)
    levels_changed = fields.Integer(readonly=True)
    duration = fields.Float(string="Seconds", readonly=True, digits=(16, 2))
    worker = fields.Char(readonly=True, help="Host, process and thread that did the shard.")
    done_at = fields.Datetime(readonly=True)

    _sql_constraints = [
        ("night_unique", "UNIQUE(company_id, night, kind, shard_no)", "A night's shard exists once."),
    ]

    # -- planning ------------------------------------------------------------------------

    @api.model
    def _vip_plan_night(self, company, day, program):
        """Write the night's shards unless they exist (a re-run plans nothing)."""
        cr = self.env.cr
        cr.execute("SELECT 1 FROM vip_night_shard WHERE company_id = %s AND night = %s AND kind = 'members' LIMIT 1",
                   [company.id, day])
        if cr.fetchone():
            return 0
        # Lock the company's nights so two planners started at once write one plan.
        cr.execute("SELECT id FROM res_company WHERE id = %s FOR NO KEY UPDATE", [company.id])
        cr.execute("SELECT 1 FROM vip_night_shard WHERE company_id = %s AND night = %s AND kind = 'members' LIMIT 1",
                   [company.id, day])
        if cr.fetchone():
            return 0
        self.env["res.partner"].flush_model()
        cr.execute(
            """
            SELECT p.id FROM res_partner p LEFT JOIN vip_level lv ON lv.id = p.vip_level_id
             WHERE p.vip_state <> 'none' AND COALESCE(lv.company_id, p.company_id) = %s ORDER BY p.id
            """,
            [company.id],
        )
        ranges = night_engine.plan_shards([r[0] for r in cr.fetchall()], program.night_shard_size or 5000)
        cr.execute(
            """
            SELECT max(create_date) FROM vip_night_shard
             WHERE company_id = %s AND night < %s AND kind = 'final' AND state = 'done'
            """,
            [company.id, day],
        )
        last = cr.fetchone()[0]
        since = last - CHANGE_MARGIN if last else False
        vals = [
            {"company_id": company.id, "night": day, "kind": "members", "shard_no": no, "id_from": lo, "id_to": hi,
             "changes_since": since}
            for no, (lo, hi) in enumerate(ranges, start=1)
        ]
        vals.append({"company_id": company.id, "night": day, "kind": "final", "shard_no": 0, "changes_since": since})
        self.sudo().create(vals)
        _logger.info("vip: night %s of %s planned in %s member shards", day, company.name, len(ranges))
        return len(ranges)

    # -- running -------------------------------------------------------------------------

    @api.model
    def _cron_run_shards(self):
        """Cron (one record per parallel worker): take shards until none is left or the time
        slice is used, then report progress so Odoo calls again at once."""
        done = self._vip_run_shards()
        remaining = self._vip_remaining()
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        if remaining and done:
            self._vip_trigger_workers()
        return done

    @api.model
    def _vip_trigger_workers(self):
        crons = self.env["ir.cron"].sudo().search([("ir_actions_server_id.code", "=", "model._cron_run_shards()")])
        for cron in crons:
            cron._trigger()

    @api.model
    def _vip_remaining(self):
        self.flush_model()
        self.env.cr.execute("SELECT count(*) FROM vip_night_shard WHERE state = 'pending' "
                            "OR (state = 'failed' AND attempts < %s)", [MAX_ATTEMPTS])
        return self.env.cr.fetchone()[0]

    @api.model
    def _vip_run_shards(self, deadline=None):
        """Claim and run shards one by one; each shard is one transaction."""
        testing = bool(odoo_module.current_test)
        if deadline is None:
            deadline = float("inf") if testing else time.monotonic() + self.env["vip.job"]._vip_slice_seconds()
        done, failed = 0, []
        while True:
            shard = self._vip_claim(exclude=failed)
            if not shard:
                break
            if not shard._vip_run():
                failed.append(shard.id)  # retried alone by a later call, not in a loop here
            if not testing:
                self.env.cr.commit()  # pylint: disable=invalid-commit
            done += 1
            if time.monotonic() >= deadline:
                break
        return done

    @api.model
    def _vip_claim(self, exclude=()):
        """The next shard no other transaction holds; a night's final step only once all its
        member shards are done. The row lock lasts until the shard's commit."""
        self.flush_model()
        self.env.cr.execute(
            """
            SELECT s.id FROM vip_night_shard s
             WHERE (s.state = 'pending' OR (s.state = 'failed' AND s.attempts < %s)) AND s.id <> ALL(%s)
               AND (s.kind = 'members' OR NOT EXISTS (
                        SELECT 1 FROM vip_night_shard m
                         WHERE m.company_id = s.company_id AND m.night = s.night
                           AND m.kind = 'members' AND m.state <> 'done'))
             ORDER BY s.night, s.attempts, s.company_id, s.kind DESC, s.shard_no
             LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED
            """,
            [MAX_ATTEMPTS, list(exclude)],
        )
        row = self.env.cr.fetchone()
        return self.sudo().browse(row[0]) if row else self.browse()

    def _vip_run(self):
        """Run one claimed shard in a savepoint: all of it, or nothing and a failed attempt."""
        self.ensure_one()
        started = time.perf_counter()
        worker = f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"
        try:
            with self.env.cr.savepoint():
                figures = self._vip_do()
        except Exception as error:  # noqa: BLE001 - any failure is recorded and the shard retried alone
            self.env.invalidate_all()
            _logger.exception("vip: night shard %s (%s, %s) failed", self.shard_no, self.company_id.name, self.night)
            self.write({"state": "failed", "attempts": self.attempts + 1, "error": str(error), "worker": worker})
            return False
        self.write({**figures, "state": "done", "error": False, "worker": worker, "done_at": fields.Datetime.now(),
                    "duration": time.perf_counter() - started})
        _logger.info("vip: night %s of %s, shard %s done in %.1f s by %s: %s", self.night, self.company_id.name,
                     self.shard_no, time.perf_counter() - started, worker, figures)
        return True

    def _vip_do(self):
        """The night's order for each member: expiry, then levels, then segmentation."""
        company = self.company_id
        env = self.with_company(company).with_context(vip_night_shard=True).sudo().env
        program = env["vip.program"]._get_for_company(company)
        if self.kind == "final":
            return env["res.partner"]._vip_night_final(self.night, company, program)
        id_range = (self.id_from, self.id_to)
        # A shard commits as a whole: its lots expire in one statement, not in committed batches.
        lots = env["vip.points.entry"]._vip_expire_lots(self.night, company, 10**9, id_range=id_range)
        levels = env["res.partner"]._vip_nightly_levels(self.night, company, program, id_range=id_range)
        members = env["res.partner"]._vip_segment_range(self.night, company, id_range, self.changes_since)
        return {"lots_expired": lots, "levels_changed": levels, "members": members}
