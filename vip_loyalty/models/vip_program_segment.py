from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..engine import analysis as analysis_engine
from ..engine import segments as segment_engine


class VipProgram(models.Model):
    """Segmentation and analysis settings of the programme (defaults in data)."""

    _inherit = "vip.program"

    abc_a_points = fields.Integer(string="A: points at least", help="Seed 000: 50 points make an A member.")
    abc_a_purchases = fields.Integer(string="A: more purchases than", help="Seed 000: more than 5 purchases ...")
    abc_a_months = fields.Integer(string="A: within months", help="... in the last 2 months.")
    abc_drop_months = fields.Integer(string="Drop one class after months",
                                     help="No visit for this many months drops the member one ABC class (0 = off).")
    lifecycle_new_days = fields.Integer(string="New for days", help="Days after the first purchase a member is new.")
    lifecycle_silent_months = fields.Integer(string="Silent after months")
    lifecycle_sleeping_months = fields.Integer(string="Sleeping after months")
    lifecycle_lost_months = fields.Integer(string="Lost after months")
    types_min_purchases = fields.Integer(string="Purchase types after purchases")
    new_arrival_days = fields.Integer(string="New arrival: days after launch")
    new_arrival_share = fields.Float(string="New arrival: share of lines")
    promotion_share = fields.Float(string="Promotion: share of discounted lines")
    bulk_units = fields.Float(string="Bulk: units per purchase")
    frequent_gap_days = fields.Float(string="Frequent: days between purchases")
    high_price_quantile = fields.Float(string="High price: quantile of unit price")
    style_share = fields.Float(string="Style: share of the main category")
    rfm_months = fields.Integer(string="RFM window (months)")
    active_months = fields.Integer(string="Active if bought within months",
                                   help="A member without a purchase for this long is a dead card.")
    registration_rate_target = fields.Float(string="Registration rate required",
                                            help="Share of new purchasing customers who must register (0-1).")
    new_member_target = fields.Integer(string="New members per staff group per month")
    new_member_target_low = fields.Integer(string="New members target in the low season")
    new_member_low_months = fields.Char(string="Low season months", help="Comma separated, e.g. 7,8,9.")

    @api.constrains(
        "abc_a_points", "abc_a_purchases", "abc_a_months", "abc_drop_months", "lifecycle_new_days",
        "lifecycle_silent_months", "lifecycle_sleeping_months", "lifecycle_lost_months", "types_min_purchases",
        "new_arrival_days", "new_arrival_share", "promotion_share", "bulk_units", "frequent_gap_days",
        "high_price_quantile", "style_share", "rfm_months", "active_months", "registration_rate_target",
        "new_member_target", "new_member_target_low", "new_member_low_months",
    )
    def _check_segment_numbers(self):
        for program in self:
            numbers = [
                program.abc_a_points, program.abc_a_purchases, program.abc_a_months, program.abc_drop_months,
                program.lifecycle_new_days, program.lifecycle_silent_months, program.lifecycle_sleeping_months,
                program.lifecycle_lost_months, program.types_min_purchases, program.new_arrival_days,
                program.bulk_units, program.frequent_gap_days, program.rfm_months, program.active_months,
                program.new_member_target, program.new_member_target_low,
            ]
            if any(n < 0 for n in numbers):
                raise ValidationError(_("Segmentation thresholds cannot be negative."))
            shares = [program.new_arrival_share, program.promotion_share, program.high_price_quantile,
                      program.style_share, program.registration_rate_target]
            if any(not 0 <= s <= 1 for s in shares):
                raise ValidationError(_("Shares, quantiles and rates are fractions between 0 and 1."))
            stages = [m for m in (program.lifecycle_silent_months, program.lifecycle_sleeping_months,
                                  program.lifecycle_lost_months) if m]
            if stages != sorted(stages):
                raise ValidationError(_("Lifecycle months must grow: silent, then sleeping, then lost."))
            try:
                analysis_engine.parse_months(program.new_member_low_months)
            except ValueError as exc:
                raise ValidationError(_("Low season months: %s", exc)) from exc

    def _segment_params(self):
        self.ensure_one()
        return segment_engine.SegmentParams(
            abc_a_points=self.abc_a_points,
            abc_a_purchases=self.abc_a_purchases,
            abc_a_months=self.abc_a_months,
            abc_drop_months=self.abc_drop_months,
            new_days=self.lifecycle_new_days,
            silent_months=self.lifecycle_silent_months,
            sleeping_months=self.lifecycle_sleeping_months,
            lost_months=self.lifecycle_lost_months,
            types_min_purchases=self.types_min_purchases,
            new_arrival_days=self.new_arrival_days,
            new_arrival_share=self.new_arrival_share,
            promotion_share=self.promotion_share,
            bulk_units=self.bulk_units,
            frequent_gap_days=self.frequent_gap_days,
            high_price_quantile=self.high_price_quantile,
            style_share=self.style_share,
            rfm_months=self.rfm_months,
        )

    def _new_member_target_for(self, month):
        self.ensure_one()
        return analysis_engine.new_member_target(
            month, self.new_member_target, self.new_member_target_low,
            analysis_engine.parse_months(self.new_member_low_months),
        )

    @api.model
    def _cron_monthly_analysis(self, today=None):
        """Snapshot last month for every company (re-running recomputes it)."""
        for company in self.env["res.company"].sudo().search([]):
            month = analysis_engine.previous_month(today or company._vip_today())
            self.env["vip.analysis.snapshot"].sudo().with_company(company)._vip_compute_month(month, company)
