import logging

from odoo import Command, _, api, fields, models, tools
from odoo.addons.base.models.res_partner import _tz_get
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.modules import module as odoo_module

from ..engine import analysis as analysis_engine
from ..engine import care as care_engine
from ..engine import guards as guards_engine
from ..engine import levels as level_engine
from ..engine import liability as liability_engine
from ..engine import reach as reach_engine
from ..engine import segments as segment_engine

_logger = logging.getLogger(__name__)

ACCOUNTANT_GROUPS = ("account.group_account_manager", "account.group_account_user")
REPORT_GROUPS = (*ACCOUNTANT_GROUPS, "account.group_account_readonly", "vip_loyalty.group_vip_manager")
LEDGER_COLUMNS = (liability_engine.DEFERRAL, liability_engine.REDEMPTION, liability_engine.BREAKAGE)

# Per-company defaults a company without them copies from the shipped records (xml ids of this
# module), in this order: gift rules point at the levels and holidays copied before them.
# SLAs, complaint categories and sequences have no company: they already serve every company.
COMPANY_DEFAULTS = [
    "vip.level", "vip.points.rule", "vip.points.bonus", "vip.holiday", "vip.gift.rule", "vip.contact.step",
    "vip.notice.step",
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

    # -- the nightly job in shards and the RFM cadence ------------------------------------------
    night_shard_size = fields.Integer(
        string="Members per night shard", default=5000,
        help="The nightly job is cut into shards of this many members; Odoo's cron workers, on one "
             "server or several, each take the next free shard. A shard is one transaction.")
    rfm_refresh_days = fields.Integer(
        string="Refresh RFM every (days)", default=7,
        help="RFM scores and the high-price threshold are relative to all members: a full segmentation "
             "recomputes them on this cadence, after the night's shards (0 = only on demand). Every "
             "other night recomputes only the members whose purchases, points or thresholds changed.")
    rfm_refreshed_on = fields.Date(string="RFM refreshed on", readonly=True, copy=False)
    rfm_refresh_requested = fields.Boolean(readonly=True, copy=False)
    segment_high_price_threshold = fields.Float(
        string="High-price threshold", readonly=True, copy=False,
        help="Average unit price from which a member is 'high price', from the last full segmentation.")

    # -- segmentation and analysis ---------------------------------------------------------------
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

    # -- the till's guards and lost cards -------------------------------------------------------
    card_fee_product_id = fields.Many2one(
        "product.product", string="Card replacement fee",
        help="Added to the till's order when a lost card is replaced at the till; empty: no fee.",
    )
    guard_group_orders = fields.Boolean(
        string="No member benefits on group orders",
        help="An order marked at the till as a group or corporate order gets no member discount and earns no points.",
    )
    guard_staff = fields.Boolean(
        string="No member benefits for staff",
        help="When the customer is one of the company's own users or employees, the order gets no member "
             "discount and earns no points, unless staff benefits are allowed.",
    )
    staff_benefits_allowed = fields.Boolean(
        string="Staff may use member benefits",
        help="Lifts the staff guard: staff buying for themselves get their member discount and points.",
    )
    guard_best_price = fields.Boolean(
        string="Best price for members",
        help="A member never pays more for an item than a walk-in customer would that day: where the till's "
             "pricelist or promotion is lower than the member's level price, the member gets the lower one.",
    )
    guard_qualifying_order = fields.Boolean(
        string="New level's discount on the qualifying order",
        help="The purchase that lifts a member to a level gets that level's discount on the same order, "
             "when the level says so; the till shows the new level before payment.",
    )

    # -- further member days, birthday discount and enrolment requirements ---------------------
    member_days = fields.Char(
        string="Further member days",
        help="Days of the month that are member days besides the one above, comma separated (seed 003: 9,19,29).",
    )
    birthday_scope = fields.Selection(
        [("one_item", "One item"), ("whole_order", "The whole order")], string="Birthday-month discount on",
        default="one_item", required=True,
        help="Seed 000 gives the birthday discount on one item; other stores give it on the whole order.",
    )
    birthday_day_percent = fields.Float(
        string="Extra on the birthday itself (%)",
        help="On the member's birthday, this much more off every item, after its other discount (0 = none).",
    )
    enrol_require_phone = fields.Boolean(string="Phone required to enrol")
    enrol_require_birthday = fields.Boolean(string="Birthday required to enrol")
    enrol_min_spend = fields.Float(
        string="Minimum spend to enrol",
        help="A buyer is enrolled automatically only by an order of at least this amount (0 = any purchase).",
    )

    # -- reaching members and year-end vouchers -------------------------------------------------
    reach_default_channel = fields.Selection(
        [("sms", "SMS"), ("email", "Email")], string="Default Channel", default="sms", required=True,
        help="Channel of members without a preference. A member without a mobile number gets email, "
             "one without an email gets SMS.",
    )
    voucher_enabled = fields.Boolean(string="Year-end Vouchers", default=True)
    voucher_conversion_month = fields.Integer(string="Conversion month", default=12)
    voucher_conversion_day = fields.Integer(string="Conversion day", default=1)
    voucher_valid_until_month = fields.Integer(string="Valid until month", default=1)
    voucher_valid_until_day = fields.Integer(string="Valid until day", default=15)
    voucher_points_per_unit = fields.Integer(
        string="Points per currency unit", default=10, help="Seed 003: points ÷ 10 = voucher amount.",
    )
    voucher_min_face = fields.Integer(string="Smallest face value", default=10)
    voucher_max_face = fields.Integer(string="Largest face value", default=100)
    voucher_product_id = fields.Many2one(
        "product.product", string="Voucher product",
        help="Product of the till line (negative price) by which a voucher pays part of an order.",
    )
    events_per_year = fields.Integer(
        string="VIP events per year", default=4, help="Seed 003: at least this many VIP events a year.",
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

    @tools.ormcache("program_id")
    def _vip_cached_tz(self, program_id):
        return self.browse(program_id).sudo().tz or False

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
        """Nightly VIP job for every company: plan the night's shards (expiry, then levels,
        then segmentation for each member; see ``vip.night.shard``), wake the shard workers and
        take shards too.

        ``today`` comes from Python so a missed night can be re-run for its date; by default
        each company's own today, in its timezone. A re-run for a planned date does nothing.
        """
        shards = self.env["vip.night.shard"].sudo()
        for company in self.env["res.company"].sudo().search([]):
            env = self.with_company(company).sudo().env
            program = self.with_company(company)._get_for_company(company)
            day = today or company._vip_today()
            # Orders whose processing failed at payment: from when the programme started only,
            # so installing into an old database does not award its history (see the rebuild wizard).
            env["pos.order"]._vip_process_pending(company, program.create_date)
            shards._vip_plan_night(company, day, program)
        if not odoo_module.current_test:
            self.env.cr.commit()  # pylint: disable=invalid-commit - the workers must see the plan
        shards._vip_trigger_workers()
        return shards._cron_run_shards()

    # -- POS terminal benefits --------------------------------------------------
    member_day = fields.Integer(
        string="Member day of the month",
        help="Day of each month when members get their level's member-day discount (0 = none).",
    )
    stack_floor_percent = fields.Float(
        string="Level discount on promoted prices from (% of list)",
        help="Promoted items whose price is at least this share of the list price get the level "
             "discount again (折上折); deeper promotions do not. The base level never gets it.",
    )
    pos_expiry_warning_days = fields.Integer(
        string="Warn of points expiring within (days)",
        help="The terminal and the receipt show points that expire within this many days.",
    )

    # -- care ----------------------------------------------------------------
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

    # -- points liability: IFRS 15 contract liability with breakage ------------
    # A programme without a liability journal posts nothing: the feature is off.

    liability_account_id = fields.Many2one(
        "account.account", string="Points Liability Account", copy=False, check_company=True,
        domain="[('account_type', 'in', ('liability_current', 'liability_non_current'))]",
        help="Contract liability for the points members hold (credited when points are earned).",
    )
    revenue_account_id = fields.Many2one(
        "account.account", string="Points Revenue Account", copy=False, check_company=True,
        domain="[('account_type', 'in', ('income', 'income_other'))]",
        help="Revenue deferred when points are earned and recognised when they are redeemed or expire.",
    )
    liability_journal_id = fields.Many2one(
        "account.journal", string="Points Liability Journal", copy=False, check_company=True,
        domain="[('type', '=', 'general')]",
        help="Miscellaneous journal of the month-end entries. Leave empty to post nothing.",
    )
    point_value = fields.Float(
        string="Value of One Point", digits=(16, 6),
        compute="_compute_point_value", store=True, readonly=False, precompute=True,
        help="What a point is worth to a member; by default its cash value at the till.",
    )
    breakage_rate = fields.Float(
        string="Expected Breakage", digits=(16, 4),
        help="Share of points expected never to be redeemed, from 0 to 1 (0.10 = 10%). Changing it "
             "catches up the whole liability in the month of the change.",
    )
    liability_start_date = fields.Date(
        copy=False,
        help="First month posted. Points held before it are brought in once, on their own line.",
    )
    observed_breakage_12 = fields.Float(
        string="Observed Breakage (12 months)", compute="_compute_observed_breakage", digits=(16, 4),
        help="Points expired ÷ points that left the ledger over the last 12 months.",
    )
    observed_breakage_24 = fields.Float(
        string="Observed Breakage (24 months)", compute="_compute_observed_breakage", digits=(16, 4),
    )
    liability_move_count = fields.Integer(compute="_compute_liability_move_count")

    @api.depends("company_id")
    def _compute_point_value(self):
        for program in self:
            if not program.point_value:
                rule = self.env["vip.points.rule"]._for_company(program.company_id)
                if rule and rule.cash_points_block:
                    program.point_value = rule.cash_block_value / rule.cash_points_block

    @api.depends("company_id")
    def _compute_observed_breakage(self):
        for program in self:
            end = liability_engine.month_end(program.company_id._vip_today())
            program.observed_breakage_12 = program._vip_observed_breakage(end, 12)
            program.observed_breakage_24 = program._vip_observed_breakage(end, 24)

    def _compute_liability_move_count(self):
        counts = dict(self.env["account.move"].sudo()._read_group(
            [("vip_program_id", "in", self.ids)], ["vip_program_id"], ["__count"]))
        for program in self:
            program.liability_move_count = counts.get(program, 0)

    @api.constrains("breakage_rate")
    def _check_breakage_rate(self):
        for program in self:
            if not liability_engine.check_breakage_rate(program.breakage_rate):
                raise ValidationError(self.env._(
                    "The expected breakage is a share between 0%% and 100%% (0 to 1), not %(rate)s.",
                    rate=program.breakage_rate))

    @api.constrains("point_value")
    def _check_point_value(self):
        for program in self:
            if program.point_value < 0:
                raise ValidationError(self.env._("The value of one point cannot be negative."))

    @api.constrains("liability_account_id", "revenue_account_id")
    def _check_liability_accounts(self):
        for program in self:
            if program.liability_account_id and program.liability_account_id.internal_group != "liability":
                raise ValidationError(self.env._("The points liability account must be a liability account."))
            if program.revenue_account_id and program.revenue_account_id.internal_group != "income":
                raise ValidationError(self.env._("The points revenue account must be an income account."))

    # -- reading the ledger ------------------------------------------------------------

    def _vip_observed_breakage(self, end, months):
        """Points expired ÷ points that left the ledger in the ``months`` months up to ``end``."""
        self.ensure_one()
        start = liability_engine.add_months(liability_engine.month_start(end), 1 - months)
        self.env["vip.points.entry"].flush_model(["points", "entry_type", "date", "company_id"])
        self.env.cr.execute(
            """
            SELECT entry_type = 'expire', -SUM(points) FROM vip_points_entry
             WHERE company_id = %s AND points < 0 AND date >= %s AND date <= %s
             GROUP BY 1
            """,
            [self.company_id.id, start, end],
        )
        left = dict(self.env.cr.fetchall())
        return liability_engine.observed_breakage(left.get(True, 0), sum(left.values()))

    def _vip_ledger_months(self, date_to, by_shop=False):
        """Ledger points per month (and shop) up to ``date_to``: {(month, shop_id): [earned, redeemed, expired]}.

        A movement belongs to the shop of its order, else to the shop of the lot it burns (an
        expiry), else to the member's enrolment shop.
        """
        self.ensure_one()
        self.env["vip.points.entry"].flush_model()
        shop = "COALESCE(o.config_id, lo.config_id, p.vip_enrol_shop_id)" if by_shop else "NULL::int"
        self.env.cr.execute(
            f"""
            SELECT date_trunc('month', e.date)::date, {shop}, e.entry_type = 'expire', SIGN(e.points), SUM(e.points)
              FROM vip_points_entry e
              JOIN res_partner p ON p.id = e.partner_id
              LEFT JOIN pos_order o ON o.id = e.pos_order_id
              LEFT JOIN vip_points_entry lot ON lot.id = e.reversed_entry_id
              LEFT JOIN pos_order lo ON lo.id = lot.pos_order_id
             WHERE e.company_id = %s AND e.date <= %s
             GROUP BY 1, 2, 3, 4
            """,  # noqa: S608 - the interpolated part is one of two constant expressions
            [self.company_id.id, date_to],
        )
        result = {}
        for month, shop_id, is_expire, sign, points in self.env.cr.fetchall():
            kind = liability_engine.classify("expire" if is_expire else "", int(sign))
            row = result.setdefault((month, shop_id), [0, 0, 0])
            row[LEDGER_COLUMNS.index(kind)] += abs(points)
        return result

    def _vip_booked_cents(self, date_to):
        """Liability posted by this programme's entries up to ``date_to``, in minor units."""
        self.ensure_one()
        self.env["account.move.line"].flush_model()
        self.env.cr.execute(
            """
            SELECT COALESCE(SUM(l.credit - l.debit), 0)
              FROM account_move_line l
              JOIN account_move m ON m.id = l.move_id
              JOIN account_account a ON a.id = l.account_id
             WHERE m.vip_program_id = %s AND m.state = 'posted' AND m.date <= %s
               AND l.vip_liability_kind IS NOT NULL AND a.account_type LIKE 'liability%%'
            """,
            [self.id, date_to],
        )
        return round(self.env.cr.fetchone()[0] * 10 ** self.company_id.currency_id.decimal_places)

    def _vip_liability_moves(self, month=None):
        domain = [("vip_program_id", "=", self.id), ("state", "=", "posted")]
        if month:
            domain.append(("vip_liability_month", "=", month))
        return self.env["account.move"].sudo().search(domain, order="date desc, id desc")

    # -- posting -----------------------------------------------------------------------

    def _vip_check_liability_access(self):
        if not self.env.su and not any(self.env.user.has_group(g) for g in ACCOUNTANT_GROUPS):
            raise AccessError(self.env._("Only accountants post the points liability."))

    def _vip_check_liability_settings(self):
        self.ensure_one()
        missing = [
            self._fields[name].get_description(self.env)["string"]
            for name in ("liability_account_id", "revenue_account_id", "liability_journal_id", "liability_start_date")
            if not self[name]
        ]
        if missing:
            raise UserError(self.env._(
                "Set the points liability settings of %(program)s first: %(missing)s.",
                program=self.display_name, missing=", ".join(missing)))
        if not self.point_value:
            raise UserError(self.env._("Set the value of one point before posting the points liability."))
        if not liability_engine.check_breakage_rate(self.breakage_rate):
            raise ValidationError(self.env._("The expected breakage must be between 0% and 100%."))

    def _vip_post_liability(self, month):
        """Post (or find) the points liability entry of ``month`` (any date in it) and return it.

        Months from the last one posted (or the start date) up to ``month`` are posted in order;
        running a month again posts only what the ledger gained since, as a new entry. An empty
        recordset means the month moved nothing.
        """
        self.ensure_one()
        self._vip_check_liability_access()
        program = self.sudo()
        program = program.with_company(program.company_id)
        program._vip_check_liability_settings()
        month = liability_engine.month_start(fields.Date.to_date(month))
        start = liability_engine.month_start(program.liability_start_date)
        if month < start:
            raise UserError(self.env._(
                "The points liability starts in %(start)s; %(month)s is before it.",
                start=start.strftime("%Y-%m"), month=month.strftime("%Y-%m")))
        if month > program.company_id._vip_today():
            raise UserError(self.env._("%(month)s has not begun.", month=month.strftime("%Y-%m")))
        # One posting at a time per programme: two would count the same entries.
        self.env.cr.execute("SELECT id FROM vip_program WHERE id = %s FOR NO KEY UPDATE", [program.id])
        last = program._vip_liability_moves()[:1].vip_liability_month
        if last and month < last:
            raise UserError(self.env._(
                "The points liability is posted up to %(last)s; %(month)s is closed. Ledger entries "
                "dated in it that came late are counted in the next month's entry.",
                last=last.strftime("%Y-%m"), month=month.strftime("%Y-%m")))
        months = liability_engine.months_between(
            liability_engine.next_month(last) if last and last < month else (last or start), month)
        company = program.company_id
        for each in months:
            violated = company._get_lock_date_violations(
                liability_engine.month_end(each), fiscalyear=True, sale=False, purchase=False, tax=False, hard=True)
            if violated:
                raise UserError(self.env._(
                    "%(month)s is locked in accounting (%(locks)s): nothing was posted.",
                    month=each.strftime("%Y-%m"), locks=company._format_lock_dates(violated)))
        for each in months:
            program._vip_post_liability_month(each)
        return program._vip_liability_moves(month)[:1]

    def _vip_post_liability_month(self, month):
        """One month's entry for the ledger entries not yet counted; nothing when nothing moved."""
        self.ensure_one()
        end = liability_engine.month_end(month)
        start = self.liability_start_date
        self.env["vip.points.entry"].flush_model()
        cr = self.env.cr
        cr.execute(
            """
            SELECT e.date < %(start)s, e.entry_type = 'expire', SIGN(e.points), SUM(e.points), array_agg(e.id)
              FROM vip_points_entry e
              LEFT JOIN account_move m ON m.id = e.vip_liability_move_id
             WHERE e.company_id = %(company)s AND e.date <= %(end)s
               AND (e.vip_liability_move_id IS NULL OR m.state <> 'posted')
             GROUP BY 1, 2, 3
            """,
            {"company": self.company_id.id, "start": start, "end": end},
        )
        counts = {liability_engine.OPENING: 0, liability_engine.DEFERRAL: 0,
                  liability_engine.REDEMPTION: 0, liability_engine.BREAKAGE: 0}
        entry_ids = []
        for before_start, is_expire, sign, points, ids in cr.fetchall():
            entry_ids += ids
            if before_start:
                counts[liability_engine.OPENING] += points
            else:
                counts[liability_engine.classify("expire" if is_expire else "", int(sign))] += abs(points)
        movement = liability_engine.Movement(
            opening=counts[liability_engine.OPENING], earned=counts[liability_engine.DEFERRAL],
            redeemed=counts[liability_engine.REDEMPTION], expired=counts[liability_engine.BREAKAGE])
        cr.execute("SELECT COALESCE(SUM(points), 0) FROM vip_points_entry WHERE company_id = %s AND date <= %s",
                   [self.company_id.id, end])
        outstanding = cr.fetchone()[0]
        previous = self._vip_liability_moves()[:1]
        changed = bool(previous) and (
            previous.vip_point_value != self.point_value or previous.vip_breakage_rate != self.breakage_rate)
        currency = self.company_id.currency_id
        lines = liability_engine.month_lines(
            movement, outstanding, self.point_value, self.breakage_rate, self._vip_booked_cents(end),
            estimate_changed=changed, digits=currency.decimal_places)
        if not lines:
            _logger.info("vip: points liability %s of %s: nothing to post", month, self.company_id.name)
            return self.env["account.move"]
        move = self.env["account.move"].create({
            "move_type": "entry",
            "journal_id": self.liability_journal_id.id,
            "company_id": self.company_id.id,
            "date": end,
            "ref": self.env._("VIP points liability %(month)s", month=month.strftime("%Y-%m")),
            "vip_program_id": self.id,
            "vip_liability_month": month,
            "vip_point_value": self.point_value,
            "vip_breakage_rate": self.breakage_rate,
            "line_ids": [cmd for line in lines for cmd in self._vip_line_commands(line, currency)],
        })
        move.action_post()
        if entry_ids:
            # The ledger is append-only; this link is its one bookkeeping column, set here only.
            cr.execute("UPDATE vip_points_entry SET vip_liability_move_id = %s WHERE id = ANY(%s)",
                       [move.id, entry_ids])
            self.env["vip.points.entry"].invalidate_model(["vip_liability_move_id"])
        _logger.info("vip: points liability %s of %s: posted %s covering %s ledger entries",
                     month, self.company_id.name, move.name, len(entry_ids))
        return move

    def _vip_line_commands(self, line, currency):
        """The two move lines of one engine line: liability and revenue, each with its points."""
        amount = line.cents / 10 ** currency.decimal_places
        labels = dict(self.env["account.move.line"]._fields["vip_liability_kind"]._description_selection(self.env))
        name = self.env._("%(kind)s: %(points)s points", kind=labels[line.kind], points=line.points)
        common = {"name": name, "vip_points": line.points, "vip_liability_kind": line.kind}
        return [
            Command.create({**common, "account_id": self.liability_account_id.id,
                            "debit": max(-amount, 0.0), "credit": max(amount, 0.0)}),
            Command.create({**common, "account_id": self.revenue_account_id.id,
                            "debit": max(amount, 0.0), "credit": max(-amount, 0.0)}),
        ]

    @api.model
    def _cron_liability_month_end(self, today=None):
        """Post last month's points liability for every company that keeps one."""
        programs = self.sudo().search([("liability_journal_id", "!=", False)])
        for done, program in enumerate(programs, start=1):
            month = liability_engine.add_months(
                liability_engine.month_start(today or program.company_id._vip_today()), -1)
            if program.liability_start_date and liability_engine.month_start(program.liability_start_date) > month:
                continue
            try:
                with self.env.cr.savepoint():
                    move = program._vip_post_liability(month)
            except (UserError, ValidationError) as error:
                _logger.warning("vip: points liability %s of %s not posted: %s", month, program.company_id.name, error)
                continue
            _logger.info("vip: points liability %s of %s: %s", month, program.company_id.name, move.name or "-")
            self.env["res.partner"]._vip_commit_batch(done=done, remaining=len(programs) - done)

    def action_vip_liability_moves(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_journal_line")
        action.update({"domain": [("vip_program_id", "=", self.id)], "context": {"create": False}})
        return action

    # -- the nightly job in shards and the RFM cadence ------------------------------------------

    @api.constrains("night_shard_size", "rfm_refresh_days")
    def _check_night_numbers(self):
        for program in self:
            if program.night_shard_size < 1 or program.rfm_refresh_days < 0:
                raise ValidationError(_("A night shard needs at least one member, and the RFM cadence "
                                        "cannot be negative."))

    def action_vip_refresh_rfm(self):
        """On demand: a full segmentation with RFM quintiles, run by the night's cron workers."""
        self.ensure_one()
        self.write({"rfm_refresh_requested": True})
        shards = self.env["vip.night.shard"].sudo()
        today = self.company_id._vip_today()
        last = shards.search([("company_id", "=", self.company_id.id), ("night", "=", today),
                              ("kind", "=", "final")], order="shard_no desc", limit=1)
        shards.create({"company_id": self.company_id.id, "night": today, "kind": "final",
                       "shard_no": (last.shard_no + 1) if last else 1})
        shards._vip_trigger_workers()
        return {
            "type": "ir.actions.client", "tag": "display_notification",
            "params": {"type": "info", "message": _("RFM scores will be refreshed by the nightly workers shortly.")},
        }

    # -- segmentation and analysis ---------------------------------------------------------------

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

    # -- the till's guards and lost cards -------------------------------------------------------

    @api.constrains("member_days", "birthday_day_percent", "enrol_min_spend")
    def _check_till_settings(self):
        for program in self:
            try:
                days = analysis_engine.parse_days(program.member_days)
            except ValueError as exc:
                raise ValidationError(self.env._("Further member days: %s", exc)) from exc
            if not 0 <= program.birthday_day_percent <= 100 or program.enrol_min_spend < 0 or not days <= set(
                    range(1, 32)):
                raise ValidationError(self.env._(
                    "The birthday extra is between 0 and 100%, and the minimum spend to enrol cannot be negative."))

    def _vip_member_days(self):
        self.ensure_one()
        return tuple(sorted(analysis_engine.parse_days(self.member_days)))

    def _vip_enrol_missing(self, partner):
        """The fields the programme requires at enrolment that ``partner`` lacks, by label."""
        self.ensure_one()
        missing = []
        if not (partner.name or "").strip():
            missing.append(self.env._("name"))
        if self.enrol_require_phone and not (partner.phone or partner.mobile):
            missing.append(self.env._("phone"))
        if self.enrol_require_birthday and not partner.vip_birthday:
            missing.append(self.env._("birthday"))
        return missing

    def _vip_may_auto_enrol(self, partner, order):
        """A buyer is enrolled by a paid order only when it reaches the minimum spend and the
        customer has the required fields (the order itself never fails for it)."""
        self.ensure_one()
        return order.amount_total >= self.enrol_min_spend and not self._vip_enrol_missing(partner)

    def _vip_guard_settings(self):
        self.ensure_one()
        return guards_engine.GuardSettings(
            group_orders=self.guard_group_orders, staff=self.guard_staff,
            staff_benefits_allowed=self.staff_benefits_allowed, best_price=self.guard_best_price,
            qualifying_order=self.guard_qualifying_order,
        )

    def _vip_order_guard(self, partner, group_order):
        """"group" or "staff" when an order of ``partner`` gets no member benefit, else False."""
        self.ensure_one()
        settings = self._vip_guard_settings()
        is_staff = bool(partner) and settings.staff and not settings.staff_benefits_allowed \
            and partner._vip_is_staff(self.company_id)
        return guards_engine.order_guard(settings, bool(group_order), is_staff) or False

    def _vip_guard_message(self, guard):
        return {
            "group": self.env._("Group or corporate order: no member discount and no points."),
            "staff": self.env._("Staff purchase: no member discount and no points."),
        }[guard]

    # -- reaching members and year-end vouchers -------------------------------------------------

    @api.constrains(
        "voucher_conversion_month", "voucher_conversion_day", "voucher_valid_until_month",
        "voucher_valid_until_day", "voucher_points_per_unit", "voucher_min_face", "voucher_max_face",
        "events_per_year",
    )
    def _check_voucher_settings(self):
        for program in self:
            if program.voucher_points_per_unit <= 0:
                raise ValidationError(self.env._("Points per currency unit must be positive."))
            if not 0 < program.voucher_min_face <= program.voucher_max_face:
                raise ValidationError(self.env._(
                    "Voucher face values need 0 < smallest <= largest (%(min)s, %(max)s).",
                    min=program.voucher_min_face, max=program.voucher_max_face,
                ))
            for month, day in ((program.voucher_conversion_month, program.voucher_conversion_day),
                               (program.voucher_valid_until_month, program.voucher_valid_until_day)):
                if not (1 <= month <= 12 and 1 <= day <= 31):
                    raise ValidationError(self.env._("A voucher date needs a month 1-12 and a day 1-31."))
            if program.events_per_year < 0:
                raise ValidationError(self.env._("The number of VIP events per year cannot be negative."))

    def _vip_voucher_settings(self):
        self.ensure_one()
        return reach_engine.VoucherSettings(
            conversion_month=self.voucher_conversion_month,
            conversion_day=self.voucher_conversion_day,
            valid_until_month=self.voucher_valid_until_month,
            valid_until_day=self.voucher_valid_until_day,
            points_per_unit=self.voucher_points_per_unit,
            min_face=self.voucher_min_face,
            max_face=self.voucher_max_face,
        )
