from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError

from ..engine import points as points_engine


class VipPointsBonus(models.Model):
    """Multipliers and flat bonuses on earned points (campaigns and standing rules)."""

    _name = "vip.points.bonus"
    _inherit = ["vip.config.cache.mixin"]
    _description = "VIP Points Bonus"
    _order = "company_id, sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    kind = fields.Selection(
        [("multiplier", "Multiply points"), ("flat", "Add points")], required=True, default="multiplier"
    )
    condition = fields.Selection(
        [
            ("always", "Always (within the dates)"),
            ("birthday", "On the member's birthday"),
            ("birthday_month", "In the member's birthday month"),
            ("weekday", "On a weekday"),
            ("first_n_of_day", "First members of the day"),
            ("min_order_points", "Order earns at least"),
            ("date_range", "Within dates"),
        ],
        required=True,
        default="always",
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
    first_n = fields.Integer(string="First N members")
    min_order_points = fields.Integer(string="Minimum order points")

    _sql_constraints = [
        (
            "numbers_valid",
            "CHECK(multiplier >= 0 AND flat_points >= 0 AND first_n >= 0 AND min_order_points >= 0"
            " AND (month_from IS NULL OR month_from BETWEEN 0 AND 12)"
            " AND (month_to IS NULL OR month_to BETWEEN 0 AND 12))",
            "Bonus numbers cannot be negative and months go from 1 to 12.",
        ),
    ]

    @api.constrains("date_from", "date_to", "condition", "weekday")
    def _check_dates(self):
        for bonus in self:
            if bonus.date_from and bonus.date_to and bonus.date_from > bonus.date_to:
                raise ValidationError(self.env._("The bonus ends before it starts."))
            if bonus.condition == "weekday" and not bonus.weekday:
                raise ValidationError(self.env._("Choose the weekday of the bonus."))

    def _to_spec(self):
        self.ensure_one()
        return points_engine.Bonus(
            id=self.id,
            name=self.name,
            kind=self.kind,
            condition=self.condition,
            multiplier=self.multiplier,
            flat_points=self.flat_points,
            weekday=int(self.weekday) if self.weekday else None,
            month_from=self.month_from or None,
            month_to=self.month_to or None,
            date_from=self.date_from or None,
            date_to=self.date_to or None,
            first_n=self.first_n,
            min_order_points=self.min_order_points,
        )

    @api.model
    def _specs_for_company(self, company):
        """Active bonuses of the company as engine specs; cached, read on every paid order."""
        return list(self._vip_cached_specs(company.id))

    @tools.ormcache("company_id")
    def _vip_cached_specs(self, company_id):
        bonuses = self.sudo().with_context(active_test=True).search([("company_id", "=", company_id)])
        return tuple(b._to_spec() for b in bonuses)
