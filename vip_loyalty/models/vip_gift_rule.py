from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..engine import gifts as gift_engine

OCCASIONS = [
    ("birthday", "Birthday"),
    ("holiday", "Holiday"),
    ("level_upgrade", "Level upgrade"),
    ("anniversary", "Membership anniversary"),
    ("points_redemption", "Points redemption (ladder)"),
    ("annual_top_spender", "Annual top spender"),
]


class VipGiftRule(models.Model):
    """Which gift a member receives on which occasion, for which levels.

    Rules of the same occasion are tried in sequence; a member gets at most one gift per
    occasion and quota period (a database constraint on ``vip.gift.issue``).
    """

    _name = "vip.gift.rule"
    _description = "VIP Gift Rule"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    occasion = fields.Selection(OCCASIONS, required=True, index=True)
    level_ids = fields.Many2many(
        "vip.level", string="Eligible Levels", check_company=True,
        help="Levels that receive this gift; empty means every member.",
    )
    holiday_ids = fields.Many2many(
        "vip.holiday", string="Holidays", check_company=True,
        help="Holiday rules only: the holidays it applies to; empty means every dated holiday.",
    )
    product_id = fields.Many2one(
        "product.product", string="Gift Product", required=True, check_company=True,
        domain="[('type', '=', 'consu')]",
    )
    product_cost = fields.Float(related="product_id.standard_price", string="Product Cost")
    cost_min = fields.Float(string="Cost Floor", help="The gift must cost at least this (0 = no floor).")
    cost_max = fields.Float(string="Cost Cap", help="The gift may cost at most this (0 = no cap).")
    lead_days = fields.Integer(
        help="Plan the gift and send the greeting this many days before the occasion.",
    )
    validity_days = fields.Integer(
        default=30, help="An unclaimed gift expires this many days after the occasion.",
    )
    quota_period = fields.Selection(
        [("year", "Once per year"), ("month", "Once per month"), ("occasion", "Once per occasion date")],
        required=True, default="year",
        help="A member receives at most one gift of this occasion per period.",
    )
    delivery = fields.Selection(
        [("pickup", "Pick up in store"), ("ship", "Ship")], required=True, default="pickup",
    )
    greeting_template_id = fields.Many2one(
        "mail.template", string="Greeting", domain=[("model", "=", "vip.gift.issue")],
        help="Sent when the gift is planned; greetings never advertise.",
    )
    call_enabled = fields.Boolean(string="Advisor Call", default=True)
    call_days_before = fields.Integer(
        help="The advisor's call is due this many days before the occasion (0 = on the day).",
    )
    top_spender_count = fields.Integer(
        string="Top Spenders", default=10,
        help="Annual top spender only: how many of the year's biggest spenders receive the gift.",
    )
    points_cost = fields.Integer(
        help="Points redemption only: points this gift costs (0 = from the redemption ladder).",
    )

    _sql_constraints = [
        (
            "numbers_positive",
            "CHECK(cost_min >= 0 AND cost_max >= 0 AND lead_days >= 0 AND validity_days >= 0"
            " AND call_days_before >= 0 AND points_cost >= 0 AND top_spender_count >= 0)",
            "Costs, days and points of a gift rule cannot be negative.",
        ),
    ]

    @api.constrains("cost_min", "cost_max", "product_id")
    def _check_cost(self):
        for rule in self:
            if rule.cost_min and rule.cost_max and rule.cost_min > rule.cost_max:
                raise ValidationError(self.env._("%(rule)s: the cost floor is above the cost cap.", rule=rule.name))
            # The cost is per company: the rule's, whichever company the user works in.
            cost = rule.product_id.with_company(rule.company_id).standard_price
            broken = gift_engine.cost_violation(cost, rule.cost_min, rule.cost_max)
            if broken == "min":
                raise ValidationError(self.env._(
                    "%(rule)s: %(product)s costs %(cost).2f, below the floor of %(bound).2f.",
                    rule=rule.name, product=rule.product_id.display_name, cost=cost, bound=rule.cost_min,
                ))
            if broken == "max":
                raise ValidationError(self.env._(
                    "%(rule)s: %(product)s costs %(cost).2f, above the cap of %(bound).2f.",
                    rule=rule.name, product=rule.product_id.display_name, cost=cost, bound=rule.cost_max,
                ))

    def _to_spec(self):
        self.ensure_one()
        return gift_engine.GiftRule(
            id=self.id,
            occasion=self.occasion,
            level_ids=frozenset(self.level_ids.ids),
            lead_days=self.lead_days,
            validity_days=self.validity_days,
            quota_period=self.quota_period,
            holiday_ids=frozenset(self.holiday_ids.ids),
        )
