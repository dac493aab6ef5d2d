from odoo import fields, models


class VipSimulationBonus(models.Model):
    """A points bonus of a what-if scenario (a copy of a live one, or a new campaign such as a double-points day)."""

    _name = "vip.simulation.bonus"
    _description = "VIP What-if Bonus"
    _order = "simulation_id, sequence, id"

    simulation_id = fields.Many2one("vip.simulation", required=True, ondelete="cascade", index=True)
    source_bonus_id = fields.Many2one("vip.points.bonus", string="Live bonus", ondelete="set null", readonly=True)
    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    kind = fields.Selection(
        [("multiplier", "Multiply points"), ("flat", "Add points")], required=True, default="multiplier"
    )
    condition = fields.Selection(
        [
            ("always", "Always (within the dates)"),
            ("birthday", "On the member's birthday"),
            ("birthday_month", "In the member's birthday month"),
            ("weekday", "On a weekday"),
            ("min_order_points", "Order earns at least"),
            ("date_range", "Within dates"),
        ],
        required=True,
        default="always",
        help="The live bonus for the first members of the day depends on every member's orders of the day "
             "and is not simulated.",
    )
    multiplier = fields.Float(default=1.0)
    flat_points = fields.Integer()
    weekday = fields.Selection(
        [("0", "Monday"), ("1", "Tuesday"), ("2", "Wednesday"), ("3", "Thursday"),
         ("4", "Friday"), ("5", "Saturday"), ("6", "Sunday")],
    )
    month_from = fields.Integer(help="First month of the campaign (1-12), empty for all year.")
    month_to = fields.Integer(help="Last month of the campaign (1-12).")
    date_from = fields.Date()
    date_to = fields.Date()
    min_order_points = fields.Integer(string="Minimum order points")
