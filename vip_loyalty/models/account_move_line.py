from odoo import fields, models

from ..engine import liability as liability_engine

LIABILITY_KINDS = [
    (liability_engine.OPENING, "Outstanding at the start date"),
    (liability_engine.DEFERRAL, "Points earned (deferred)"),
    (liability_engine.REDEMPTION, "Points redeemed (released)"),
    (liability_engine.BREAKAGE, "Points expired (breakage)"),
    (liability_engine.CATCHUP, "Change in estimate (catch-up)"),
    (liability_engine.ROUNDING, "Rounding"),
]


class AccountMoveLine(models.Model):
    """Each points liability line carries the points behind it."""

    _inherit = "account.move.line"

    vip_points = fields.Integer(string="VIP Points", readonly=True, copy=False, aggregator="sum")
    vip_liability_kind = fields.Selection(
        LIABILITY_KINDS, string="Points Liability", readonly=True, copy=False, index="btree_not_null",
    )
