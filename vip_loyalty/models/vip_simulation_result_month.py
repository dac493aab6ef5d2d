from odoo import fields, models


class VipSimulationResultMonth(models.Model):
    """Member discounts the levels would have given, per month and shop, live and scenario."""

    _name = "vip.simulation.result.month"
    _description = "VIP What-if: discounts per month and shop"
    _order = "simulation_id, month, shop_id"

    simulation_id = fields.Many2one("vip.simulation", required=True, ondelete="cascade", index=True)
    currency_id = fields.Many2one(related="simulation_id.currency_id")
    month = fields.Date(required=True)
    shop_id = fields.Many2one("pos.config", string="Shop", ondelete="set null")
    sales = fields.Monetary(string="Member sales", aggregator="sum")
    live_discount = fields.Monetary(string="Discount (live)", aggregator="sum")
    scenario_discount = fields.Monetary(string="Discount (scenario)", aggregator="sum")
    difference = fields.Monetary(aggregator="sum")
