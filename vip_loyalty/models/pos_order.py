import functools
import logging
from datetime import timedelta

import psycopg2
from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_ERRORS_TO_RETRY
from odoo.tools import float_compare

from ..engine import care as care_engine
from ..engine import points as points_engine
from ..engine import rulebook

_logger = logging.getLogger(__name__)

CARE_ACTIVITY_TYPES = {
    "followup": "vip_loyalty.mail_activity_type_vip_followup",
    "big_purchase_call": "mail.mail_activity_data_call",
    "month_call": "mail.mail_activity_data_call",
}
SERVER_MANAGED_FIELDS = (
    "vip_processed", "vip_points_earned", "vip_points_entry_ids", "vip_care_done", "vip_care_pending",
    "vip_care_attempts",
)
CARE_SUMMARIES = {"followup": "Follow-up", "big_purchase_call": "One-week call", "month_call": "One-month call"}
# The care job runs about a minute after a sale; an order whose care keeps failing is left after five runs.
CARE_TRIGGER_DELAY = timedelta(minutes=1)
CARE_MAX_ATTEMPTS = 5
# Per database, when the care job's waiting trigger fires, as last committed by this process.
_CARE_TRIGGER_WAITING = {}


class PosOrder(models.Model):
    _inherit = "pos.order"

    vip_processed = fields.Boolean(
        copy=False, readonly=True, help="The VIP programme has handled this paid order."
    )
    vip_points_earned = fields.Integer(copy=False, readonly=True)
    # The till reads back every field of a synced order: a cashier outside the VIP groups must not
    # be refused the ledger here.
    vip_points_entry_ids = fields.One2many(
        "vip.points.entry", "pos_order_id", string="Points Entries", groups="vip_loyalty.group_vip_user",
    )
    vip_care_done = fields.Boolean(
        copy=False, readonly=True, help="Gifts on this order are delivered and the follow-up is scheduled."
    )
    # Care out of the till's transaction: the paid step flags the order, the care job
    # (``_cron_vip_care``) does the follow-ups and gift bookkeeping a few minutes later.
    vip_care_pending = fields.Boolean(
        copy=False, readonly=True, help="The care job has yet to schedule this order's follow-ups and gifts.",
    )
    vip_care_attempts = fields.Integer(copy=False, readonly=True, help="Care job runs that failed on this order.")
    vip_group_order = fields.Boolean(
        string="Group order", copy=False,
        help="A group or corporate order: no member discount and no points (when the programme's guard is on).",
    )
    vip_voucher_ids = fields.One2many("vip.voucher", "pos_order_id", string="Vouchers Used",
                                      groups="vip_loyalty.group_vip_user")

    def init(self):
        res = super().init()
        # The care job reads the few flagged orders, never the whole table.
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS pos_order_vip_care_pending_idx ON pos_order (id) WHERE vip_care_pending"
        )
        return res

    def action_pos_order_paid(self):
        res = super().action_pos_order_paid()
        if not self.env.context.get("vip_process_after_save"):
            for order in self.filtered(lambda o: o.state == "paid"):
                order._vip_process_paid_safely()
        return res

    def _process_saved_order(self, draft):
        # A synced order is handled once Odoo is done with it (picking, cost, invoice): the
        # savepoint flushes, and flushing half-way made Odoo write the order's rows twice.
        order_id = super(PosOrder, self.with_context(vip_process_after_save=True))._process_saved_order(draft)
        if not draft and self.state in ("paid", "done", "invoiced"):
            self._vip_process_paid_safely()
        return order_id

    def _vip_process_paid_safely(self):
        """The VIP step of a paid order, a system step: the same whatever the cashier's groups.

        It runs as superuser in the order's company (entries and history still record the
        cashier) and never disturbs Odoo's own work on the order: what Odoo has pending is
        written first, the step runs in a savepoint that keeps the transaction's cache, and a
        failure undoes and forgets only what the step did. Odoo logs and swallows errors raised
        while an order is marked paid anyway; the nightly job retries the order
        (``_vip_process_pending``), so its points are late, never lost."""
        self.ensure_one()
        cr = self.env.cr
        cr.flush()
        order = self.sudo().with_company(self.company_id)
        try:
            # flush=False: a flushing savepoint clears the whole cache when rolled back, and
            # Odoo's records would then be read back in another order (session closing).
            with cr.savepoint(flush=False):
                order._vip_process_paid()
                order.env.flush_all()
        except psycopg2.Error as e:
            self._vip_forget_failed_step()
            if e.pgcode in PG_CONCURRENCY_ERRORS_TO_RETRY:
                raise  # the whole sync is retried on a fresh snapshot
            _logger.exception("vip: paid order %s not processed; the nightly job will retry it", self.name)
        except Exception:
            self._vip_forget_failed_step()
            _logger.exception("vip: paid order %s not processed; the nightly job will retry it", self.name)

    def _vip_forget_failed_step(self):
        """After the step's savepoint was rolled back: drop what the step left in the cache.

        The step starts on a flushed transaction, so every pending write, recomputation and
        pre-commit hook is the step's own. Only the programme's models, fields and the chatter
        it may have written are invalidated; Odoo's orders, lines and moves stay as cached.
        """
        cache = self.env.cache
        for field in list(cache.get_dirty_fields()):
            cache.invalidate([(field, cache.clear_dirty_field(field))])
        self.env.transaction.tocompute.clear()
        self.env.cr.precommit.clear()
        touched = {"mail.activity", "mail.message", "mail.followers", "mail.tracking.value", "mail.notification"}
        spec = []
        for model_name, model in self.env.registry.items():
            whole = model_name.startswith("vip.") or model_name in touched
            for field in model._fields.values():
                if whole or field._module == "vip_loyalty" or (
                    field.relational and (field.comodel_name.startswith("vip.") or field.comodel_name in touched)
                ) or (model_name == "res.partner" and field.name in ("write_date", "write_uid")):
                    spec.append((field, None))
        cache.invalidate(spec)

    @api.model
    def _vip_process_pending(self, company, since, batch_size=500):
        """Paid orders of ``company`` created since ``since`` that the VIP programme has not handled."""
        self.env.cr.execute(
            """
            SELECT o.id FROM pos_order o
             WHERE o.company_id = %(company)s AND o.state IN ('paid', 'done', 'invoiced')
               AND NOT COALESCE(o.vip_processed, false) AND o.create_date >= %(since)s
               AND (o.partner_id IS NOT NULL OR EXISTS (
                    SELECT 1 FROM pos_order_line l WHERE l.order_id = o.id AND l.refunded_orderline_id IS NOT NULL))
             ORDER BY o.id
            """,
            {"company": company.id, "since": since},
        )
        ids = [r[0] for r in self.env.cr.fetchall()]
        for start in range(0, len(ids), batch_size):
            for order in self.browse(ids[start:start + batch_size]):
                order._vip_process_paid_safely()
            done = min(start + batch_size, len(ids))
            _logger.info("vip: caught up %s/%s unprocessed paid orders of %s", done, len(ids), company.name)
            self.env["res.partner"]._vip_commit_batch(done=done, remaining=len(ids) - done)
        return len(ids)

    # -- hooks meant to be overridden ------------------------------------------------------
    # Every path reads them: the live sale, the history rebuild (in batches) and the nightly
    # job's purchases. Override the batch forms; the single forms delegate to them.

    def _vip_lines_excluded(self, lines, rule):
        """The lines among ``lines`` (pos.order.line, any orders) that never earn: excluded
        products and categories of ``rule``."""
        product_ids, categ_ids = rule._vip_cached_exclusions(rule.id)
        if not lines or not (product_ids or categ_ids):
            return lines.browse()
        # By SQL: a rebuild asks for a hundred thousand lines at once, and the ORM would load
        # every column of each to read one.
        lines.flush_recordset(["product_id"])
        self.env.cr.execute("SELECT id, product_id FROM pos_order_line WHERE id = ANY(%s)", [lines.ids])
        product_of = dict(self.env.cr.fetchall())
        products = self.env["product.product"].browse(set(product_of.values()) - {None})
        excluded = {product.id for product in products if rule._is_line_excluded(product)}
        return lines.browse([line_id for line_id in lines.ids if product_of.get(line_id) in excluded])

    def _vip_line_is_excluded(self, line, rule):
        return bool(self._vip_lines_excluded(line, rule))

    def _vip_order_dates(self):
        """{order id: its local day}: the shop's day (else the company's), whoever syncs,
        catches up or replays the order. Two queries for any number of orders."""
        if not self:
            return {}
        self.flush_recordset(["date_order", "config_id", "company_id"])
        self.env.cr.execute("SELECT DISTINCT company_id FROM pos_order WHERE id = ANY(%s)", [self.ids])
        dates = {}
        for company in self.env["res.company"].browse([row[0] for row in self.env.cr.fetchall()]):
            self.env.cr.execute(
                f"SELECT o.id, {company._vip_sql_local_day('o')} FROM pos_order o"
                " WHERE o.id = ANY(%(ids)s) AND o.company_id = %(company)s",
                {"vip_tz": company._vip_tz(), "ids": self.ids, "company": company.id},
            )
            dates.update(self.env.cr.fetchall())
        return dates

    def _vip_order_date(self):
        self.ensure_one()
        return self._vip_order_dates()[self.id]

    # -- processing ---------------------------------------------------------------------

    def _vip_process_paid(self):
        """Points and level for paid orders, once per order, in the order's transaction.

        Each step is a ``rulebook`` function, the one the history rebuild calls too."""
        entry_model = self.env["vip.points.entry"]
        # A history rebuild replays past orders: their follow-ups and gift hand-overs are long gone.
        with_care = not self.env.context.get("vip_history_rebuild")
        processed = self.browse()
        for order in self:
            if order.vip_processed:
                continue
            refund_lines = order.lines.filtered("refunded_orderline_id")
            sold_lines = order.lines - refund_lines
            partner = order.partner_id
            # A return is reversed even when the cashier did not select the customer again.
            if not partner and not refund_lines:
                continue
            on_date = order._vip_order_date()
            program = self.env["vip.program"]._get_for_company(order.company_id)
            if (partner and rulebook.enrols(partner.vip_state, program.auto_enrol, bool(sold_lines))
                    and program._vip_may_auto_enrol(partner, order)):
                partner.sudo()._vip_enrol(shop=order.config_id, enrol_date=on_date, advisor=order.user_id)
            locked = (partner | refund_lines.refunded_orderline_id.order_id.partner_id).ids
            entry_model._vip_lock_partners(locked)
            # Re-read under the lock: a parallel sync of the same order may have won.
            self.env.cr.execute("SELECT vip_processed FROM pos_order WHERE id = %s", [order.id])
            if self.env.cr.fetchone()[0]:
                continue
            texts = order.company_id._vip_rule_texts()
            if refund_lines:
                order._vip_reverse_refunded(refund_lines, on_date, texts)
            order._vip_redeem_from_order(on_date)
            earned = 0
            if partner.vip_state not in (False, "none"):
                earned = order._vip_earn(sold_lines, on_date, texts)
            # By SQL, like the spend figures: a pos.order write runs the POS write hooks for flags.
            # The care flag is set here too: under the member's lock, this order is ours alone.
            flags = ["vip_processed", "vip_points_earned", "vip_care_pending"]
            order.flush_recordset(flags)
            care_due = with_care and order._vip_needs_care(refund_lines)
            self.env.cr.execute(
                "UPDATE pos_order SET vip_processed = true, vip_points_earned = %s,"
                " vip_care_pending = (vip_care_pending IS TRUE OR %s) AND vip_care_done IS NOT TRUE"
                " WHERE id = %s RETURNING vip_care_pending",
                [earned, care_due, order.id],
            )
            # Into the cache as written: the till reads the order back after the sync.
            order._update_cache(dict(zip(flags, [True, earned, self.env.cr.fetchone()[0]], strict=True)),
                                validate=False)
            order.modified(flags)
            if care_due:
                processed |= order
            only_returns = bool(refund_lines) and not sold_lines
            for member in (partner | refund_lines.refunded_orderline_id.order_id.partner_id):
                if member.vip_state != "none":
                    member.sudo()._vip_evaluate_after_order(order, on_date, only_returns, texts)
        if processed:
            processed._vip_reserve_gifts()
            self._vip_trigger_care()

    def _vip_earn(self, lines, on_date, texts):
        self.ensure_one()
        # A group or staff order earns nothing (the guard is logged for the manager).
        if self._vip_check_guards():
            return 0
        rule = self.env["vip.points.rule"]._for_company(self.company_id)
        if not rule or not lines:
            return 0
        partner = self.partner_id
        bonuses = self.env["vip.points.bonus"]._specs_for_company(self.company_id)
        excluded = self._vip_lines_excluded(lines, rule)
        points, description, expiry = rulebook.earn(
            [points_engine.EarnLine(amount=line.price_subtotal_incl, discount_percent=line.discount,
                                    excluded=line in excluded) for line in lines],
            rule._to_spec(), bonuses, on_date, partner.vip_birthday or None,
            self._vip_member_rank_of_day(on_date) if rulebook.needs_rank_of_day(bonuses) else None,
            rulebook.level_multiplier(self.env["vip.level"]._vip_cached_multipliers(), partner.vip_level_id.id),
            texts,
        )
        if points <= 0:
            return 0
        self.env["vip.points.entry"]._vip_post(locked=True, vals_list=[{  # locked by _vip_process_paid
            "partner_id": partner.id,
            "company_id": self.company_id.id,
            "date": on_date,
            "points": points,
            "entry_type": "earn",
            "expiry_date": expiry or False,
            "pos_order_id": self.id,
            "rule_description": description,
        }])
        return points

    def _vip_member_rank_of_day(self, on_date):
        """1-based rank of this member among members who earned today (for first-N bonuses)."""
        self.env.cr.execute(
            """
            SELECT COUNT(DISTINCT partner_id) FROM vip_points_entry
             WHERE company_id = %s AND date = %s AND entry_type = 'earn' AND partner_id <> %s
            """,
            [self.company_id.id, on_date, self.partner_id.id],
        )
        return self.env.cr.fetchone()[0] + 1

    def _vip_reverse_refunded(self, refund_lines, on_date, texts):
        """Take back points in proportion to what was refunded, from each original earn entry."""
        self.ensure_one()
        entry_model = self.env["vip.points.entry"]
        vals_list = []
        for origin in refund_lines.refunded_orderline_id.order_id:
            earn = entry_model.search([("pos_order_id", "=", origin.id), ("entry_type", "=", "earn")], limit=1)
            if not earn:
                continue
            refunded_total = -sum(
                self.env["pos.order.line"].search([
                    ("refunded_orderline_id.order_id", "=", origin.id),
                    ("order_id.state", "in", ("paid", "done", "invoiced")),
                    # A history rebuild counts only the returns made up to this one.
                    *([("order_id.date_order", "<=", self.date_order)] if self.env.context.get("vip_replay_until")
                      else []),
                ]).mapped("price_subtotal_incl")
            )
            already = -sum(entry_model.search([
                ("reversed_entry_id", "=", earn.id), ("entry_type", "=", "reverse"),
            ]).mapped("points"))
            points, description = rulebook.reversal(
                earn.points, origin.name, origin.amount_total, refunded_total, already, texts,
            )
            if points:
                vals_list.append({
                    "partner_id": earn.partner_id.id,
                    "company_id": self.company_id.id,
                    "date": on_date,
                    "points": -points,
                    "entry_type": "reverse",
                    "pos_order_id": self.id,
                    "reversed_entry_id": earn.id,
                    "rule_description": description,
                })
        entry_model._vip_post(vals_list)

    # -- POS terminal: redemption carried by the order, receipt data -----------------

    vip_redeem_points = fields.Integer(
        string="Points redeemed", copy=False,
        help="Points the terminal redeemed on this order; the ledger entry is written once, when it is paid.",
    )
    vip_redeem_kind = fields.Selection([("gift", "Gift"), ("cash", "Cash value")], string="Redeemed for", copy=False)

    @api.model
    def _vip_check_gift(self, rule, gift_lines, asked):
        """Points the order's gift costs on the ladder; refuses a wrong gift or price."""
        if len(gift_lines) != 1 or gift_lines[0][1] != 1:
            raise UserError(self.env._("A points gift is one single item."))
        product = gift_lines[0][0]
        if product.vip_special_price:
            raise UserError(self.env._("%s is a special-price item and cannot be a points gift.", product.display_name))
        if not rule:
            raise UserError(self.env._("No points rule is configured."))
        needed = rule._vip_gift_points(product.lst_price)
        if needed != asked:
            raise UserError(self.env._(
                "%(product)s (list price %(price).2f) costs %(needed)s points, not %(asked)s.",
                product=product.display_name, price=product.lst_price, needed=needed, asked=asked,
            ))
        return needed, product

    @api.model
    def _vip_check_cash(self, rule, cash_lines, asked):
        """Points paying part of the order at cash value: whole blocks, one line whose negative
        price is exactly their value."""
        if not rule or not rule.cash_product_id or rule.cash_points_block <= 0:
            raise UserError(self.env._("Paying with points is not configured on the points rule."))
        if len(cash_lines) != 1 or cash_lines[0][1] != 1:
            raise UserError(self.env._("Points pay an order through one single points-payment line."))
        if not isinstance(asked, int) or asked <= 0 or asked % rule.cash_points_block:
            raise UserError(self.env._(
                "Points pay in blocks of %(block)s; %(asked)s is not a whole number of blocks.",
                block=rule.cash_points_block, asked=asked,
            ))
        value = points_engine.cash_value(asked, rule.cash_points_block, rule.cash_block_value)
        price = cash_lines[0][2]
        if float_compare(-price, value, precision_digits=2):
            raise UserError(self.env._(
                "%(points)s points are worth %(value).2f, not %(price).2f.", points=asked, value=value, price=-price,
            ))
        return asked, value

    @api.model
    def _vip_check_redemption(self, partner, lines, asked, kind, company, on_date=None):
        """The points an order redeems, refused before anything is written when wrong.

        ``lines`` are (product, qty, price_unit, is_gift_line); ``on_date`` is the order's local
        day (today when omitted). Returns (points, product) for a gift, (points, cash value) for a
        points payment, (0, None) when nothing is redeemed.
        """
        rule = self.env["vip.points.rule"]._for_company(company)
        cash_product = rule.cash_product_id
        cash_lines = [(p, q, price) for p, q, price, _gift in lines if cash_product and p == cash_product]
        if not asked and not cash_lines:
            return 0, None
        if not partner or partner.vip_state in (False, "none"):
            raise UserError(self.env._("Only a member can redeem points."))
        rule._vip_check_redemption_month(on_date or company._vip_today())
        if kind == "cash":
            points, detail = self._vip_check_cash(rule, cash_lines, asked)
        elif cash_lines and kind == "gift":
            raise UserError(self.env._("An order redeems points once: either a gift or a points payment."))
        elif cash_lines:
            raise UserError(self.env._("A points-payment line needs the points it redeems on the order."))
        elif kind == "gift":
            points, detail = self._vip_check_gift(rule, [(p, q) for p, q, _price, gift in lines if gift], asked)
        else:
            raise UserError(self.env._("Unknown kind of redemption."))
        balance = partner.sudo().vip_points_balance
        if points > balance:
            raise UserError(self.env._(
                "%(name)s has %(balance)s points; %(points)s cannot be redeemed.",
                name=partner.display_name, balance=balance, points=points,
            ))
        return points, detail

    def _process_order(self, order, existing_order):
        # The vouchers a paid order uses are checked and locked before it is saved, and marked
        # used once it is.
        paid = order.get("state") != "draft"
        vouchers = self._vip_check_vouchers(order, existing_order) if paid else self.env["vip.voucher"]
        # Never trust the till: a group or staff order that carries a member discount is refused
        # before anything is saved, so the cashier takes it off and rings the order up again.
        if order.get("partner_id") and order.get("state") != "draft":
            session = self.env["pos.session"].browse(order.get("session_id"))
            company = session.config_id.company_id or self.env.company
            program = self.env["vip.program"]._get_for_company(company)
            partner = self.env["res.partner"].browse(order["partner_id"]).sudo()
            guard = program._vip_order_guard(partner, order.get("vip_group_order"))
            if guard:
                line_vals = [cmd[2] for cmd in order.get("lines") or []
                             if isinstance(cmd, (list, tuple)) and len(cmd) == 3 and isinstance(cmd[2], dict)]
                if self._vip_member_discount_lines(line_vals):
                    raise UserError(self.env._(
                        "%(guard)s Take the member discount off %(name)s's order.",
                        guard=program._vip_guard_message(guard), name=partner.name,
                    ))
        # The till loads every order field and sends them back: the ones the programme keeps
        # (processed flag, points, ledger) are never taken from a terminal.
        for name in SERVER_MANAGED_FIELDS:
            order.pop(name, None)
        # Refuse a redemption the member cannot have before the order is saved, so the
        # terminal shows the reason and keeps the order open. Only orders that redeem points
        # or carry a negative line (a points payment) are looked at: the rest pay nothing here.
        if order.get("state") != "draft" and not (existing_order and existing_order.state != "draft"):
            lines = [
                (self.env["product.product"].browse(vals["product_id"]), vals.get("qty"),
                 vals.get("price_unit") or 0.0, bool(vals.get("vip_redeem_gift")))
                for cmd in order.get("lines") or []
                if isinstance(cmd, (list, tuple)) and len(cmd) == 3 and isinstance(cmd[2], dict)
                for vals in [cmd[2]]
            ]
            if order.get("vip_redeem_points") or any(price < 0 for _p, _q, price, _gift in lines):
                session = self.env["pos.session"].browse(order.get("session_id"))
                partner = self.env["res.partner"].browse(order.get("partner_id"))
                # Two tills, one member: the member is locked until this sync commits. A till that
                # redeemed meanwhile makes the lock fail (repeatable read), Odoo retries the whole
                # sync, and the retry reads the committed balance and refuses before it is paid.
                self.env["vip.points.entry"]._vip_lock_partners(partner.ids)
                partner.invalidate_recordset(["vip_points_balance"])
                company = session.config_id.company_id or self.env.company
                paid_at = fields.Datetime.to_datetime(order.get("date_order")) or fields.Datetime.now()
                self._vip_check_redemption(
                    partner, lines,
                    order.get("vip_redeem_points") or 0, order.get("vip_redeem_kind"), company,
                    on_date=company._vip_local_date(paid_at, session.config_id),
                )
        order_id = super()._process_order(order, existing_order)
        if vouchers:
            vouchers.filtered(lambda v: v.state == "open").write({
                "state": "used", "pos_order_id": order_id, "date_used": fields.Datetime.now(),
            })
        return order_id

    def _vip_redeem_from_order(self, on_date):
        """Write the order's ``redeem`` entry; called once per order from ``_vip_process_paid``.

        The same check as at the till refuses a redemption the member cannot cover: a history
        rebuild that meets one fails that member (and says why) rather than trimming it."""
        self.ensure_one()
        if not self.vip_redeem_points:
            return self.env["vip.points.entry"]
        lines = [(line.product_id, line.qty, line.price_unit, line.vip_redeem_gift) for line in self.lines]
        points, detail = self._vip_check_redemption(
            self.partner_id, lines, self.vip_redeem_points, self.vip_redeem_kind, self.company_id, on_date=on_date,
        )
        lang_env = self.company_id._vip_lang_env()  # the ledger is read in the company's language
        if self.vip_redeem_kind == "cash":
            description = lang_env._(
                "%(points)s pts paid %(value).2f of %(order)s", points=points, value=detail, order=self.name,
            )
        else:
            description = lang_env._(
                "gift %(product)s (list price %(price).2f) on %(order)s",
                product=detail.with_env(lang_env).display_name, price=detail.lst_price, order=self.name,
            )
        return self.partner_id.sudo().vip_redeem_points(points, description, pos_order=self)

    @api.model
    def vip_pos_receipt_info(self, uuids):
        """What the receipt prints for synced orders: card, level, points earned, balance, lots."""
        partners = self.env["res.partner"]
        result = []
        for order in self.search([("uuid", "in", list(uuids or []))]):
            # The till's checks: the order's terminal is the user's, the member the terminal's company's.
            partners._vip_pos_config(order.config_id.id)
            partner = partners._vip_pos_member(order.partner_id.id, order.company_id)
            if not partner or partner.vip_state in (False, "none"):
                continue
            program = self.env["vip.program"]._get_for_company(order.company_id)
            today = order.company_id._vip_today(order.config_id)
            lots = partner._vip_expiring_lots(order.company_id, today, program.pos_expiry_warning_days)
            result.append({
                "uuid": order.uuid,
                "processed": order.vip_processed,
                "card": partner.vip_card_number or "",
                "level_name": partner.vip_level_id.name or "",
                "earned": order.vip_points_earned,
                "redeemed": order.vip_redeem_points,
                "balance": partner.vip_points_balance,
                "expiring": [{"date": fields.Date.to_string(day), "points": pts} for day, pts in lots],
                "expiry_days": program.pos_expiry_warning_days,
            })
        return result

    # -- gifts and care: the care job, after the order's transaction ------------------------

    def _vip_gift_lines(self):
        return self.lines.filtered(lambda line: line.vip_gift_issue_id and not line.refunded_orderline_id)

    def _vip_needs_care(self, refund_lines):
        """Whether the care job has something to do for this order: gifts, or a member's sale."""
        self.ensure_one()
        partner = self.partner_id
        return bool(self._vip_gift_lines()) or (
            partner.vip_state not in (False, "none") and self.amount_total > 0 and bool(self.lines - refund_lines)
        )

    def _vip_reserve_gifts(self):
        """Take the gifts handed over on these orders, in the order's transaction: the till never
        offers them again and a second till handing one over conflicts here. The care job marks
        them delivered (state, date, chatter)."""
        for order in self:
            issues = order._vip_gift_lines().vip_gift_issue_id
            if issues:
                self.env.cr.execute(
                    "UPDATE vip_gift_issue SET pos_order_id = %s WHERE id IN %s AND pos_order_id IS NULL",
                    [order.id, tuple(issues.ids)],
                )
                issues.invalidate_recordset(["pos_order_id"])

    @api.model
    def _vip_trigger_care(self):
        """Run the care job within about a minute, cheaply: a trigger is added only when none is
        waiting, a future trigger sends no notification at commit, and this process remembers a
        committed trigger until its time, so most orders read nothing at all."""
        cr = self.env.cr
        now = fields.Datetime.now()
        if _CARE_TRIGGER_WAITING.get(cr.dbname, now) > now:
            return
        cron_id = self.env["ir.model.data"]._xmlid_to_res_id(
            "vip_loyalty.ir_cron_vip_order_care", raise_if_not_found=False)
        if not cron_id:
            return
        cr.execute(
            "SELECT max(call_at) FROM ir_cron_trigger WHERE cron_id = %s AND call_at > (now() AT TIME ZONE 'UTC')",
            [cron_id],
        )
        call_at = cr.fetchone()[0]
        if not call_at:
            call_at = now + CARE_TRIGGER_DELAY
            self.env["ir.cron"].sudo().browse(cron_id)._trigger(call_at)
        # Remembered once committed: a rolled-back trigger must not silence the next orders.
        cr.postcommit.add(functools.partial(_CARE_TRIGGER_WAITING.__setitem__, cr.dbname, call_at))

    @api.model
    def _cron_vip_care(self, batch_size=200):
        """Care of the paid orders the paid step flagged: gifts delivered, follow-ups and calls.

        Orders are claimed in id order with ``SKIP LOCKED`` (two cron workers never take the same
        one) and cleared in the batch's own transaction, so each is done once and a re-run does
        nothing. An order that fails is rolled back alone, logged and retried by the next runs,
        up to ``CARE_MAX_ATTEMPTS``. Returns the number of orders done.
        """
        cr = self.env.cr
        after, done_total = 0, 0
        while True:
            self.env.flush_all()
            cr.execute(
                """
                SELECT id FROM pos_order
                 WHERE vip_care_pending AND COALESCE(vip_care_attempts, 0) < %s AND id > %s
                 ORDER BY id LIMIT %s FOR NO KEY UPDATE SKIP LOCKED
                """,
                [CARE_MAX_ATTEMPTS, after, batch_size],
            )
            ids = [r[0] for r in cr.fetchall()]
            if not ids:
                break
            after = ids[-1]
            done, failed = [], []
            for order in self.sudo().browse(ids):
                try:
                    with cr.savepoint():  # rolled back alone, and the cache with it
                        order.with_user(order.user_id or self.env.user).sudo().with_company(
                            order.company_id)._vip_deliver_and_schedule()
                    done.append(order.id)
                except Exception:
                    failed.append(order.id)
                    _logger.exception("vip: care of paid order %s failed; the next care run retries it", order.name)
            if done:
                cr.execute(
                    "UPDATE pos_order SET vip_care_pending = false, vip_care_done = true WHERE id IN %s",
                    [tuple(done)],
                )
            if failed:
                cr.execute(
                    "UPDATE pos_order SET vip_care_attempts = COALESCE(vip_care_attempts, 0) + 1 WHERE id IN %s",
                    [tuple(failed)],
                )
            self.browse(ids).invalidate_recordset(["vip_care_pending", "vip_care_done", "vip_care_attempts"])
            done_total += len(done)
            cr.execute(
                "SELECT count(*) FROM pos_order WHERE vip_care_pending AND COALESCE(vip_care_attempts, 0) < %s"
                " AND id > %s", [CARE_MAX_ATTEMPTS, after],
            )
            remaining = cr.fetchone()[0]
            _logger.info("vip: care done for %s orders (%s failed), %s waiting", done_total, len(failed), remaining)
            self.env["res.partner"]._vip_commit_batch(done=done_total, remaining=remaining)
        return done_total

    def _vip_deliver_and_schedule(self):
        """Deliver the gifts handed over on these orders, schedule the advisor's follow-ups.

        Called once per order, by the care job on the orders the paid step flagged.
        """
        for order in self:
            order._vip_gift_lines().vip_gift_issue_id.sudo()._vip_deliver_with_order(order)
        self._vip_schedule_care()

    def _vip_schedule_care(self):
        """The after-sale follow-up (and the big-purchase calls) for the member's advisor."""
        touches = []
        for order in self.filtered(lambda o: o.partner_id and o.partner_id.vip_state in ("active", "lapsed")):
            if order.amount_total <= 0:
                continue
            program = self.env["vip.program"].sudo()._get_for_company(order.company_id)
            on_date = order._vip_order_date()
            partner = order.partner_id
            user = self.env["vip.care.log"]._vip_advisor(partner, fallback=order.user_id)
            for touch in care_engine.after_sale_touches(on_date, order.amount_total, program._vip_care_settings()):
                touches.append({
                    "partner": partner,
                    "company": order.company_id,
                    "key": f"order{order.id}:{touch.kind}",
                    "kind": touch.kind,
                    "user": user,
                    # By id (cached): env.ref would check the record exists on every order.
                    "activity_type": self.env["mail.activity.type"].browse(
                        self.env["ir.model.data"]._xmlid_to_res_id(CARE_ACTIVITY_TYPES[touch.kind])),
                    "date_deadline": touch.date_deadline,
                    "summary": self.env._("%(kind)s: %(order)s", kind=CARE_SUMMARIES[touch.kind], order=order.name),
                    "note": self.env._(
                        "Ask how the purchase suits %(name)s: care instructions, outfit advice, questions.",
                        name=partner.name,
                    ),
                })
        # The day the order reached the server, as when care ran in the order's transaction.
        first = self[:1]
        company = first.company_id or self.env.company
        today = company._vip_local_date(first.create_date, first.config_id) if first else company._vip_today()
        return self.env["vip.care.log"].sudo()._vip_touch(touches, today)

    # -- the till's guards: group and staff orders, and the guard log ---------------------

    @api.model
    def _vip_member_discount_lines(self, line_vals):
        """Lines (as synced) that carry a member discount: a named benefit above what the cashier typed."""
        return [
            vals for vals in line_vals
            if vals.get("vip_discount_label") and not vals.get("vip_redeem_gift") and not vals.get("vip_gift_issue_id")
            and (vals.get("price_unit") or 0.0) >= 0
            and (vals.get("discount") or 0.0) > (vals.get("vip_cashier_discount") or 0.0) + 1e-6
        ]

    def _vip_check_guards(self):
        """The guard that keeps this paid order from earning ("group", "staff") or False; what the
        guards did to the order is logged for the manager."""
        self.ensure_one()
        program = self.env["vip.program"]._get_for_company(self.company_id)
        guard = program._vip_order_guard(self.partner_id, self.vip_group_order)
        if self.env.context.get("vip_history_rebuild"):
            return guard
        logs = []
        if guard:
            logs.append((guard, program._vip_guard_message(guard)))
        for kind in ("best_price", "qualifying"):
            lines = self.lines.filtered(lambda line, kind=kind: line.vip_benefit_kind == kind)
            if lines:
                logs.append((kind, "; ".join(f"{line.full_product_name}: {line.vip_discount_label}" for line in lines)))
        self.env["vip.guard.log"].sudo().create([{
            "company_id": self.company_id.id,
            "pos_order_id": self.id,
            "partner_id": self.partner_id.id,
            "user_id": self.user_id.id,
            "guard": kind,
            "description": description,
        } for kind, description in logs])
        return guard

    def _vip_qualifying_amount(self):
        """The order's amount for the single-purchase threshold: before the discount of the
        level it qualifies for, which the till gave on this very order."""
        self.ensure_one()
        amount = self.amount_total
        for line in self.lines.filtered(lambda line: line.vip_benefit_kind == "qualifying" and line.discount < 100):
            cashier = min(line.vip_cashier_discount or 0.0, line.discount)
            amount += line.price_subtotal_incl * (100.0 - cashier) / (100.0 - line.discount) - line.price_subtotal_incl
        return amount

    # -- year-end vouchers used on the order ------------------------------------------------

    @api.model
    def _vip_voucher_lines(self, order, company):
        """(code, qty, price) of the order's voucher lines; returns are left alone."""
        product = self.env["vip.program"].sudo()._get_for_company(company).voucher_product_id
        found = []
        for cmd in order.get("lines") or []:
            if not (isinstance(cmd, (list, tuple)) and len(cmd) == 3 and isinstance(cmd[2], dict)):
                continue
            vals = cmd[2]
            if vals.get("refunded_orderline_id"):
                continue
            if vals.get("vip_voucher_code") or (product and vals.get("product_id") == product.id):
                found.append((vals.get("vip_voucher_code"), vals.get("qty"), vals.get("price_unit") or 0.0))
        return found

    @api.model
    def _vip_check_vouchers(self, order, existing_order):
        """The vouchers a synced order uses, each checked and locked; nothing is written here.

        Never trusts the till: the code must be an open voucher of the terminal's company, valid
        on the order's day, used once, on one line of quantity 1 whose negative price is its value."""
        session = self.env["pos.session"].browse(order.get("session_id"))
        company = session.config_id.company_id or self.env.company
        lines = self._vip_voucher_lines(order, company)
        vouchers = self.env["vip.voucher"].sudo()
        if not lines:
            return vouchers
        paid_at = fields.Datetime.to_datetime(order.get("date_order")) or fields.Datetime.now()
        on_date = company._vip_local_date(paid_at, session.config_id)
        for code, qty, price in lines:
            if not code:
                raise UserError(self.env._("A voucher line needs the voucher's code."))
            voucher = self.env["vip.voucher"]._vip_check_use(code, company, on_date, order=existing_order)
            if voucher in vouchers:
                raise UserError(self.env._("Voucher %(code)s is used once per order.", code=voucher.name))
            if qty != 1 or float_compare(-price, voucher.amount, precision_digits=2):
                raise UserError(self.env._(
                    "Voucher %(code)s is worth %(amount).2f, on one line of quantity 1.",
                    code=voucher.name, amount=voucher.amount,
                ))
            vouchers |= voucher
        return vouchers
