from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError

from ..engine import levels as level_engine

WINDOWS = [
    ("rolling_12m", "Rolling 12 months"),
    ("rolling_3m", "Rolling 3 months"),
    ("rolling_1m", "Rolling 1 month"),
    ("calendar_year", "Calendar year"),
    ("quarter", "Calendar quarter"),
    ("lifetime", "Lifetime"),
]


class VipLevel(models.Model):
    _name = "vip.level"
    _inherit = ["vip.config.cache.mixin"]
    _description = "VIP Member Level"
    _order = "company_id, sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True)
    sequence = fields.Integer(
        default=10, help="Rank of the level: a higher sequence is a higher level."
    )
    active = fields.Boolean(default=True)
    color = fields.Integer()
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    min_single_purchase = fields.Monetary(
        string="Single purchase ≥", help="One order of at least this amount qualifies."
    )
    min_cumulative_spend = fields.Monetary(
        string="Cumulative spend ≥",
        help="Spend within the qualifying window of at least this amount qualifies.",
    )
    qualify_window = fields.Selection(
        WINDOWS, required=True, default="rolling_12m", string="Cumulative window"
    )
    min_points = fields.Integer(string="Points ≥", help="A balance of at least this qualifies.")
    retention_annual_spend = fields.Monetary(
        string="Spend to keep",
        help="Spend during the validity needed to renew the level when it ends.",
    )
    validity_months = fields.Integer(help="How long the level holds (0 = no expiry).")
    is_permanent = fields.Boolean(
        string="Permanent", help="Once reached, the level never drops."
    )
    discount_percent = fields.Float(string="Level discount (%)")
    birthday_discount_percent = fields.Float(string="Birthday discount (%)")
    member_day_discount_percent = fields.Float(string="Member day discount (%)")
    points_multiplier = fields.Float(default=1.0)
    year_end_next_year = fields.Boolean(
        string="31 December counts in the next year",
        help="With a calendar-year window, purchases made on 31 December count towards the next year "
             "(seed 000's pharmacy manual).",
    )
    qualifying_order_discount = fields.Boolean(
        string="Discount on the qualifying order",
        help="The purchase that lifts a member to this level gets this level's discount on the same order "
             "at the till (seed 003: 立即享受9折).",
    )
    member_count = fields.Integer(compute="_compute_member_count")

    _sql_constraints = [
        ("code_company_uniq", "unique(code, company_id)", "A level code must be unique per company."),
        (
            "thresholds_positive",
            "CHECK(min_single_purchase >= 0 AND min_cumulative_spend >= 0 AND min_points >= 0"
            " AND retention_annual_spend >= 0 AND validity_months >= 0 AND points_multiplier >= 0)",
            "Level thresholds cannot be negative.",
        ),
    ]

    def _compute_member_count(self):
        groups = self.env["res.partner"]._read_group(
            [("vip_level_id", "in", self.ids)], ["vip_level_id"], ["__count"]
        )
        counts = {level.id: count for level, count in groups}
        for level in self:
            level.member_count = counts.get(level.id, 0)

    def _to_spec(self):
        self.ensure_one()
        return level_engine.LevelSpec(
            id=self.id,
            code=self.code,
            name=self.name,
            sequence=self.sequence,
            min_single_purchase=self.min_single_purchase,
            min_cumulative_spend=self.min_cumulative_spend,
            qualify_window=self.qualify_window,
            min_points=self.min_points,
            retention_annual_spend=self.retention_annual_spend,
            validity_months=self.validity_months,
            is_permanent=self.is_permanent,
            year_end_next_year=self.year_end_next_year,
        )

    @api.model
    def _specs_for_company(self, company):
        """The company's level table as engine specs; cached, read on every paid order."""
        return list(self._vip_cached_specs(company.id))

    @tools.ormcache("company_id")
    def _vip_cached_specs(self, company_id):
        return tuple(self._vip_read_specs(company_id))

    @tools.ormcache()
    def _vip_cached_multipliers(self):
        """{level id: points multiplier}, read on every paid order (``rulebook.level_multiplier``)."""
        levels = self.sudo().with_context(active_test=False).search_read([], ["points_multiplier"])
        return {level["id"]: level["points_multiplier"] for level in levels}

    @api.model
    def _vip_read_specs(self, company_id):
        # Names in the company's language, whoever fills the cache: they go into the history.
        company = self.env["res.company"].browse(company_id)
        levels = self.with_env(company._vip_lang_env()).sudo().with_context(active_test=True).search(
            [("company_id", "=", company_id)])
        return [lvl._to_spec() for lvl in levels]

    @api.constrains(
        "min_single_purchase", "min_cumulative_spend", "min_points", "qualify_window",
        "retention_annual_spend", "validity_months", "sequence", "code", "active", "company_id",
    )
    def _check_level_table(self):
        if self.env.context.get("vip_level_check_later"):
            return  # a what-if scenario applied level by level: checked once, when all are written
        for company in self.company_id:
            errors = level_engine.validate_levels(self._vip_read_specs(company.id))
            if errors:
                raise ValidationError(
                    self.env._("The level table of %(company)s is invalid:\n%(errors)s",
                               company=company.name, errors="\n".join(errors))
                )

    def action_view_members(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("vip_loyalty.vip_member_action")
        action["domain"] = [("vip_level_id", "=", self.id)]
        return action
