import logging

from odoo import Command, api, fields, models, tools
from odoo.addons.base.models.res_partner import _tz_get
from odoo.exceptions import AccessError

from ..engine import care as care_engine
from ..engine import levels as level_engine

_logger = logging.getLogger(__name__)

# Per-company defaults a company without them copies from the shipped records (xml ids of this
# module), in this order: gift rules point at the levels and holidays copied before them.
# SLAs, complaint categories and sequences have no company: they already serve every company.
COMPANY_DEFAULTS = [
    "vip.level", "vip.points.rule", "vip.points.bonus", "vip.holiday", "vip.gift.rule", "vip.contact.step",
]


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
    tz = fields.Selection(
        _tz_get, string="Timezone", required=True, copy=False,
        default=lambda self: self.env.company._vip_default_tz(),
        help="Decides the day of orders, expiries, birthdays, member days and deadlines for shops "
             "without their own timezone, whoever runs the job or the till.",
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

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("tz"):
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                vals["tz"] = company._vip_default_tz()
        return super().create(vals_list)

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

    # -- defaults for every company ---------------------------------------------------------

    @api.model
    def _vip_default_records(self, model):
        """The shipped default records of ``model`` (this module's xml ids), as edited since."""
        res_ids = self.env["ir.model.data"].sudo().search(
            [("module", "=", "vip_loyalty"), ("model", "=", model)]
        ).mapped("res_id")
        return self.env[model].sudo().with_context(active_test=False).browse(res_ids).exists()

    @api.model
    def _vip_setup_companies(self, companies):
        """Give each company the programme, levels, points rule and bonuses, holidays, gift rules
        and contact plan it lacks, copied from the defaults. Returns {company: {model: count}}."""
        created = {}
        for company in companies.sudo():
            self._get_for_company(company)
            copies = {}  # default record -> its copy, to point the copies at each other
            counts = {}
            for model in COMPANY_DEFAULTS:
                records = self.env[model].sudo().with_context(active_test=False)
                if records.search_count([("company_id", "=", company.id)], limit=1):
                    continue
                templates = self._vip_default_records(model)
                templates -= templates.filtered_domain([("company_id", "=", company.id)])
                for template in templates:
                    if model == "vip.gift.rule":
                        self._vip_copy_gift_cost(template, company)
                    copies[template] = template.copy(self._vip_copy_vals(template, company, copies))
                if templates:
                    counts[model] = len(templates)
            if counts:
                _logger.info("vip: programme defaults created for %s: %s", company.name, counts)
            created[company] = counts
        return created

    @api.model
    def _vip_copy_gift_cost(self, rule, company):
        """A product's cost is per company: a gift product without a cost in ``company`` takes the
        one its rule was checked against, so the copied rule keeps its floor or cap."""
        product = rule.product_id.with_company(company)
        if product and not product.standard_price:
            product.standard_price = rule.product_id.with_company(rule.company_id).standard_price

    @api.model
    def _vip_copy_vals(self, template, company, copies):
        vals = {"company_id": company.id}
        for fname, field in template._fields.items():
            if field.comodel_name not in COMPANY_DEFAULTS or not field.store or fname == "company_id":
                continue
            if field.type == "many2one" and template[fname]:
                vals[fname] = copies[template[fname]].id if template[fname] in copies else False
            elif field.type == "many2many":
                vals[fname] = [Command.set([copies[r].id for r in template[fname] if r in copies])]
        return vals

    def action_vip_setup_companies(self):
        """Menu action: create the missing defaults for the user's companies and say what was done."""
        if not self.env.user.has_group("vip_loyalty.group_vip_manager"):
            raise AccessError(self.env._("Only VIP Managers can set up the VIP programme."))
        created = self._vip_setup_companies(self.env.companies)
        done = [
            self.env._("%(company)s: %(what)s", company=company.name, what=", ".join(
                f"{count} × {self.env['ir.model']._get(model).name}" for model, count in counts.items()
            ))
            for company, counts in created.items() if counts
        ]
        message = "; ".join(done) if done else self.env._("Every company already has its VIP programme.")
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("VIP programme set up"), "message": message, "sticky": bool(done),
            },
        }

    @api.model
    def _cron_nightly(self, today=None):
        """Nightly VIP job for every company: expire lots, then levels, then checks.

        ``today`` comes from Python so a missed night can be re-run for its date; by default
        each company's own today, in its timezone.
        """
        for company in self.env["res.company"].sudo().search([]):
            env = self.with_company(company).sudo().env
            program = self.with_company(company)._get_for_company(company)
            day = today or company._vip_today()
            # Orders whose processing failed at payment: from when the programme started only,
            # so installing into an old database does not award its history (see the rebuild wizard).
            env["pos.order"]._vip_process_pending(company, program.create_date)
            env["vip.points.entry"]._vip_expire_lots(day, company, program.cron_batch_size)
            env["res.partner"]._vip_nightly_levels(day, company, program)
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
