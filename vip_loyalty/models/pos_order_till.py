# Kept apart from pos_order.py while the order steps are refactored in parallel.
# pylint: disable=consider-merging-classes-inherited
from odoo import api, fields, models
from odoo.exceptions import UserError


class PosOrder(models.Model):
    """The till's guards on the order: group and staff orders, and the guard log."""

    _inherit = "pos.order"

    vip_group_order = fields.Boolean(
        string="Group order", copy=False,
        help="A group or corporate order: no member discount and no points (when the programme's guard is on).",
    )

    @api.model
    def _vip_member_discount_lines(self, line_vals):
        """Lines (as synced) that carry a member discount: a named benefit above what the cashier typed."""
        return [
            vals for vals in line_vals
            if vals.get("vip_discount_label") and not vals.get("vip_redeem_gift") and not vals.get("vip_gift_issue_id")
            and (vals.get("price_unit") or 0.0) >= 0
            and (vals.get("discount") or 0.0) > (vals.get("vip_cashier_discount") or 0.0) + 1e-6
        ]

    def _process_order(self, order, existing_order):
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
        return super()._process_order(order, existing_order)

    def _vip_earn(self, lines, on_date, texts):
        if self._vip_check_guards():
            return 0
        return super()._vip_earn(lines, on_date, texts)

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
