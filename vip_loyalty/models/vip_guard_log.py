from odoo import fields, models

GUARDS = [
    ("group", "Group order"),
    ("staff", "Staff purchase"),
    ("best_price", "Best price"),
    ("qualifying", "Qualifying purchase"),
]


class VipGuardLog(models.Model):
    """What the till's guards did to a paid order, for the store manager to review."""

    _name = "vip.guard.log"
    _description = "VIP Till Guard Log"
    _order = "date desc, id desc"
    _rec_name = "guard"

    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    pos_order_id = fields.Many2one("pos.order", string="Order", required=True, index=True, readonly=True,
                                   ondelete="cascade")
    config_id = fields.Many2one(related="pos_order_id.config_id", string="Shop")
    partner_id = fields.Many2one("res.partner", string="Customer", index=True, readonly=True, ondelete="set null")
    user_id = fields.Many2one("res.users", string="Cashier", readonly=True)
    guard = fields.Selection(GUARDS, required=True, readonly=True)
    description = fields.Char(readonly=True)
