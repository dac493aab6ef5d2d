from odoo import fields, models


class VipComplaintCompensate(models.TransientModel):
    """Compensate a complaining member with points, through the ledger."""

    _name = "vip.complaint.compensate"
    _description = "Compensate a VIP Complaint"

    complaint_id = fields.Many2one("vip.complaint", required=True, ondelete="cascade")
    partner_id = fields.Many2one(related="complaint_id.partner_id")
    already_granted = fields.Integer(related="complaint_id.compensation_points", string="Already granted")
    user_limit = fields.Integer(string="Your limit", default=lambda self: self.env.user.vip_compensation_limit,
                                readonly=True)
    points = fields.Integer(required=True)
    reason = fields.Char(required=True)

    def action_confirm(self):
        self.ensure_one()
        self.complaint_id.compensate_points(self.points, self.reason)
        return {"type": "ir.actions.act_window_close"}
