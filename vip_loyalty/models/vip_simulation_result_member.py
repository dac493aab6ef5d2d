from odoo import fields, models


class VipSimulationResultMember(models.Model):
    """The members the scenario changes most (level first, then points)."""

    _name = "vip.simulation.result.member"
    _description = "VIP What-if: most affected members"
    _order = "simulation_id, sequence"

    simulation_id = fields.Many2one("vip.simulation", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer()
    partner_id = fields.Many2one("res.partner", string="Member", ondelete="cascade")
    live_level_id = fields.Many2one("vip.level", string="Live level", ondelete="set null")
    scenario_level_id = fields.Many2one("vip.simulation.level", string="Scenario level", ondelete="set null")
    live_points = fields.Integer()
    scenario_points = fields.Integer()
    points_change = fields.Integer()
