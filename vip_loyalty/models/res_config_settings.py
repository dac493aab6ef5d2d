from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    """The VIP programme of the company in Settings, as related fields: a new programme setting
    is added here as one more related field and one more line in the settings view."""

    _inherit = "res.config.settings"

    vip_program_id = fields.Many2one(
        "vip.program", string="VIP Programme", readonly=True,
        default=lambda self: self.env["vip.program"]._get_for_company(self.env.company),
    )
    vip_auto_enrol = fields.Boolean(related="vip_program_id.auto_enrol", readonly=False)
    vip_evaluation_mode = fields.Selection(related="vip_program_id.evaluation_mode", readonly=False)
    vip_refund_level_policy = fields.Selection(related="vip_program_id.refund_level_policy", readonly=False)
    vip_decay_months = fields.Integer(related="vip_program_id.decay_months", readonly=False)
    vip_lost_months = fields.Integer(related="vip_program_id.lost_months", readonly=False)
    vip_tz = fields.Selection(related="vip_program_id.tz", readonly=False)
    vip_profile_hard_weight = fields.Float(related="vip_program_id.profile_hard_weight", readonly=False)
    vip_profile_soft_weight = fields.Float(related="vip_program_id.profile_soft_weight", readonly=False)
    vip_member_day = fields.Integer(related="vip_program_id.member_day", readonly=False)
    vip_stack_floor_percent = fields.Float(related="vip_program_id.stack_floor_percent", readonly=False)
    vip_pos_expiry_warning_days = fields.Integer(related="vip_program_id.pos_expiry_warning_days", readonly=False)
    vip_care_followup_days = fields.Integer(related="vip_program_id.care_followup_days", readonly=False)
    vip_care_big_purchase_amount = fields.Float(related="vip_program_id.care_big_purchase_amount", readonly=False)
    vip_care_big_purchase_call_days = fields.Integer(related="vip_program_id.care_big_purchase_call_days",
                                                     readonly=False)
    vip_care_month_call_days = fields.Integer(related="vip_program_id.care_month_call_days", readonly=False)
    vip_care_promotion_notice_days = fields.Integer(related="vip_program_id.care_promotion_notice_days", readonly=False)
    vip_active_months = fields.Integer(related="vip_program_id.active_months", readonly=False)
    vip_registration_rate_target = fields.Float(related="vip_program_id.registration_rate_target", readonly=False)
    vip_new_member_target = fields.Integer(related="vip_program_id.new_member_target", readonly=False)
    vip_new_member_target_low = fields.Integer(related="vip_program_id.new_member_target_low", readonly=False)
    vip_new_member_low_months = fields.Char(related="vip_program_id.new_member_low_months", readonly=False)
    vip_abc_a_points = fields.Integer(related="vip_program_id.abc_a_points", readonly=False)
    vip_abc_a_purchases = fields.Integer(related="vip_program_id.abc_a_purchases", readonly=False)
    vip_abc_a_months = fields.Integer(related="vip_program_id.abc_a_months", readonly=False)
    vip_abc_drop_months = fields.Integer(related="vip_program_id.abc_drop_months", readonly=False)
    vip_lifecycle_new_days = fields.Integer(related="vip_program_id.lifecycle_new_days", readonly=False)
    vip_lifecycle_silent_months = fields.Integer(related="vip_program_id.lifecycle_silent_months", readonly=False)
    vip_lifecycle_sleeping_months = fields.Integer(related="vip_program_id.lifecycle_sleeping_months", readonly=False)
    vip_lifecycle_lost_months = fields.Integer(related="vip_program_id.lifecycle_lost_months", readonly=False)
    vip_rfm_months = fields.Integer(related="vip_program_id.rfm_months", readonly=False)
    vip_types_min_purchases = fields.Integer(related="vip_program_id.types_min_purchases", readonly=False)
    vip_new_arrival_days = fields.Integer(related="vip_program_id.new_arrival_days", readonly=False)
    vip_new_arrival_share = fields.Float(related="vip_program_id.new_arrival_share", readonly=False)
    vip_promotion_share = fields.Float(related="vip_program_id.promotion_share", readonly=False)
    vip_bulk_units = fields.Float(related="vip_program_id.bulk_units", readonly=False)
    vip_frequent_gap_days = fields.Float(related="vip_program_id.frequent_gap_days", readonly=False)
    vip_high_price_quantile = fields.Float(related="vip_program_id.high_price_quantile", readonly=False)
    vip_style_share = fields.Float(related="vip_program_id.style_share", readonly=False)
    vip_liability_account_id = fields.Many2one(related="vip_program_id.liability_account_id", readonly=False)
    vip_revenue_account_id = fields.Many2one(related="vip_program_id.revenue_account_id", readonly=False)
    vip_liability_journal_id = fields.Many2one(related="vip_program_id.liability_journal_id", readonly=False)
    vip_liability_start_date = fields.Date(related="vip_program_id.liability_start_date", readonly=False)
    vip_point_value = fields.Float(related="vip_program_id.point_value", readonly=False)
    vip_breakage_rate = fields.Float(related="vip_program_id.breakage_rate", readonly=False)
    vip_cron_batch_size = fields.Integer(related="vip_program_id.cron_batch_size", readonly=False)
    vip_job_inline_limit = fields.Integer(related="vip_program_id.job_inline_limit", readonly=False)
