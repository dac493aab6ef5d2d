import logging

from odoo import fields, models

from ..engine import care as care_engine
from ..engine import points as points_engine

_logger = logging.getLogger(__name__)

CARE_ACTIVITY_TYPES = {
    "followup": "vip_loyalty.mail_activity_type_vip_followup",
    "big_purchase_call": "mail.mail_activity_data_call",
    "month_call": "mail.mail_activity_data_call",
}
CARE_SUMMARIES = {"followup": "Follow-up", "big_purchase_call": "One-week call", "month_call": "One-month call"}


class PosOrder(models.Model):
    _inherit = "pos.order"

    vip_processed = fields.Boolean(
        copy=False, readonly=True, help="The VIP programme has handled this paid order."
    )
    vip_points_earned = fields.Integer(copy=False, readonly=True)
    vip_points_entry_ids = fields.One2many("vip.points.entry", "pos_order_id", string="Points Entries")
    vip_care_done = fields.Boolean(
        copy=False, readonly=True, help="Gifts on this order are delivered and the follow-up is scheduled."
    )

    def action_pos_order_paid(self):
        res = super().action_pos_order_paid()
        self.filtered(lambda o: o.state == "paid")._vip_process_paid()
        return res

    # -- hooks meant to be overridden ---------------------------------------------------

    def _vip_line_is_excluded(self, line, rule):
        """Lines that never earn: excluded products and categories, zero-priced gifts."""
        return rule._is_line_excluded(line.product_id)

    def _vip_order_date(self):
        self.ensure_one()
        return self.partner_id._vip_local_date(self.date_order)

    # -- processing ---------------------------------------------------------------------

    def _vip_process_paid(self):
        """Points and level for paid orders, once per order, in the order's transaction."""
        entry_model = self.env["vip.points.entry"]
        for order in self:
            if order.vip_processed:
                continue
            refund_lines = order.lines.filtered("refunded_orderline_id")
            partner = order.partner_id
            # A return is reversed even when the cashier did not select the customer again.
            if not partner and not refund_lines:
                continue
            if partner and partner.vip_state == "none":
                program = self.env["vip.program"]._get_for_company(order.company_id)
                if program.auto_enrol and order.lines - refund_lines:
                    partner.sudo()._vip_enrol(
                        shop=order.config_id, enrol_date=order._vip_order_date(), advisor=order.user_id
                    )
            locked = (partner | refund_lines.refunded_orderline_id.order_id.partner_id).ids
            entry_model._vip_lock_partners(locked)
            # Re-read under the lock: a parallel sync of the same order may have won.
            self.env.cr.execute("SELECT vip_processed FROM pos_order WHERE id = %s", [order.id])
            if self.env.cr.fetchone()[0]:
                continue
            on_date = order._vip_order_date()
            if refund_lines:
                order._vip_reverse_refunded(refund_lines, on_date)
            earned = 0
            if partner.vip_state not in (False, "none"):
                earned = order._vip_earn(order.lines - refund_lines, on_date)
            order.sudo().write({"vip_processed": True, "vip_points_earned": earned})
            for member in (partner | refund_lines.refunded_orderline_id.order_id.partner_id):
                if member.vip_state != "none":
                    member.sudo()._vip_evaluate_after_order(
                        order, on_date, is_refund=bool(refund_lines) and not (order.lines - refund_lines)
                    )
        self._vip_after_paid()

    def _vip_earn(self, lines, on_date):
        self.ensure_one()
        rule = self.env["vip.points.rule"]._for_company(self.company_id)
        if not rule or not lines:
            return 0
        partner = self.partner_id
        bonuses = self.env["vip.points.bonus"]._specs_for_company(self.company_id)
        earn_lines = [
            points_engine.EarnLine(
                amount=line.price_subtotal_incl,
                discount_percent=line.discount,
                excluded=self._vip_line_is_excluded(line, rule),
            )
            for line in lines
        ]
        ctx = points_engine.EarnContext(
            order_date=on_date,
            birthday=partner.vip_birthday or None,
            member_rank_of_day=self._vip_member_rank_of_day(on_date, bonuses),
            level_multiplier=partner.vip_level_id.points_multiplier or 1.0,
        )
        result = points_engine.compute_earn(earn_lines, rule._to_spec(), bonuses, ctx)
        if result.points <= 0:
            return 0
        self.env["vip.points.entry"]._vip_post([{
            "partner_id": partner.id,
            "company_id": self.company_id.id,
            "date": on_date,
            "points": result.points,
            "entry_type": "earn",
            "expiry_date": rule._expiry_date(on_date),
            "pos_order_id": self.id,
            "rule_description": result.description,
        }])
        return result.points

    def _vip_member_rank_of_day(self, on_date, bonuses):
        """1-based rank of this member among members who earned today (for first-N bonuses)."""
        if not any(b.condition == "first_n_of_day" for b in bonuses):
            return None
        self.env.cr.execute(
            """
            SELECT COUNT(DISTINCT partner_id) FROM vip_points_entry
             WHERE company_id = %s AND date = %s AND entry_type = 'earn' AND partner_id <> %s
            """,
            [self.company_id.id, on_date, self.partner_id.id],
        )
        return self.env.cr.fetchone()[0] + 1

    def _vip_reverse_refunded(self, refund_lines, on_date):
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
                ]).mapped("price_subtotal_incl")
            )
            already = -sum(entry_model.search([
                ("reversed_entry_id", "=", earn.id), ("entry_type", "=", "reverse"),
            ]).mapped("points"))
            points = points_engine.reversal_points(earn.points, origin.amount_total, max(refunded_total, 0.0), already)
            if points:
                vals_list.append({
                    "partner_id": earn.partner_id.id,
                    "company_id": self.company_id.id,
                    "date": on_date,
                    "points": -points,
                    "entry_type": "reverse",
                    "pos_order_id": self.id,
                    "reversed_entry_id": earn.id,
                    "rule_description": self.env._(
                        "return of %(amount).2f of %(origin)s (%(total).2f): -%(points)s of %(earned)s pts",
                        amount=refunded_total, origin=origin.name, total=origin.amount_total,
                        points=points, earned=earn.points,
                    ),
                })
        entry_model._vip_post(vals_list)

    # -- gifts and care (after points and level) ------------------------------------------

    def _vip_after_paid(self):
        """Deliver the gifts handed over on the order, schedule the advisor's follow-ups.

        Once per order: the flag is taken with one atomic UPDATE, so a replayed or
        parallel sync of the same order creates nothing twice.
        """
        paid = self.filtered(lambda o: o.state == "paid")
        if not paid:
            return self.browse()
        self.flush_recordset(["vip_care_done"])
        self.env.cr.execute(
            "UPDATE pos_order SET vip_care_done = true WHERE id IN %s AND vip_care_done IS NOT TRUE RETURNING id",
            [tuple(paid.ids)],
        )
        todo = self.browse([r[0] for r in self.env.cr.fetchall()])
        todo.invalidate_recordset(["vip_care_done"])
        for order in todo:
            gift_lines = order.lines.filtered(lambda line: line.vip_gift_issue_id and not line.refunded_orderline_id)
            gift_lines.vip_gift_issue_id.sudo()._vip_deliver_with_order(order)
        todo._vip_schedule_care()
        return todo

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
                    "activity_type": self.env.ref(CARE_ACTIVITY_TYPES[touch.kind]),
                    "date_deadline": touch.date_deadline,
                    "summary": self.env._("%(kind)s: %(order)s", kind=CARE_SUMMARIES[touch.kind], order=order.name),
                    "note": self.env._(
                        "Ask how the purchase suits %(name)s: care instructions, outfit advice, questions.",
                        name=partner.name,
                    ),
                })
        return self.env["vip.care.log"].sudo()._vip_touch(touches, fields.Date.context_today(self))
