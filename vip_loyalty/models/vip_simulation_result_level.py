from odoo import fields, models


class VipSimulationResultLevel(models.Model):
    """Members by their level at the end of the period: live programme (from) × scenario (to)."""

    _name = "vip.simulation.result.level"
    _description = "VIP What-if: members per level"
    _order = "simulation_id, live_rank, scenario_rank"

    simulation_id = fields.Many2one("vip.simulation", required=True, ondelete="cascade", index=True)
    live_level_id = fields.Many2one("vip.level", string="Live level", ondelete="set null")
    scenario_level_id = fields.Many2one("vip.simulation.level", string="Scenario level", ondelete="set null")
    live_rank = fields.Integer()
    scenario_rank = fields.Integer()
    move = fields.Selection(
        [("up", "Higher"), ("same", "Same"), ("down", "Lower")], string="Change",
    )
    member_count = fields.Integer(string="Members", aggregator="sum")
