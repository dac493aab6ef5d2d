from odoo import fields, models

from .vip_level import WINDOWS


class VipSimulationLevel(models.Model):
    """A level of a what-if scenario: a copy of a live level (or a new one) to change freely."""

    _name = "vip.simulation.level"
    _description = "VIP What-if Level"
    _order = "simulation_id, sequence, id"

    simulation_id = fields.Many2one("vip.simulation", required=True, ondelete="cascade", index=True)
    source_level_id = fields.Many2one(
        "vip.level", string="Live level", ondelete="set null", readonly=True,
        help="The live level this one was copied from; applying the scenario updates it.",
    )
    currency_id = fields.Many2one(related="simulation_id.currency_id")
    name = fields.Char(required=True)
    code = fields.Char(required=True)
    sequence = fields.Integer(default=10, help="Rank of the level: a higher sequence is a higher level.")
    min_single_purchase = fields.Monetary(string="Single purchase ≥")
    min_cumulative_spend = fields.Monetary(string="Cumulative spend ≥")
    qualify_window = fields.Selection(WINDOWS, required=True, default="rolling_12m", string="Cumulative window")
    min_points = fields.Integer(string="Points ≥")
    retention_annual_spend = fields.Monetary(string="Spend to keep")
    validity_months = fields.Integer()
    is_permanent = fields.Boolean(string="Permanent")
    discount_percent = fields.Float(string="Level discount (%)")
    birthday_discount_percent = fields.Float(string="Birthday discount (%)")
    member_day_discount_percent = fields.Float(string="Member day discount (%)")
    points_multiplier = fields.Float(default=1.0)

    def _vip_engine_id(self):
        """The id the engine knows the level by: the live level's, else a negative one of its own."""
        self.ensure_one()
        return self.source_level_id.id or -self.id
