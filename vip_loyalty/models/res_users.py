from odoo import fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    vip_compensation_limit = fields.Integer(
        string="VIP Compensation Limit (points)",
        default=0,
        help="Points this user may grant per complaint without a VIP Manager. Managers have no limit.",
    )
