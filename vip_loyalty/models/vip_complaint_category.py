from odoo import fields, models


class VipComplaintCategory(models.Model):
    """Why a customer complained (the usual causes ship as editable records)."""

    _name = "vip.complaint.category"
    _description = "VIP Complaint Category"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    company_id = fields.Many2one("res.company", index=True, help="Empty: shared by every company.")
