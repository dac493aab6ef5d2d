import logging
import time

from odoo import _, api, fields, models
from odoo.addons.base.models.ir_cron import MAX_BATCH_PER_CRON_JOB
from odoo.exceptions import AccessError, UserError
from odoo.modules import module as odoo_module
from odoo.service.server import SLEEP_INTERVAL
from odoo.tools import config

from ..engine import simulation as simulation_engine

_logger = logging.getLogger(__name__)

PENDING = ("queued", "running")


class VipJob(models.Model):
    """A long VIP task run in the background: history rebuild, VIP list import, monthly analysis.

    The wizards only queue a job (and run it at once when it is small). The cron
    ``ir_cron_vip_jobs`` runs the queued jobs in slices that each stay well under the
    worker's time limit: a slice commits its work per chunk together with the job's
    cursor and counters, reports Odoo's cron progress and returns, and the cron calls it
    again while work remains. A job interrupted anywhere (worker killed, server stopped)
    resumes from its last committed chunk. The kind-specific steps are the mixins
    ``vip.history.replay``, ``vip.import.rows`` and ``vip.analysis.job``, and the what-if
    simulation's own steps below.
    """

    _name = "vip.job"
    _inherit = ["mail.thread", "vip.history.replay", "vip.import.rows", "vip.analysis.job"]
    _description = "VIP Background Job"
    _order = "id desc"
    _mail_post_access = "read"  # managers comment on jobs they cannot edit

    name = fields.Char(compute="_compute_name", store=True)
    kind = fields.Selection(
        [("rebuild", "Rebuild from history"), ("import", "Import VIP list"), ("analysis", "Monthly analysis"),
         ("simulation", "What-if simulation")],
        required=True, readonly=True,
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    user_id = fields.Many2one("res.users", string="Requested by", required=True, readonly=True,
                              default=lambda self: self.env.user)
    state = fields.Selection(
        [("queued", "Queued"), ("running", "Running"), ("done", "Done"), ("failed", "Failed"),
         ("cancelled", "Cancelled")],
        default="queued", required=True, readonly=True, tracking=True,
        string="Status",
    )
    progress_done = fields.Integer(string="Done", readonly=True)
    progress_total = fields.Integer(string="Total", readonly=True)
    progress = fields.Float(string="Progress (%)", compute="_compute_progress")
    progress_unit = fields.Char(compute="_compute_progress_unit")
    date_started = fields.Datetime(string="Started", readonly=True)
    date_finished = fields.Datetime(string="Finished", readonly=True)
    # Parameters, by kind.
    date_from = fields.Date(string="Start date", readonly=True)
    dry_run = fields.Boolean(readonly=True)
    include_live_members = fields.Boolean(string="Include members with live entries", readonly=True)
    batch_size = fields.Integer(string="Largest chunk", readonly=True)
    month = fields.Date(readonly=True)
    file_name = fields.Char(readonly=True)
    # The plan (rebuild: members and their orders; import: the checked rows) and the
    # position reached in it, both committed with each chunk.
    payload = fields.Json(prefetch=False, copy=False)
    cursor = fields.Integer(readonly=True, copy=False)
    seconds_per_unit = fields.Float(readonly=True, copy=False, digits=(16, 6))
    # Results.
    members_count = fields.Integer(string="Members affected", readonly=True)
    orders_count = fields.Integer(string="Orders replayed", readonly=True)
    skipped_count = fields.Integer(string="Members skipped", readonly=True,
                                   help="Customers whose ledger already has live entries.")
    failed_count = fields.Integer(string="Members failed", readonly=True)
    live_count = fields.Integer(string="Members through the live code", readonly=True)
    points_outstanding = fields.Integer(readonly=True)
    level_counts = fields.Json(copy=False)
    level_summary = fields.Text(string="Members per level", compute="_compute_level_summary")
    member_ids = fields.Many2many("res.partner", string="Members", readonly=True, copy=False)
    snapshot_ids = fields.Many2many("vip.analysis.snapshot", string="Analysis rows", readonly=True, copy=False)
    log = fields.Text(readonly=True, copy=False)
    result_summary = fields.Text(readonly=True, copy=False)
    # What-if simulation.
    simulation_id = fields.Many2one("vip.simulation", string="Scenario", readonly=True, ondelete="cascade")
    simulation_totals = fields.Json(prefetch=False, copy=False)

    @api.depends("kind", "company_id", "date_from", "month", "file_name", "dry_run")
    def _compute_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for job in self:
            detail = {
                "rebuild": job.date_from and _("from %s", job.date_from),
                "import": job.file_name,
                "analysis": job.month and job.month.strftime("%Y-%m"),
            }.get(job.kind) or ""
            name = " ".join(filter(None, [kinds.get(job.kind, ""), detail]))
            job.name = _("%s (dry run)", name) if job.dry_run else name

    @api.depends("kind")
    def _compute_progress_unit(self):
        for job in self:
            job.progress_unit = {"rebuild": _("members"), "import": _("rows")}.get(job.kind) or _("steps")

    @api.depends("progress_done", "progress_total")
    def _compute_progress(self):
        for job in self:
            job.progress = 100.0 * job.progress_done / job.progress_total if job.progress_total else 0.0

    @api.depends("level_counts")
    def _compute_level_summary(self):
        levels = self.env["vip.level"].sudo().with_context(active_test=False)
        for job in self:
            per_level = {}
            for level_id, count in (job.level_counts or {}).items():
                name = levels.browse(int(level_id)).name if int(level_id) else _("No level")
                per_level[name] = per_level.get(name, 0) + count
            job.level_summary = "\n".join(f"{name}: {count}" for name, count in sorted(per_level.items())) or False

    # -- queueing ------------------------------------------------------------------------

    @api.model
    def _vip_check_company(self, company):
        """Wizards and jobs work only on the companies the user may use."""
        if not self.env.su and company not in self.env.user.company_ids:
            raise AccessError(_("You can only run this for one of your companies."))

    @api.model
    def _vip_queue(self, vals):
        """Create a queued job after checking rights and company (nothing is queued otherwise)."""
        if not self.env.user.has_group("vip_loyalty.group_vip_manager"):
            raise AccessError(_("Only VIP Managers can start VIP background jobs."))
        company = self.env["res.company"].browse(vals["company_id"])
        self._vip_check_company(company)
        if vals["kind"] in ("rebuild", "import") and not vals.get("dry_run") and self.sudo().search_count([
            ("kind", "=", vals["kind"]), ("company_id", "=", company.id), ("state", "in", PENDING),
            ("dry_run", "=", False),
        ]):
            raise UserError(_("A job of this kind is already queued or running for %s; wait for it or cancel it.",
                              company.display_name))
        return self.sudo().create(dict(vals, user_id=self.env.uid)).sudo(False)

    @api.model
    def _vip_inline_limit(self, company):
        return self.env["vip.program"].sudo()._get_for_company(company).job_inline_limit

    def _vip_run_now(self):
        """Run the whole job in this transaction, through the cron's own code path."""
        self.ensure_one()
        self.sudo()._vip_run_slice(deadline=None, commit=False)

    def _vip_start_background(self):
        """Wake the jobs cron and open the job for the user to follow."""
        self.ensure_one()
        self.env.ref("vip_loyalty.ir_cron_vip_jobs").sudo()._trigger()
        return self._vip_form_action()

    def _vip_form_action(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "current",
        }

    # -- buttons ---------------------------------------------------------------------

    def _vip_check_manager(self):
        if not self.env.user.has_group("vip_loyalty.group_vip_manager"):
            raise AccessError(_("Only VIP Managers can manage VIP background jobs."))
        self.check_access("read")

    def action_cancel(self):
        self._vip_check_manager()
        for job in self.sudo():
            if job.state not in PENDING:
                raise UserError(_("Only a queued or running job can be cancelled."))
            # Waits for the chunk being written, if any: a cancel never cuts a member in two.
            self.env.cr.execute("SELECT id FROM vip_job WHERE id = %s FOR NO KEY UPDATE", [job.id])
            job._vip_finish("cancelled", _("Cancelled by %s; what was done so far is kept.", self.env.user.name))
        return True

    def action_resume(self):
        """Queue a failed or cancelled job again: it continues after its last committed chunk."""
        self._vip_check_manager()
        for job in self.sudo():
            if job.state not in ("failed", "cancelled"):
                raise UserError(_("Only a failed or cancelled job can be resumed."))
            job.with_context(tracking_disable=False).write({"state": "queued", "date_finished": False})
        self.env.ref("vip_loyalty.ir_cron_vip_jobs").sudo()._trigger()
        return True

    def action_open_members(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("vip_loyalty.vip_member_action")
        action["domain"] = [("id", "in", self.member_ids.ids)]
        return action

    # -- running -------------------------------------------------------------------------

    @api.model
    def _vip_slice_seconds(self):
        """Time one cron call may spend.

        The cron worker's watchdog (limit_time_real_cron, or limit_time_real when that is
        -1; 120 s by default) counts from the worker's last sign of life, given before it
        sleeps up to SLEEP_INTERVAL + 10 s (70 s) waiting for work; then ir.cron calls a job
        that reports remaining work up to MAX_BATCH_PER_CRON_JOB times in a row. So the
        calls share what the sleep leaves, with room to spare: 3.3 s each by default. A
        cron limit under 70 s cannot work under --workers (Odoo's own cron worker would be
        killed in its sleep).
        """
        limit = config.get("limit_time_real_cron") or 0
        if limit <= 0:
            limit = config.get("limit_time_real") or 0
        if limit <= 0:
            return 60.0
        room = limit - (SLEEP_INTERVAL + 10) if limit > 2 * (SLEEP_INTERVAL + 10) else limit / 2
        return max(room / (2 * MAX_BATCH_PER_CRON_JOB), 0.5)

    @api.model
    def _cron_run_jobs(self):
        """Cron: run queued jobs, oldest first, for one slice of time; report progress."""
        deadline = time.monotonic() + self._vip_slice_seconds()
        done = 0
        while job := self.sudo().search([("state", "in", PENDING)], order="id", limit=1):
            units = job._vip_run_slice(deadline=deadline, commit=True)
            done += units
            if not units or time.monotonic() >= deadline:
                break
        jobs = self.sudo().search([("state", "in", PENDING)])
        remaining = sum(max(job.progress_total - job.progress_done, 1) for job in jobs)
        self.env["ir.cron"]._notify_progress(done=done or (1 if remaining else 0), remaining=remaining)
        if remaining:
            # Wake a cron worker again at once: after the calls ir.cron makes in a row, a worker
            # otherwise sleeps up to a minute before it looks at ready jobs again.
            self.env.ref("vip_loyalty.ir_cron_vip_jobs")._trigger()

    def _vip_worker(self):
        """The job as its requester, in the job's company and timezone, with every right
        the steps need (the rights were checked when it was queued)."""
        user = self.user_id
        return self.with_user(user).sudo().with_company(self.company_id).with_context(
            tz=self.env.context.get("tz") or user.tz, vip_history_rebuild=self.kind == "rebuild",
            # The level history and the ledger are the record of a rebuild's changes.
            tracking_disable=self.kind == "rebuild",
        )

    def _vip_run_slice(self, deadline, commit):
        """Work on this job until it is done or ``deadline`` (monotonic) passes; returns units done."""
        self.ensure_one()
        if self.state not in PENDING:
            return 0
        if self.state == "queued":
            self.with_context(tracking_disable=False).write(
                {"state": "running", "date_started": self.date_started or fields.Datetime.now()})
            self._vip_commit(commit)
        worker = self._vip_worker()
        try:
            units = getattr(worker, f"_vip_{self.kind}_slice")(deadline, commit)
        except Exception as exc:  # noqa: BLE001 - the job fails, the cron goes on with the others
            _logger.exception("vip: job %s failed", self.id)
            self.env.invalidate_all(flush=False)
            self._vip_finish("failed", _("Failed: %s", exc))
            self._vip_commit(commit)
            return 1
        self._vip_commit(commit)
        return units

    def _vip_lock(self):
        """Lock the job for one chunk and tell whether it is still to be worked on."""
        self.flush_recordset()
        self.env.cr.execute("SELECT state FROM vip_job WHERE id = %s FOR NO KEY UPDATE", [self.id])
        state = self.env.cr.fetchone()[0]
        self.invalidate_recordset(["state"])
        return state in PENDING

    def _vip_chunk_size(self, deadline, largest, previous=None):
        """Units for half the time left at the last measured pace (so a slower chunk than
        measured still ends near the deadline). A call starts small (its first chunk pays
        for cold caches) and grows at most fourfold per chunk."""
        if deadline is None:
            return largest
        left = max(deadline - time.monotonic(), 0.0)
        pace = self.seconds_per_unit or 0.01
        return max(1, min(largest, 4 * previous if previous else 50, int(left / 2 / pace)))

    def _vip_measure(self, units, seconds):
        if units:
            self.seconds_per_unit = seconds / units

    def _vip_append_log(self, *lines):
        self.log = "\n".join(filter(None, [self.log, *lines]))

    def _vip_finish(self, state, line, summary=None):
        self.with_context(tracking_disable=False).write({
            "state": state,
            "date_finished": fields.Datetime.now(),
            "log": "\n".join(filter(None, [self.log, line])),
            "result_summary": summary or line,
        })
        self.message_post(body=summary or line)

    def _vip_commit(self, commit):
        """Commit a finished chunk with the job's position (never inside tests) and tell the
        cron how far it got, so a worker killed later does not count as no progress."""
        if not commit:
            return
        self.env.flush_all()
        pending = self.sudo().search([("state", "in", PENDING)])
        self.env["ir.cron"]._notify_progress(
            done=max(self.progress_done, 1),
            remaining=sum(max(job.progress_total - job.progress_done, 1) for job in pending),
        )
        if not odoo_module.current_test:
            self.env.cr.commit()  # pylint: disable=invalid-commit

    # -- what-if simulation ---------------------------------------------------------------
    # The first slice plans (the members of the period and their orders, kept on the job);
    # the next ones read a chunk of members with the history rebuild's own readers
    # (``_vip_replay_inputs``, in its ``fresh`` mode), replay each member twice in the engine
    # (the scenario and the live programme, both from the start of the period) and add them
    # to the running totals kept on the job. The last one writes the scenario's result
    # tables. Nothing else is written: no partner, ledger entry, level history or order.

    def _vip_simulation_query(self):
        """The period's paid orders (of its shops), each under the customer it belongs to (a
        return under the customer of the order it returns): (SQL, parameters)."""
        simulation = self.simulation_id
        self.env["pos.order"].flush_model()
        shops = simulation.shop_ids.ids
        return (
            f"""
            SELECT COALESCE(origin.partner_id, o.partner_id) AS member, o.id
              FROM pos_order o
              LEFT JOIN LATERAL (
                    SELECT oo.partner_id FROM pos_order_line l
                      JOIN pos_order_line rl ON rl.id = l.refunded_orderline_id
                      JOIN pos_order oo ON oo.id = rl.order_id
                     WHERE l.order_id = o.id AND oo.partner_id IS NOT NULL
                     LIMIT 1) origin ON TRUE
             WHERE o.company_id = %(company)s
               AND o.state IN ('paid', 'done', 'invoiced')
               AND (o.date_order AT TIME ZONE 'UTC' AT TIME ZONE {self.company_id._vip_sql_order_tz("o")})::date
                   BETWEEN %(date_from)s AND %(date_to)s
               AND (%(all_shops)s OR o.config_id = ANY(%(shops)s))
               AND COALESCE(origin.partner_id, o.partner_id) IS NOT NULL
             ORDER BY member, o.date_order, o.id
            """,
            {"company": self.company_id.id, "vip_tz": self.company_id._vip_tz(), "date_from": simulation.date_from,
             "date_to": simulation.date_to, "all_shops": not shops, "shops": shops},
        )

    def _vip_simulation_orders(self):
        """{member: [order ids]}, in the order they were paid."""
        cr = self.env.cr
        cr.execute(*self._vip_simulation_query())
        orders = {}
        while rows := cr.fetchmany(10_000):
            for member, order_id in rows:
                orders.setdefault(member, []).append(order_id)
        return orders

    def _vip_simulation_order_count(self):
        query, params = self._vip_simulation_query()
        self.env.cr.execute(f"SELECT count(*) FROM ({query.replace('ORDER BY member, o.date_order, o.id', '')}) q",
                            params)
        return self.env.cr.fetchone()[0]

    def _vip_simulation_slice(self, deadline, commit):
        simulation = self.simulation_id
        units = 0
        if not self.payload:
            orders = self._vip_simulation_orders()
            self.write({
                "payload": {"members": [[member, orders[member]] for member in sorted(orders)]},
                "progress_total": len(orders),
                "simulation_totals": {},
            })
            self._vip_append_log(_("%s members to simulate.", len(orders)))
            self._vip_commit(commit)
            units = 1
        members = self.payload["members"]
        program = self.env["vip.program"]._get_for_company(self.company_id)
        specs = self.env["vip.level"]._specs_for_company(self.company_id)
        live = self._vip_replay_config(program, specs, program._policy())
        scenario_snapshot = simulation._vip_snapshot()
        scenario = simulation_engine.snapshot_config(scenario_snapshot, live.texts)
        configs = {"live": live, "scenario": scenario}
        levels = self.env["vip.level"].sudo().with_context(active_test=False).search(
            [("company_id", "=", self.company_id.id)])
        percents = {"live": {level.id: level.discount_percent for level in levels},
                    "scenario": simulation_engine.discount_percents(scenario_snapshot)}
        rule = self.env["vip.points.rule"]._for_company(self.company_id)
        cash = {"live": (rule.cash_points_block, rule.cash_block_value) if rule else (0, 0.0),
                "scenario": (simulation.cash_points_block, simulation.cash_block_value)}
        ranks = {side: simulation_engine.ranks(config) for side, config in configs.items()}
        totals = simulation_engine.Aggregate(self.simulation_totals)
        today = simulation.date_to
        last = None
        while self.cursor < len(members) and self._vip_lock():
            chunk = dict(members[self.cursor:self.cursor + self._vip_chunk_size(deadline, self.batch_size or 1000,
                                                                                 last)])
            started = time.monotonic()
            replay_members, _slow = self._vip_replay_inputs(sorted(chunk), chunk, live, set(), fresh=True)
            for member in replay_members:
                results = {side: self._vip_simulate_member(member, config, today) for side, config in configs.items()}
                totals.add(member, results, percents, cash, ranks)
            self._vip_measure(len(chunk), time.monotonic() - started)
            self.write({"cursor": self.cursor + len(chunk), "progress_done": self.cursor + len(chunk),
                        "members_count": self.members_count + len(replay_members),
                        "simulation_totals": totals.to_json()})
            units += len(chunk)
            last = len(chunk)
            self._vip_commit(commit)
            if deadline is not None and time.monotonic() >= deadline:
                break
        if self.cursor >= len(members) and self.state == "running":
            simulation._vip_write_results(totals)
            _logger.info("vip: simulation %s of %s: %s members", simulation.id, self.company_id.name,
                         self.members_count)
            self._vip_finish("done", _("%(members)s members simulated under the scenario and the live programme.",
                                       members=self.members_count))
        return units
