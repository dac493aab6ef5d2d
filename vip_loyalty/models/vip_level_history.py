from odoo import fields, models
from odoo.exceptions import UserError

REASONS = [
    ("upgrade", "Upgrade"),
    ("downgrade", "Downgrade"),
    ("renewal", "Renewal"),
    ("manual", "Manual"),
    ("lapse", "Lapse"),
    ("lost", "Lost"),
]


class VipLevelHistory(models.Model):
    """Every change of a member's level, written by the system only."""

    _name = "vip.level.history"
    _description = "VIP Level History"
    _order = "date desc, id desc"

    partner_id = fields.Many2one("res.partner", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, index=True)
    from_level_id = fields.Many2one("vip.level", ondelete="restrict")
    to_level_id = fields.Many2one("vip.level", ondelete="restrict")
    date = fields.Date(required=True, index=True)
    reason = fields.Selection(REASONS, required=True)
    rule_description = fields.Char()
    pos_order_id = fields.Many2one("pos.order", string="POS Order", index="btree_not_null", ondelete="set null")
    user_id = fields.Many2one("res.users", default=lambda self: self.env.user)
    is_history_rebuild = fields.Boolean(
        string="History Rebuild", readonly=True,
        default=lambda self: bool(self.env.context.get("vip_history_rebuild")),
    )

    def write(self, vals):
        if not self.env.su:
            raise UserError(self.env._("Level history cannot be edited."))
        return super().write(vals)
