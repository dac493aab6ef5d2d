from datetime import timedelta

from odoo import api, fields, models


class VipEventInvitation(models.Model):
    _name = "vip.event.invitation"
    _description = "VIP Event Invitation"
    _order = "event_id, id"

    event_id = fields.Many2one("vip.event", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="event_id.company_id", store=True)
    currency_id = fields.Many2one(related="event_id.currency_id")
    partner_id = fields.Many2one("res.partner", string="Member", required=True, index=True, ondelete="cascade")
    level_id = fields.Many2one(related="partner_id.vip_level_id", string="Level")
    state = fields.Selection([("invited", "Invited"), ("attended", "Attended"), ("absent", "Absent")],
                             default="invited", required=True)
    sales_amount = fields.Monetary(string="Sales", compute="_compute_sales_amount")

    _sql_constraints = [
        ("event_partner_uniq", "unique(event_id, partner_id)", "A member is invited once per event."),
    ]

    @api.depends("state", "partner_id", "event_id.date")
    def _compute_sales_amount(self):
        orders = self.env["pos.order"].sudo()
        for invitation in self:
            event = invitation.event_id
            if invitation.state != "attended" or not event.date:
                invitation.sales_amount = 0.0
                continue
            day_orders = orders.search([
                ("partner_id", "=", invitation.partner_id.id), ("company_id", "=", event.company_id.id),
                ("state", "in", ("paid", "done", "invoiced")),
                ("date_order", ">=", fields.Datetime.to_datetime(event.date) - timedelta(days=1)),
                ("date_order", "<", fields.Datetime.to_datetime(event.date) + timedelta(days=2)),
            ])
            invitation.sales_amount = sum(
                o.amount_total for o in day_orders if o._vip_order_date() == event.date
            )

    def action_attended(self):
        self.write({"state": "attended"})

    def action_absent(self):
        self.write({"state": "absent"})
