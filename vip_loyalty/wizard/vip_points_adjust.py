from markupsafe import Markup
from odoo import _, fields, models


class VipPointsAdjust(models.TransientModel):
    """Manual points correction by a VIP Manager, always with a reason."""

    _name = "vip.points.adjust"
    _description = "Adjust VIP Points"

    partner_id = fields.Many2one("res.partner", string="Member", required=True, domain=[("vip_state", "!=", "none")])
    current_balance = fields.Integer(related="partner_id.vip_points_balance", string="Current Balance")
    points = fields.Integer(string="Points to add", required=True, help="Positive to add, negative to remove.")
    reason = fields.Char(required=True)

    def action_confirm(self):
        self.ensure_one()
        self.partner_id.vip_adjust_points(self.points, self.reason)
        # the manual change stays on the member's record, with who made it and why
        self.partner_id.sudo().message_post(body=Markup("%s<br/>%s") % (
            _("Points adjusted by %(points)+d (new balance %(balance)s)",
              points=self.points, balance=self.partner_id.vip_points_balance),
            _("Reason: %s", self.reason.strip()),
        ))
        return {"type": "ir.actions.act_window_close"}
