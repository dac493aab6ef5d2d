import logging
import time

from dateutil.relativedelta import relativedelta
from odoo import _, fields, models
from odoo.exceptions import AccessError, UserError

from ..engine import adoption
from ..engine import levels as level_engine

_logger = logging.getLogger(__name__)


class _DryRunDone(Exception):
    """Raised inside the savepoint of a dry run to undo everything it wrote."""


class VipHistoryRebuild(models.TransientModel):
    """Replay past paid POS orders through the live rules, as if installed on ``date_from``.

    Each member's orders go through ``pos.order._vip_process_paid`` (the code a live sale
    runs) in the order they were paid, with the nightly job (expiries, lapses, decay, lost)
    run for every day in between, so levels, lots and balances come out as they would have.
    Work is done per member in committed batches: a crash leaves whole members, and a new
    run continues with the orders not yet processed.
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
        help="Members per committed batch.",
    )
    state = fields.Selection([("draft", "Draft"), ("done", "Done")], default="draft", required=True)
    members_count = fields.Integer(string="Members affected", readonly=True)
    orders_count = fields.Integer(string="Orders replayed", readonly=True)
    skipped_count = fields.Integer(string="Members skipped", readonly=True,
                                   help="Customers whose ledger already has live entries.")
    failed_count = fields.Integer(string="Members failed", readonly=True)
    points_outstanding = fields.Integer(string="Points outstanding", readonly=True)
    level_summary = fields.Text(string="Members per level", readonly=True)
    member_ids = fields.Many2many("res.partner", string="Members", readonly=True)
    log = fields.Text(readonly=True)

    # -- entry point ---------------------------------------------------------------

    def action_rebuild(self):
        self.ensure_one()
        if not self.env.user.has_group("vip_loyalty.group_vip_manager"):
            raise AccessError(_("Only VIP Managers can rebuild the VIP data from history."))
        today = fields.Date.context_today(self)
        if self.date_from > today:
            raise UserError(_("The start date cannot be in the future."))
        if self.batch_size <= 0:
            raise UserError(_("The batch size must be positive."))
        wizard = self.sudo().with_company(self.company_id).with_context(
            vip_history_rebuild=True, tracking_disable=True,  # the level history is the record of changes
        )
        if self.dry_run:
            try:
                with self.env.cr.savepoint():
                    stats = wizard._vip_rebuild(today, commit=False)
                    self.env.flush_all()
                    raise _DryRunDone(stats)
            except _DryRunDone as done:
                stats = done.args[0]
            self.env.invalidate_all(flush=False)
        else:
            stats = wizard._vip_rebuild(today, commit=True)
        self.write(dict(stats, state="done"))
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    # -- planning ----------------------------------------------------------------------

    def _vip_candidates(self):
        """(orders per member, skipped member ids): paid, unprocessed orders since date_from.

        A return belongs to the customer of the order it returns (whoever the cashier
        selected, if anyone): its reversal needs that member's earn replayed first.
        """
        self.ensure_one()
        self.env["pos.order"].flush_model()
        self.env["vip.points.entry"].flush_model()
        cr = self.env.cr
        cr.execute(
            """
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
               AND NOT COALESCE(o.vip_processed, FALSE)
               AND (o.date_order AT TIME ZONE 'UTC' AT TIME ZONE %(tz)s)::date >= %(date_from)s
               AND COALESCE(origin.partner_id, o.partner_id) IS NOT NULL
             ORDER BY member, o.date_order, o.id
            """,
            {"company": self.company_id.id, "tz": self.env["res.partner"]._vip_tz(), "date_from": self.date_from},
        )
        orders = {}
        for member, order_id in cr.fetchall():
            orders.setdefault(member, []).append(order_id)
        skipped = set()
        if orders and not self.include_live_members:
            # Live ledger entries, or orders already handled live: replaying old orders
            # in front of them would count points twice or out of order.
            cr.execute(
                """
                SELECT partner_id FROM vip_points_entry
                 WHERE partner_id IN %(ids)s AND NOT COALESCE(is_history_rebuild, FALSE)
                UNION
                SELECT partner_id FROM pos_order
                 WHERE partner_id IN %(ids)s AND company_id = %(company)s AND vip_processed
                """,
                {"ids": tuple(orders), "company": self.company_id.id},
            )
            skipped = {r[0] for r in cr.fetchall()}
            for member in skipped:
                orders.pop(member, None)
        return orders, skipped

    # -- replay ------------------------------------------------------------------------

    def _vip_rebuild(self, today, commit):
        self.ensure_one()
        started = time.monotonic()
        company = self.company_id
        orders, skipped = self._vip_candidates()
        program = self.env["vip.program"]._get_for_company(company)
        specs = self.env["vip.level"]._specs_for_company(company)
        policy = program._policy()
        partner_model = self.env["res.partner"]
        member_ids = sorted(orders)
        total = len(member_ids)
        log = [_("%(members)s members to rebuild, %(skipped)s skipped (live entries).",
                 members=total, skipped=len(skipped))]
        _logger.info("vip: history rebuild of %s from %s: %s members, %s skipped",
                     company.name, self.date_from, total, len(skipped))
        done_ids, failed = [], []
        replayed = 0
        for start in range(0, total, self.batch_size):
            batch = member_ids[start:start + self.batch_size]
            for member_id in batch:
                try:
                    with self.env.cr.savepoint():
                        replayed += self._vip_replay_member(
                            partner_model.browse(member_id), orders[member_id], today, specs, policy
                        )
                    done_ids.append(member_id)
                except Exception as exc:  # noqa: BLE001 - one bad member must not stop the others
                    self.env.invalidate_all(flush=False)
                    failed.append(member_id)
                    _logger.exception("vip: history rebuild failed for partner %s", member_id)
                    log.append(_("Member %(id)s not rebuilt: %(error)s", id=member_id, error=exc))
            done = min(start + self.batch_size, total)
            line = _("%(done)s/%(total)s members rebuilt (%(seconds).0f s)",
                     done=done, total=total, seconds=time.monotonic() - started)
            log.append(line)
            _logger.info("vip: history rebuild %s/%s members of %s", done, total, company.name)
            if commit:
                partner_model._vip_commit_batch(done=done, remaining=total - done)
            self.env.invalidate_all()
        return self._vip_stats(done_ids, skipped, failed, replayed, log)

    def _vip_replay_member(self, partner, order_ids, today, specs, policy):
        """Replay one member's orders with the nightly runs between them; returns orders replayed."""
        company = self.company_id
        orders = self.env["pos.order"].browse(order_ids)
        by_id = {order.id: order for order in orders}
        order_days = [(order.id, order._vip_order_date()) for order in orders]
        order_days_by_id = dict(order_days)
        rule = self.env["vip.points.rule"]._for_company(company)
        first_day = min((d for _i, d in order_days), default=self.date_from)
        start = self.date_from if partner.vip_level_id else max(first_day, self.date_from)
        # All paid orders as purchases; each nightly run sees the ones before its day.
        purchases = partner._vip_purchases([partner.id], company)[partner.id]
        entry_model = self.env["vip.points.entry"]
        next_expiry = self._vip_next_expiry(partner)
        count = 0
        for kind, value in adoption.replay_plan(order_days, start, today):
            if kind == "order":
                order = by_id[value]
                order.with_context(vip_replay_until=order.date_order)._vip_process_paid()
                # Only an earned lot can bring the next expiry forward; a stale (early) value
                # merely makes the next night look for due lots and find none.
                lot_expiry = rule._expiry_date(order_days_by_id[order.id]) if rule else None
                if lot_expiry and (not next_expiry or lot_expiry < next_expiry):
                    next_expiry = lot_expiry
                count += 1
                continue
            day = value
            if next_expiry and next_expiry < day:
                self._vip_expire_member(partner, day, entry_model)
                next_expiry = self._vip_next_expiry(partner)
            if partner.vip_level_id and partner.vip_state != "none":
                decision = level_engine.evaluate_nightly(
                    specs, partner._vip_member_state(), adoption.purchases_before(purchases, day),
                    partner.vip_points_balance, day, policy,
                )
                if decision:
                    partner._vip_apply_decision(decision, day)
        return count

    def _vip_next_expiry(self, partner):
        lots = self.env["vip.points.entry"]._vip_open_lots([partner.id]).get(partner.id, [])
        return min((lot.expiry_date for lot in lots if lot.expiry_date), default=None)

    def _vip_expire_member(self, partner, day, entry_model):
        """What the nightly expiry posts for this member's lots due before ``day``."""
        lots = entry_model._vip_open_lots([partner.id]).get(partner.id, [])
        vals_list = []
        for lot in lots:
            if lot.expiry_date and lot.expiry_date < day:
                vals_list.append({
                    "partner_id": partner.id,
                    "company_id": self.company_id.id,
                    "date": day,
                    "points": -lot.remaining,
                    "entry_type": "expire",
                    "reversed_entry_id": lot.id,
                    "rule_description": f"{lot.remaining} " + self.env._(
                        "pts earned %(date)s expired after %(expiry)s",
                        date=lot.date.isoformat(), expiry=lot.expiry_date.isoformat(),
                    ),
                })
        entry_model._vip_post(sorted(vals_list, key=lambda v: v["reversed_entry_id"]))

    def _vip_stats(self, done_ids, skipped, failed, replayed, log):
        partners = self.env["res.partner"].browse(done_ids)
        per_level = {}
        for partner in partners:
            name = partner.vip_level_id.name or _("No level")
            per_level[name] = per_level.get(name, 0) + 1
        summary = "\n".join(f"{name}: {count}" for name, count in sorted(per_level.items()))
        return {
            "members_count": len(partners),
            "orders_count": replayed,
            "skipped_count": len(skipped),
            "failed_count": len(failed),
            "points_outstanding": sum(partners.mapped("vip_points_balance")),
            "level_summary": summary or _("Nothing to rebuild."),
            "member_ids": [fields.Command.set(partners.ids)],
            "log": "\n".join(log),
        }
