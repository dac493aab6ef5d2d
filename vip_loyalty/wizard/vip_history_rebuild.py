from dateutil.relativedelta import relativedelta
from odoo import _, fields, models
from odoo.exceptions import AccessError, UserError


class VipHistoryRebuild(models.TransientModel):
    """Queue a rebuild of the VIP data from past paid POS orders (a ``vip.job``).

    The replay itself is ``vip.job``'s (``models/vip_history_replay.py``). A small rebuild,
    up to the programme's "run at once" limit of orders, runs at once through the cron's
    own code and its results show here; a larger one runs in the background and the
    button opens the job, whose progress the user follows.
    """

    _name = "vip.history.rebuild"
    _description = "Rebuild VIP Data from Past Orders"

    date_from = fields.Date(
        string="Start date", required=True,
        default=lambda self: fields.Date.context_today(self) - relativedelta(years=1),
        help="Replay paid POS orders from this day on, as if the programme had started then.",
    )
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    dry_run = fields.Boolean(
        default=True, help="Compute and show the outcome without writing anything."
    )
    include_live_members = fields.Boolean(
        string="Include members with live entries",
        help="Also replay the old orders of customers whose ledger already has entries "
             "(live sales, opening balances). Off by default: their points would be counted twice.",
    )
    batch_size = fields.Integer(
        default=lambda self: self.env["vip.program"]._get_for_company(self.env.company).cron_batch_size or 1000,
        help="Most members per committed chunk (the background job takes fewer when time is short).",
    )
    state = fields.Selection([("draft", "Draft"), ("done", "Done")], string="Status", default="draft", required=True)
    job_id = fields.Many2one("vip.job", string="Job", readonly=True)
    members_count = fields.Integer(string="Members affected", readonly=True)
    orders_count = fields.Integer(string="Orders replayed", readonly=True)
    skipped_count = fields.Integer(string="Members skipped", readonly=True,
                                   help="Customers whose ledger already has live entries.")
    failed_count = fields.Integer(string="Members failed", readonly=True)
    points_outstanding = fields.Integer(string="Points outstanding", readonly=True)
    level_summary = fields.Text(string="Members per level", readonly=True)
    member_ids = fields.Many2many("res.partner", string="Members", readonly=True)
    log = fields.Text(readonly=True)

    def action_rebuild(self):
        self.ensure_one()
        if not self.env.user.has_group("vip_loyalty.group_vip_manager"):
            raise AccessError(_("Only VIP Managers can rebuild the VIP data from history."))
        if self.date_from > self.company_id._vip_today():
            raise UserError(_("The start date cannot be in the future."))
        if self.batch_size <= 0:
            raise UserError(_("The batch size must be positive."))
        job = self.env["vip.job"]._vip_queue({
            "kind": "rebuild",
            "company_id": self.company_id.id,
            "date_from": self.date_from,
            "dry_run": self.dry_run,
            "include_live_members": self.include_live_members,
            "batch_size": self.batch_size,
        })
        self.job_id = job
        if self._vip_order_count() > job._vip_inline_limit(self.company_id):
            return job._vip_start_background()
        job._vip_run_now()
        self.write(dict(job.sudo()._vip_rebuild_result_vals(), state="done"))
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def _vip_order_count(self):
        """Paid orders not yet processed since the start date: the size of the work."""
        self.env["pos.order"].flush_model(["company_id", "state", "vip_processed", "date_order"])
        self.env.cr.execute(
            "SELECT count(*) FROM pos_order WHERE company_id = %s AND state IN ('paid', 'done', 'invoiced')"
            " AND NOT COALESCE(vip_processed, FALSE) AND date_order >= %s",
            [self.company_id.id, self.date_from - relativedelta(days=1)],
        )
        return self.env.cr.fetchone()[0]

    def action_open_job(self):
        self.ensure_one()
        return self.job_id._vip_form_action()
