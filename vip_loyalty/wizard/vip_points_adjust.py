from odoo import fields, models


class VipPointsAdjust(models.TransientModel):
    """Manual points correction by a VIP Manager, always with a reason."""

    _name = "vip.points.adjust"
    _description = "Adjust VIP Points"

    partner_id = fields.Many2one("res.partner", required=True, domain=[("vip_state", "!=", "none")])
    current_balance = fields.Integer(related="partner_id.vip_points_balance", string="Current balance")
    points = fields.Integer(string="Points to add", required=True, help="Positive to add, negative to remove.")
    reason = fields.Char(required=True)

    def action_confirm(self):
        self.ensure_one()
        self.partner_id.vip_adjust_points(self.points, self.reason)
        return {"type": "ir.actions.act_window_close"}
