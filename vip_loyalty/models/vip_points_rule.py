from odoo import api, fields, models, tools
from odoo.exceptions import UserError, ValidationError

from ..engine import points as points_engine


class VipPointsRule(models.Model):
    """How members earn and redeem points, per company."""

    _name = "vip.points.rule"
    _inherit = ["vip.config.cache.mixin"]
    _description = "VIP Points Rule"
    _order = "company_id, sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount_per_point = fields.Monetary(
        string="Amount per step", help="Currency spent for one step of points (floored)."
    )
    points_per_step = fields.Integer(string="Points per step")
    discounted_lines_earn = fields.Boolean(
        string="Discounted items earn", help="Lines sold at a discount still earn points."
    )
    deep_discount_threshold = fields.Float(
        string="Deep discount above (%)",
        help="Lines discounted more than this earn at the reduced factor (0 = off).",
    )
    deep_discount_factor = fields.Float(string="Deep discount earning factor")
    excluded_categ_ids = fields.Many2many(
        "product.category", string="Excluded product categories"
    )
    excluded_product_ids = fields.Many2many(
        "product.product", string="Excluded products", check_company=True
    )
    expiry_policy = fields.Selection(
        [
            ("calendar_year", "Reset on 1 January"),
            ("rolling_months", "After a number of months"),
            ("never", "Never"),
        ],
        required=True,
        default="calendar_year",
    )
    expiry_months = fields.Integer()
    ladder_first_points = fields.Integer(
        string="Points for the first gift", help="Points that buy one item up to the first cap."
    )
    ladder_first_cap = fields.Monetary(string="First gift price cap")
    ladder_step_points = fields.Integer(string="Further points per step")
    ladder_step_cap = fields.Monetary(string="Cap added per step")
    cash_points_block = fields.Integer(string="Points per cash block")
    cash_block_value = fields.Monetary(string="Cash value per block")
    cash_product_id = fields.Many2one(
        "product.product", string="Points payment product",
        help="Product of the order line by which points pay part of a POS order at their cash value.",
    )
    redemption_month_of_quarter = fields.Selection(
        [("0", "Any month"), ("1", "First month"), ("2", "Second month"), ("3", "Third month")],
        required=True,
        default="0",
        help="Restrict redemption to one month of each quarter.",
    )

    _sql_constraints = [
        (
            "numbers_positive",
            "CHECK(amount_per_point > 0 AND points_per_step >= 0 AND deep_discount_threshold >= 0"
            " AND deep_discount_factor >= 0 AND expiry_months >= 0 AND ladder_first_points >= 0"
            " AND ladder_first_cap >= 0 AND ladder_step_points >= 0 AND ladder_step_cap >= 0"
            " AND cash_points_block >= 0 AND cash_block_value >= 0)",
            "Point rule numbers cannot be negative, and the amount per step must be positive.",
        ),
    ]

    @api.constrains("expiry_policy", "expiry_months")
    def _check_expiry(self):
        for rule in self:
            if rule.expiry_policy == "rolling_months" and rule.expiry_months <= 0:
                raise ValidationError(self.env._("Points that expire after months need a number of months."))

    @api.model
    def _for_company(self, company):
        return self.sudo().browse(self._vip_rule_id(company.id))

    @tools.ormcache("company_id")
    def _vip_rule_id(self, company_id):
        return self.sudo().search([("company_id", "=", company_id)], limit=1).id

    def _to_spec(self):
        self.ensure_one()
        return self._vip_cached_spec(self.id)

    @tools.ormcache("rule_id")
    def _vip_cached_spec(self, rule_id):
        rule = self.browse(rule_id).sudo()
        return rule._vip_read_spec()

    def _vip_read_spec(self):
        return points_engine.EarnRule(
            amount_per_point=self.amount_per_point,
            points_per_step=self.points_per_step,
            deep_discount_threshold=self.deep_discount_threshold,
            deep_discount_factor=self.deep_discount_factor,
            discounted_lines_earn=self.discounted_lines_earn,
            expiry_policy=self.expiry_policy,
            expiry_months=self.expiry_months,
        )

    def _expiry_date(self, earn_date):
        self.ensure_one()
        return points_engine.expiry_date(self._to_spec(), earn_date) or False

    def _ladder_kwargs(self):
        self.ensure_one()
        return {
            "ladder_first_points": self.ladder_first_points,
            "ladder_first_cap": self.ladder_first_cap,
            "ladder_step_points": self.ladder_step_points,
            "ladder_step_cap": self.ladder_step_cap,
        }

    def _vip_check_redemption_month(self, today):
        """Refuse a redemption outside the quarter's redemption month, when the rule has one."""
        if self and self.redemption_month_of_quarter != "0":
            if (today.month - 1) % 3 + 1 != int(self.redemption_month_of_quarter):
                raise UserError(self.env._("Points can only be redeemed in the redemption month of each quarter."))

    def _vip_gift_points(self, list_price):
        """Points a gift of ``list_price`` costs on this rule's redemption ladder."""
        self.ensure_one()
        return points_engine.points_for_gift(list_price, **self._ladder_kwargs())

    def _vip_gift_cap(self, points):
        """Highest list price ``points`` can buy on this rule's redemption ladder."""
        self.ensure_one()
        return points_engine.redemption_cap(points, **self._ladder_kwargs())

    def _is_line_excluded(self, product):
        self.ensure_one()
        product_ids, categ_ids = self._vip_cached_exclusions(self.id)
        if product.id in product_ids:
            return True
        # parent_path is "1/5/9/": the category and its ancestors, so sub-categories are excluded too.
        ancestors = {int(cid) for cid in (product.categ_id.parent_path or "").split("/") if cid}
        return bool(ancestors & categ_ids)

    @tools.ormcache("rule_id")
    def _vip_cached_exclusions(self, rule_id):
        rule = self.browse(rule_id).sudo()
        return frozenset(rule.excluded_product_ids.ids), frozenset(rule.excluded_categ_ids.ids)
