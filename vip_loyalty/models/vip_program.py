from odoo import api, fields, models, tools

from ..engine import care as care_engine
from ..engine import levels as level_engine


class VipProgram(models.Model):
    """Company-wide settings of the VIP programme.

    One record per company. The numbers come from data (the seeds' defaults)
    and are edited in Configuration > Programme.
    """

    _name = "vip.program"
    _inherit = ["vip.config.cache.mixin"]
    _description = "VIP Programme Settings"
    _check_company_auto = True

    name = fields.Char(required=True, default="VIP Programme")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    auto_enrol = fields.Boolean(
        string="Enrol buyers automatically",
        help="A customer without a card who buys at the POS becomes a member.",
    )
    decay_months = fields.Integer(
        help="No purchase for this many months drops the member one level (0 = off)."
    )
    lost_months = fields.Integer(
        help="No purchase for this many months marks the member lost (0 = off)."
    )
    evaluation_mode = fields.Selection(
        [
            ("continuous", "Continuous (upgrade at once, nightly downgrade)"),
            ("semiannual", "June and December re-evaluation"),
        ],
        required=True,
        default="continuous",
    )
    refund_level_policy = fields.Selection(
        [
            ("keep", "Keep the level until the period ends"),
            ("reevaluate", "Re-evaluate the level at once"),
        ],
        required=True,
        default="keep",
        help="What a return does to the member's level.",
    )
    profile_hard_weight = fields.Float(
        string="Hard profile weight", help="Share of completeness from the hard profile (seed 000: 20)."
    )
    profile_soft_weight = fields.Float(
        string="Soft profile weight", help="Share of completeness from the soft profile (seed 000: 80)."
    )
    cron_batch_size = fields.Integer(
        help="Members or lots handled per committed batch in nightly jobs."
    )
    job_inline_limit = fields.Integer(
        string="Run at once up to", default=2000,
        help="A history rebuild, VIP list import or monthly analysis of up to this many orders (or rows) "
             "runs at once when its button is pressed; a larger one runs as a background job "
             "(VIP › Configuration › Background Jobs). 0: always in the background.",
    )

    _sql_constraints = [
        ("company_uniq", "unique(company_id)", "Each company has one VIP programme."),
        (
            "numbers_positive",
            "CHECK(decay_months >= 0 AND lost_months >= 0 AND cron_batch_size >= 0 AND job_inline_limit >= 0)",
            "Months and batch sizes cannot be negative.",
        ),
    ]

    def _policy(self):
        self.ensure_one()
        return self._vip_cached_policy(self.id)

    @tools.ormcache("program_id")
    def _vip_cached_policy(self, program_id):
        program = self.browse(program_id).sudo()
        return level_engine.Policy(
            decay_months=program.decay_months,
            lost_months=program.lost_months,
            evaluation_mode=program.evaluation_mode,
        )

    @tools.ormcache("company_id")
    def _vip_program_id(self, company_id):
        return self.sudo().search([("company_id", "=", company_id)], limit=1).id

    @api.model
    def _get_for_company(self, company=None):
        """The company's programme; created from the main company's on first use."""
        company = company or self.env.company
        # Read on every paid order: the id is cached (any programme change clears it).
        program = self.sudo().browse(self._vip_program_id(company.id))
        if not program:
            template = self.sudo().search([], order="id", limit=1)
            if template:
                program = template.copy({"company_id": company.id})
            else:
                program = self.sudo().create({"company_id": company.id})
        return program

    @api.model
    def _cron_nightly(self, today=None):
        """Nightly VIP job for every company: expire lots, then levels, then checks.

        ``today`` comes from Python so a missed night can be re-run for its date.
        """
        today = today or fields.Date.context_today(self)
        for company in self.env["res.company"].sudo().search([]):
            env = self.with_company(company).sudo().env
            program = self.with_company(company)._get_for_company(company)
            # Orders whose processing failed at payment: from when the programme started only,
            # so installing into an old database does not award its history (see the rebuild wizard).
            env["pos.order"]._vip_process_pending(company, program.create_date)
            env["vip.points.entry"]._vip_expire_lots(today, company, program.cron_batch_size)
            env["res.partner"]._vip_nightly_levels(today, company, program)
        self.env["res.partner"].sudo()._vip_check_balances()

    # -- POS terminal benefits (issue 5) --------------------------------------------------
    member_day = fields.Integer(
        string="Member day of the month",
        help="Day of each month when members get their level's member-day discount (0 = none).",
    )
    stack_floor_percent = fields.Float(
        string="折上折 from promoted price ≥ (% of list)",
        help="Promoted items whose price is at least this share of the list price get the level "
             "discount again (折上折); deeper promotions do not. The base level never gets it.",
    )
    pos_expiry_warning_days = fields.Integer(
        string="Warn of points expiring within (days)",
        help="The terminal and the receipt show points that expire within this many days.",
    )

    # -- care (issue 7) ----------------------------------------------------------------
    care_followup_days = fields.Integer(
        string="Follow-up within (days)", default=7,
        help="Every paid sale to a member gives the advisor a follow-up due within this many days.",
    )
    care_big_purchase_amount = fields.Float(
        string="Big purchase from", default=2000.0,
        help="A single purchase of at least this amount also gets a call (0 = off).",
    )
    care_big_purchase_call_days = fields.Integer(
        string="Big purchase call after (days)", default=7,
    )
    care_month_call_days = fields.Integer(
        string="Second call after (days)", default=30,
        help="Big purchases get a second call after this many days (0 = off).",
    )
    care_promotion_notice_days = fields.Integer(
        string="Announce promotions (days ahead)", default=3,
    )

    def _vip_care_settings(self):
        self.ensure_one()
        return self._vip_cached_care_settings(self.id)

    @tools.ormcache("program_id")
    def _vip_cached_care_settings(self, program_id):
        program = self.browse(program_id).sudo()
        return care_engine.CareSettings(
            followup_days=program.care_followup_days,
            big_purchase_amount=program.care_big_purchase_amount,
            big_purchase_call_days=program.care_big_purchase_call_days,
            month_call_days=program.care_month_call_days,
        )
