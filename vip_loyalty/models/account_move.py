from odoo import fields, models


class AccountMove(models.Model):
    """A month-end points liability entry knows its programme, month and estimate."""

    _inherit = "account.move"

    vip_program_id = fields.Many2one(
        "vip.program", string="VIP Programme", readonly=True, copy=False, index="btree_not_null",
        ondelete="restrict",
    )
    vip_liability_month = fields.Date(string="Points Liability Month", readonly=True, copy=False)
    vip_point_value = fields.Float(string="Point Value Used", digits=(16, 6), readonly=True, copy=False)
    vip_breakage_rate = fields.Float(string="Breakage Rate Used", digits=(16, 4), readonly=True, copy=False)
    vip_points_entry_ids = fields.One2many(
        "vip.points.entry", "vip_liability_move_id", string="Points Entries Covered", readonly=True,
    )
