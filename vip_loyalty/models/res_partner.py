import logging
import time
from collections import defaultdict
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from markupsafe import Markup, escape
from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.modules import module as odoo_module
from odoo.tools import html2plaintext, is_html_empty
from psycopg2.extras import execute_values

from ..engine import benefits as benefits_engine
from ..engine import guards as guards_engine
from ..engine import levels as level_engine
from ..engine import points as points_engine
from ..engine import profile as profile_engine
from ..engine import reach as reach_engine
from ..engine import rulebook
from ..engine import segments as segment_engine
from ..engine.night import ID_MAX

_logger = logging.getLogger(__name__)

VIP_STATES = [("none", "Not a member"), ("active", "Active"), ("lapsed", "Lapsed"), ("lost", "Lost")]
SOFT_GROUPS = "vip_loyalty.group_vip_advisor"
HARD_PROFILE = [
    "name", "vip_gender", "vip_ethnicity", "vip_birthday", "vip_age_group", "email",
    "street", "phone", "vip_clothing_size", "vip_shoe_size", "vip_body_shape",
]
SOFT_PROFILE = [
    "vip_work", "vip_family", "vip_personality", "vip_consumption_habits",
    "vip_dress_preferences", "vip_hobbies", "vip_lifestyle", "vip_service_style",
    "vip_accepts_promotions", "vip_values",
]
# Written only by the ledger and the level engine.
SYSTEM_FIELDS = {"vip_points_balance"}
# Written only by the programme's own code, as superuser: the level-change wizard (VIP
# Manager, with a reason), enrolment, the paid-order step, the nightly job, import and merge.
LEVEL_FIELDS = {"vip_level_id", "vip_level_since", "vip_level_valid_until", "vip_state"}
ABC_CLASSES = [("A", "A"), ("B", "B"), ("C", "C")]
LIFECYCLE = [("new", "New"), ("active", "Active"), ("silent", "Silent"), ("sleeping", "Sleeping"), ("lost", "Lost")]
PAID_STATES = ("paid", "done", "invoiced")
CHANNELS = [("sms", "SMS"), ("email", "Email")]


class ResPartner(models.Model):
    """A customer as a VIP member: membership, profile, complaints and segmentation; the
    terminal's member data; the nightly level review and segmentation; lost and replaced
    cards; reaching the member by their channel; the till's guards on the member side."""

    _inherit = "res.partner"

    # -- membership -------------------------------------------------------------
    vip_card_number = fields.Char(string="VIP Card", copy=False, index="btree_not_null", tracking=True)
    vip_state = fields.Selection(VIP_STATES, string="VIP Status", default="none", required=True,
                                 copy=False, index=True, tracking=True, readonly=True)
    vip_level_id = fields.Many2one("vip.level", string="VIP Level", copy=False, index="btree_not_null",
                                   tracking=True, ondelete="restrict", readonly=True)
    vip_level_code = fields.Char(related="vip_level_id.code", string="Level Code")
    vip_level_color = fields.Integer(related="vip_level_id.color", string="Level Colour")
    # the level as a tag, so every view shows it as a badge in the level's colour
    vip_level_badge_ids = fields.Many2many("vip.level", string="Level", compute="_compute_vip_level_badge_ids")
    vip_level_since = fields.Date(string="Level Since", copy=False, readonly=True)
    vip_level_valid_until = fields.Date(string="Level Valid Until", copy=False, readonly=True)
    vip_enrol_date = fields.Date(string="Enrolled On", copy=False)
    vip_enrol_shop_id = fields.Many2one("pos.config", string="Enrolled At", copy=False)
    vip_advisor_id = fields.Many2one("res.users", string="Advisor", copy=False, index="btree_not_null",
                                     tracking=True)
    vip_points_balance = fields.Integer(string="Points", copy=False, readonly=True, default=0,
                                        help="Sum of the member's ledger, kept by the system.")
    vip_lifetime_spend = fields.Monetary(string="Lifetime Spend", copy=False, readonly=True,
                                         currency_field="vip_currency_id")
    vip_currency_id = fields.Many2one("res.currency", compute="_compute_vip_currency_id")
    vip_last_purchase_date = fields.Date(string="Last Purchase", copy=False, readonly=True)
    vip_purchase_count = fields.Integer(string="Purchases", copy=False, readonly=True)
    vip_level_history_ids = fields.One2many("vip.level.history", "partner_id", string="Level History")
    vip_points_entry_ids = fields.One2many("vip.points.entry", "partner_id", string="Points Ledger")
    vip_open_lot_ids = fields.One2many("vip.points.entry", "partner_id", string="Open Lots",
                                       domain=[("remaining", ">", 0)])
    vip_next_expiry_date = fields.Date(string="Next Expiry", compute="_compute_vip_next_expiry")
    vip_next_expiry_points = fields.Integer(string="Points Expiring", compute="_compute_vip_next_expiry")

    # -- hard profile (20%) -----------------------------------------------------
    vip_gender = fields.Selection([("female", "Female"), ("male", "Male"), ("other", "Other")], string="Gender")
    vip_ethnicity = fields.Char(string="Ethnicity")
    vip_birthday = fields.Date(string="Birthday")
    vip_age_group = fields.Selection(
        [("u25", "Under 25"), ("25_34", "25-34"), ("35_44", "35-44"), ("45_54", "45-54"), ("55p", "55 and over")],
        string="Age Group", compute="_compute_vip_age_group", store=True, readonly=False,
    )
    vip_clothing_size = fields.Char(string="Clothing Size")
    vip_shoe_size = fields.Char(string="Shoe Size")
    vip_body_shape = fields.Char(string="Body Shape")
    # -- soft profile (80%), store staff only -------------------------------------
    vip_work = fields.Char(string="Work", groups=SOFT_GROUPS)
    vip_family = fields.Char(string="Family", groups=SOFT_GROUPS)
    vip_personality = fields.Char(string="Personality", groups=SOFT_GROUPS)
    vip_consumption_habits = fields.Text(string="Consumption Habits", groups=SOFT_GROUPS)
    vip_dress_preferences = fields.Text(string="Dress Preferences", groups=SOFT_GROUPS)
    vip_hobbies = fields.Char(string="Hobbies", groups=SOFT_GROUPS)
    vip_lifestyle = fields.Char(string="Lifestyle", groups=SOFT_GROUPS)
    vip_service_style = fields.Char(string="Preferred Service Style", groups=SOFT_GROUPS)
    vip_accepts_promotions = fields.Selection([("yes", "Yes"), ("no", "No")], string="Accepts Promotions",
                                              groups=SOFT_GROUPS)
    vip_values = fields.Char(string="Values", groups=SOFT_GROUPS)
    vip_profile_completeness = fields.Float(
        string="Profile Completeness (%)", compute="_compute_vip_profile_completeness", store=True, aggregator="avg"
    )
    # -- complaints ------------------------------------------------------------------
    vip_complaint_ids = fields.One2many("vip.complaint", "partner_id", string="Complaints")
    vip_complaint_open_count = fields.Integer(string="Open Complaints", compute="_compute_vip_complaint_open_count")

    # -- segmentation, refreshed by the nightly job ---------------------------------------
    vip_abc_class = fields.Selection(ABC_CLASSES, string="ABC Class", copy=False, index="btree_not_null",
                                     tracking=True)
    vip_abc_manual = fields.Boolean(string="ABC set by a manager", copy=False,
                                    help="The nightly segmentation keeps the class a manager chose.")
    vip_rfm_score = fields.Char(string="RFM", copy=False, readonly=True,
                                help="Recency, frequency and monetary scores, 1 (low) to 5 (high) each.")
    vip_rfm_recency = fields.Integer(string="R", copy=False, readonly=True, aggregator="avg")
    vip_rfm_frequency = fields.Integer(string="F", copy=False, readonly=True, aggregator="avg")
    vip_rfm_monetary = fields.Integer(string="M", copy=False, readonly=True, aggregator="avg")
    vip_purchase_types = fields.Many2many(
        "vip.purchase.type", "res_partner_vip_purchase_type_rel", "partner_id", "type_id",
        string="Purchase Types", copy=False, readonly=True,
    )
    vip_style_category_id = fields.Many2one("product.category", string="Favourite Category", copy=False, readonly=True)
    vip_lifecycle_stage = fields.Selection(LIFECYCLE, string="Lifecycle", copy=False, index="btree_not_null")
    vip_segmented_on = fields.Date(string="Segmented On", copy=False, readonly=True)
    vip_segment_due = fields.Date(
        string="Segments Due", copy=False, readonly=True,
        help="The next night on which the class or the stage may change with no new sale or points "
             "movement; the nightly job recomputes the member then, or at their next change.")
    # -- reaching the member ----------------------------------------------------------------
    vip_channel = fields.Selection(
        CHANNELS, string="Preferred Channel",
        help="How the member wants to be told (greetings, notices, vouchers). Empty: the programme's default.",
    )

    def init(self):
        # A card number is unique per company; shared partners (no company) share one space.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS res_partner_vip_card_company_uniq
                ON res_partner (vip_card_number, COALESCE(company_id, 0))
                WHERE vip_card_number IS NOT NULL
            """
        )

    # -- computes -----------------------------------------------------------------

    def _compute_vip_currency_id(self):
        for partner in self:
            partner.vip_currency_id = (partner.company_id or self.env.company).currency_id

    @api.depends("vip_birthday")
    def _compute_vip_age_group(self):
        for partner in self:
            if not partner.vip_birthday:
                continue
            today = (partner.company_id or self.env.company)._vip_today()
            age = today.year - partner.vip_birthday.year - (
                (today.month, today.day) < (partner.vip_birthday.month, partner.vip_birthday.day)
            )
            partner.vip_age_group = (
                "u25" if age < 25 else "25_34" if age < 35 else "35_44" if age < 45 else "45_54" if age < 55 else "55p"
            )

    @api.depends(*HARD_PROFILE, *SOFT_PROFILE)
    def _compute_vip_profile_completeness(self):
        # Search, not _get_for_company: this runs at install, before the programme data exists.
        program = self.env["vip.program"].sudo().search([("company_id", "=", self.env.company.id)], limit=1)
        if not program:
            self.vip_profile_completeness = 0.0
            return
        for partner in self:
            partner.vip_profile_completeness = profile_engine.completeness(
                [partner[f] for f in HARD_PROFILE],
                [partner[f] for f in SOFT_PROFILE],
                program.profile_hard_weight,
                program.profile_soft_weight,
            )

    @api.model
    def _vip_recompute_completeness(self):
        """Called once the programme's weights exist, and when they change."""
        partners = self.with_context(active_test=False).search([])
        self.env.add_to_compute(self._fields["vip_profile_completeness"], partners)
        partners._recompute_recordset(["vip_profile_completeness"])

    # -- constraints ----------------------------------------------------------------

    def _vip_check_card_free(self, card, company):
        """Refuse a card number another partner of the company holds, before the database does,
        and a replaced one."""
        duplicate = self.sudo().with_context(active_test=False).search([
            ("id", "not in", self.ids),
            ("vip_card_number", "=", card),
            ("company_id", "=", company.id),
        ], limit=1)
        if duplicate:
            raise ValidationError(_(
                "The card number %(card)s already belongs to %(other)s.", card=card, other=duplicate.display_name,
            ))
        # A replaced number is never given again: scanned at the till it finds its member.
        if self and all(p.vip_card_number == card for p in self):
            return
        # Partners without a company share the current company's numbers.
        replaced = self._vip_replaced_card(card, company or self.env.company)
        if replaced:
            raise ValidationError(_(
                "The card number %(card)s was replaced on %(date)s and belongs to %(name)s; it cannot be given again.",
                card=card, date=replaced.date, name=replaced.partner_id.display_name,
            ))

    @api.constrains("vip_card_number", "vip_state", "company_id")
    def _check_vip_card_number(self):
        for partner in self:
            if partner.vip_state == "none" and not partner.vip_card_number:
                continue
            card = partner.vip_card_number
            if not card or not card.strip():
                raise ValidationError(_("A VIP member needs a card number (%s).", partner.display_name))
            if not profile_engine.is_valid_card(card):
                raise ValidationError(_(
                    "The card number %(card)s is not valid: use 3 to 32 letters, digits or dashes.", card=card,
                ))
            partner._vip_check_card_free(card, partner.company_id)

    @api.constrains("phone", "vip_state")
    def _check_vip_phone(self):
        for partner in self:
            if partner.vip_state != "none" and partner.phone and not profile_engine.is_valid_phone(partner.phone):
                raise ValidationError(_(
                    "The phone number %(phone)s of %(name)s is not valid: 6 to 15 digits, with an optional +.",
                    phone=partner.phone, name=partner.display_name,
                ))

    # -- create / write ------------------------------------------------------------

    def _vip_check_level_write(self, vals, creating=False):
        """Level and status change through the programme only, whatever the context says."""
        if self.env.su:
            return
        if creating:
            changed = any(vals.get(fname) not in (None, False, "none") for fname in LEVEL_FIELDS)
        else:
            changed = bool(LEVEL_FIELDS & set(vals))
        if changed:
            raise AccessError(_(
                "A member's level and VIP status change only through Change Level (VIP Managers, with a "
                "reason) or the programme's own rules."
            ))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("vip_points_balance"):
                raise UserError(_("Points are added through the ledger, not on the customer."))
            self._vip_check_level_write(vals, creating=True)
            if vals.get("vip_card_number"):
                vals["vip_card_number"] = profile_engine.normalize_card(vals["vip_card_number"])
                company = self.env["res.company"].browse(vals.get("company_id"))
                self.browse()._vip_check_card_free(vals["vip_card_number"], company)
            elif vals.get("vip_state", "none") != "none" and "vip_card_number" not in vals:
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                vals["vip_card_number"] = self.with_company(company)._vip_next_card_number()
        partners = super().create(vals_list)
        if self.env.context.get("vip_enrol_new"):
            # Members › New: the new customer is a member with a card at once
            partners.filtered(lambda p: not p.parent_id).action_vip_enrol()
        return partners

    def write(self, vals):
        if "vip_abc_class" in vals and not self.env.su and not self.env.context.get("vip_segmentation"):
            if not self.env.user.has_group("vip_loyalty.group_vip_manager"):
                raise AccessError(_("Only VIP Managers can set a member's ABC class."))
            vals = dict(vals, vip_abc_manual=bool(vals["vip_abc_class"]))
        if SYSTEM_FIELDS & set(vals):
            raise UserError(_("The points balance is kept by the ledger and cannot be edited."))
        self._vip_check_level_write(vals)
        if vals.get("vip_card_number"):
            vals["vip_card_number"] = profile_engine.normalize_card(vals["vip_card_number"])
            if len(self) > 1:
                raise ValidationError(_("One card number cannot be given to several customers."))
            company = self.env["res.company"].browse(vals["company_id"]) if "company_id" in vals else self.company_id
            self._vip_check_card_free(vals["vip_card_number"], company)
        return super().write(vals)

    # -- enrolment ---------------------------------------------------------------------

    def _vip_next_card_number(self):
        company = self.company_id or self.env.company
        card = self.env["ir.sequence"].sudo().with_company(company).next_by_code("vip.card.number")
        if not card:
            raise UserError(_("The VIP card sequence is missing."))
        return card

    @api.model
    def _vip_next_card_numbers(self, count):
        """``count`` card numbers of the current company, in one query when the sequence allows."""
        company = self.env.company
        sequence = self.env["ir.sequence"].sudo().search(
            [("code", "=", "vip.card.number"), ("company_id", "in", [company.id, False])], order="company_id", limit=1,
        )
        if count <= 0:
            return []
        if not sequence or sequence.implementation != "standard" or sequence.use_date_range:
            return [self._vip_next_card_number() for _i in range(count)]
        self.env.cr.execute(
            "SELECT nextval(%s) FROM generate_series(1, %s)", [f"ir_sequence_{sequence.id:03d}", count]
        )
        return [sequence.get_next_char(number) for (number,) in self.env.cr.fetchall()]

    def _vip_enrol(self, shop=None, enrol_date=None, advisor=None):
        """Make these partners members at the lowest level of their company (``rulebook.enrolment``)."""
        to_enrol = self.filtered(lambda p: p.vip_state == "none")
        if not to_enrol:
            return to_enrol
        for partner in to_enrol:
            company = partner.company_id or self.env.company
            on_date = enrol_date or company._vip_today(shop)
            advisor_id, decision = rulebook.enrolment(
                on_date, rulebook.enrol_level(self.env["vip.level"]._specs_for_company(company)),
                bool(partner.vip_level_id),
                partner.vip_advisor_id.id, advisor.id if advisor else None, self.env.user.id,
                company._vip_rule_texts(),
            )
            # Cashiers enrol without the right to edit contacts: this write is controlled here.
            partner.sudo().write({
                "vip_state": "active",
                "vip_enrol_date": on_date,
                "vip_enrol_shop_id": shop.id if shop else False,
                "vip_advisor_id": advisor_id,
                "vip_card_number": partner.vip_card_number or partner._vip_next_card_number(),
            })
            if decision:
                partner._vip_apply_decision(decision, on_date=on_date)
        return to_enrol

    def action_vip_enrol(self):
        """Back-office enrolment: VIP users, for contacts they may read."""
        if not self.env.su and not self.env.user.has_group("vip_loyalty.group_vip_user"):
            raise AccessError(_("Only VIP users can enrol members."))
        self.check_access("read")
        for partner in self.filtered(lambda p: p.vip_state == "none"):
            company = partner.company_id or self.env.company
            missing = self.env["vip.program"]._get_for_company(company)._vip_enrol_missing(partner)
            if missing:
                raise UserError(_("%(name)s cannot be enrolled yet: the programme requires %(fields)s.",
                                  name=partner.display_name, fields=", ".join(missing)))
        self._vip_enrol()
        return True

    # -- points (public contract) --------------------------------------------------------

    def vip_redeem_points(self, points, description, pos_order=None):
        """Burn ``points`` first-expiring-first; returns the ``redeem`` entry."""
        self.ensure_one()
        # The paid-order step calls this as superuser; anyone else redeems as a VIP user.
        if not self.env.su:
            if not self.env.user.has_group("vip_loyalty.group_vip_user"):
                raise AccessError(_("Only VIP users can redeem points."))
            self.check_access("read")
        if not isinstance(points, int) or points <= 0:
            raise UserError(_("Points to redeem must be a positive whole number."))
        if not (description or "").strip():
            raise UserError(_("Say what the points are redeemed for."))
        company = (pos_order.company_id if pos_order else None) or self.company_id or self.env.company
        rule = self.env["vip.points.rule"]._for_company(company)
        # The day of the sale decides, also for an order caught up later or replayed.
        on_date = pos_order._vip_order_date() if pos_order else company._vip_today()
        rule._vip_check_redemption_month(on_date)
        entry_model = self.env["vip.points.entry"]
        entry_model._vip_lock_partners([self.id])
        self.invalidate_recordset(["vip_points_balance"])
        if points > self.vip_points_balance:
            raise UserError(_(
                "%(name)s has %(balance)s points; %(points)s cannot be redeemed.",
                name=self.display_name, balance=self.vip_points_balance, points=points,
            ))
        return entry_model._vip_post([{
            "partner_id": self.id,
            "company_id": company.id,
            "date": on_date,
            "points": -points,
            "entry_type": "redeem",
            "pos_order_id": pos_order.id if pos_order else False,
            "rule_description": description.strip(),
        }])

    def vip_adjust_points(self, points, reason):
        """Manual correction by a VIP Manager; positive or negative, always with a reason."""
        self.ensure_one()
        if not self.env.user.has_group("vip_loyalty.group_vip_manager"):
            raise AccessError(_("Only VIP Managers can adjust points."))
        if not (reason or "").strip():
            raise UserError(_("A points adjustment needs a reason."))
        if not isinstance(points, int) or points == 0:
            raise UserError(_("An adjustment must move a whole, non-zero number of points."))
        company = self.company_id or self.env.company
        rule = self.env["vip.points.rule"]._for_company(company)
        today = company._vip_today()
        vals = {
            "partner_id": self.id,
            "company_id": company.id,
            "date": today,
            "points": points,
            "entry_type": "adjust",
            "rule_description": reason.strip(),
        }
        if points > 0 and rule:
            vals["expiry_date"] = rule._expiry_date(today)
        return self.env["vip.points.entry"]._vip_post([vals])

    # -- purchases and levels ---------------------------------------------------------------

    @api.model
    def _vip_purchases(self, partner_ids, company, stamps=False):
        """Paid POS orders per partner as engine Purchases, dated by ``pos.order._vip_order_dates``;
        O(their own orders). With ``stamps``, (paid at, purchase) pairs."""
        if not partner_ids:
            return {}
        self.env["pos.order"].flush_model(["partner_id", "state", "amount_total", "date_order", "company_id"])
        self.env.cr.execute(
            """
            SELECT partner_id, id, date_order, amount_total
              FROM pos_order o
             WHERE partner_id IN %(partners)s AND company_id = %(company)s AND state IN ('paid', 'done', 'invoiced')
               AND (%(until)s::timestamp IS NULL OR date_order <= %(until)s::timestamp)
             ORDER BY date_order, id
            """,
            # A history rebuild sees the orders as they stood when the replayed order was paid.
            {"partners": tuple(partner_ids), "company": company.id, "until": self.env.context.get("vip_replay_until")},
        )
        rows = self.env.cr.fetchall()
        days = self.env["pos.order"].browse([row[1] for row in rows])._vip_order_dates()
        purchases = {pid: [] for pid in partner_ids}
        for partner_id, order_id, stamp, amount in rows:
            purchase = level_engine.Purchase(date=days[order_id], amount=amount, order_id=order_id)
            purchases[partner_id].append((stamp, purchase) if stamps else purchase)
        return purchases

    def _vip_refresh_stats(self, purchases):
        """Lifetime spend, last purchase and purchase count from the orders themselves."""
        # Plain SQL: these figures are derived from the orders, and a partner write (tracking,
        # followers, dependent computes) would double the cost of every paid order.
        stats_fields = ["vip_lifetime_spend", "vip_last_purchase_date", "vip_purchase_count"]
        self.flush_recordset(stats_fields)
        for partner in self:
            stats = rulebook.purchase_figures(purchases.get(partner.id, []))
            self.env.cr.execute(
                "UPDATE res_partner SET vip_lifetime_spend = %s, vip_last_purchase_date = %s,"
                " vip_purchase_count = %s WHERE id = %s",
                [*stats, partner.id],
            )
            # The values just written, not a re-read: the level step reads them next.
            partner._update_cache(dict(zip(stats_fields, stats, strict=True)), validate=False)
        return True

    def _vip_member_state(self):
        self.ensure_one()
        return level_engine.MemberState(
            level_id=self.vip_level_id.id or None,
            level_since=self.vip_level_since or None,
            valid_until=self.vip_level_valid_until or None,
            state=self.vip_state,
        )

    @api.model
    def _vip_decision_vals(self, decision):
        return {
            "vip_level_id": decision.level_id or False,
            "vip_level_since": decision.level_since or False,
            "vip_level_valid_until": decision.valid_until or False,
            "vip_state": decision.state,
        }

    def _vip_history_vals(self, decision, on_date, company, order=None):
        self.ensure_one()
        return {
            "partner_id": self.id,
            "company_id": company.id,
            "from_level_id": self.vip_level_id.id,
            "to_level_id": decision.level_id or False,
            "date": on_date,
            "reason": decision.reason,
            "rule_description": decision.rule_description,
            "pos_order_id": order.id if order else False,
            "user_id": self.env.user.id,
        }

    def _vip_apply_decision(self, decision, on_date, order=None):
        self.ensure_one()
        company = self.vip_level_id.company_id or self.company_id or self.env.company
        history_vals = self._vip_history_vals(decision, on_date, company, order=order)
        self.sudo().write(self._vip_decision_vals(decision))
        self.env["vip.level.history"].sudo().create(history_vals)

    def _vip_evaluate_after_order(self, order, on_date, only_returns=False, texts=None):
        """The level check after a paid order (``rulebook.after_order``), and the member's figures."""
        self.ensure_one()
        company = order.company_id
        program = self.env["vip.program"]._get_for_company(company)
        purchases = self._vip_purchases([self.id], company)
        self._vip_refresh_stats(purchases)
        decision = rulebook.after_order(
            self.env["vip.level"]._specs_for_company(company), self._vip_member_state(), purchases[self.id],
            self.vip_points_balance, on_date, order._vip_qualifying_amount(), program._policy(), only_returns,
            program.refund_level_policy == "reevaluate", texts or company._vip_rule_texts(),
        )
        if decision:
            self._vip_apply_decision(decision, on_date, order)

    @api.depends("vip_level_id")
    def _compute_vip_level_badge_ids(self):
        for partner in self:
            partner.vip_level_badge_ids = partner.vip_level_id

    @api.depends("vip_open_lot_ids.expiry_date", "vip_open_lot_ids.remaining")
    def _compute_vip_next_expiry(self):
        for partner in self:
            lots = partner.vip_open_lot_ids.filtered("expiry_date")
            first = min(lots.mapped("expiry_date"), default=False)
            partner.vip_next_expiry_date = first
            partner.vip_next_expiry_points = sum(lots.filtered(lambda lot, d=first: lot.expiry_date == d)
                                                 .mapped("remaining"))

    def action_vip_change_level(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Change Level"),
            "res_model": "vip.level.change",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_id": self.id},
        }

    def action_vip_adjust_points(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Adjust Points"),
            "res_model": "vip.points.adjust",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_id": self.id},
        }

    def action_vip_view_ledger(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("vip_loyalty.vip_points_entry_action")
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action

    # -- nightly -------------------------------------------------------------------------

    @api.model
    def _vip_commit_batch(self, done, remaining):
        """Commit a finished batch so one bad row later never undoes it (not inside tests)."""
        if self.env.context.get("vip_night_shard"):
            return  # a night shard is one transaction: it commits, and reports progress, as a whole
        if not odoo_module.current_test:
            self.env.cr.commit()  # pylint: disable=invalid-commit
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    @api.model
    def _vip_nightly_levels(self, today, company, program, partner_ids=None, id_range=None):
        """Validity, renewal, decay and lost moves for one company (or ``partner_ids`` of it, or
        its members with ids in ``id_range``, inclusive: a night shard), in committed batches."""
        specs = self.env["vip.level"]._specs_for_company(company)
        if not specs:
            return 0
        policy = program._policy()
        never = today.replace(year=1)
        full_review = policy.evaluation_mode == "semiannual" and (today.month, today.day) in ((6, 30), (12, 31))
        self.flush_model()
        cr = self.env.cr
        # Candidates: the members for whom levels.nightly_candidate holds (the same test in SQL,
        # so a member who already lapsed, decayed or was lost is not read again every night).
        cr.execute(
            f"""
            SELECT p.id FROM res_partner p JOIN vip_level l ON l.id = p.vip_level_id
             WHERE l.company_id = %(company)s AND p.vip_state <> 'none' AND p.id BETWEEN %(lo)s AND %(hi)s
               {"AND p.id = ANY(%(partners)s)" if partner_ids is not None else ""}
               AND (%(full)s
                    OR (p.vip_state <> 'lost'
                        AND COALESCE(p.vip_last_purchase_date, p.vip_level_since) <= %(lost_cutoff)s)
                    OR (NOT COALESCE(l.is_permanent, false) AND (
                            (p.vip_level_valid_until < %(today)s
                             AND NOT (p.vip_level_id = %(lowest)s AND p.vip_state IN ('lapsed', 'lost')))
                         OR (p.vip_state <> 'lost' AND p.vip_level_id <> %(lowest)s
                             AND GREATEST(p.vip_last_purchase_date, p.vip_level_since) <= %(decay_cutoff)s))))
             ORDER BY p.id
            """,
            {
                "company": company.id, "today": today, "full": full_review,
                "lo": (id_range or (0, ID_MAX))[0], "hi": (id_range or (0, ID_MAX))[1],
                "partners": list(partner_ids or ()),
                "lowest": level_engine.sort_levels(specs)[0].id,
                "lost_cutoff": today - relativedelta(months=policy.lost_months) if policy.lost_months > 0 else never,
                "decay_cutoff": today - relativedelta(months=policy.decay_months) if policy.decay_months > 0 else never,
            },
        )
        ids = [r[0] for r in cr.fetchall()]
        batch_size = program.cron_batch_size or 1000
        changed = 0
        for start in range(0, len(ids), batch_size):
            batch = self.sudo().browse(ids[start:start + batch_size])
            changed += batch._vip_review_levels(today, company, program)
            done = min(start + batch_size, len(ids))
            _logger.info("vip: levels reviewed %s/%s members of %s (%s changed)", done, len(ids), company.name, changed)
            self._vip_commit_batch(done=done, remaining=len(ids) - done)
            batch.invalidate_recordset()
        return changed

    def _vip_review_levels(self, today, company, program, before=None):
        """Tonight's level review (``rulebook.review``) of these members, written set-based.

        The nightly cron calls it for its candidates, a member replayed through the live code
        for each night of its past; ``before`` then hides the purchases made from that day on.
        Returns the number of members moved.
        """
        specs = self.env["vip.level"]._specs_for_company(company)
        if not specs:
            return 0
        policy = program._policy()
        lowest_id = level_engine.sort_levels(specs)[0].id
        candidates = self.filtered(lambda partner: level_engine.nightly_candidate(
            partner._vip_member_state(), partner.vip_last_purchase_date or None, today, policy, lowest_id,
            partner.vip_level_id.is_permanent,
        ))
        if not candidates:
            return 0
        purchases = self._vip_purchases(candidates.ids, company)
        history_vals_list = []
        notes = {}
        note_env = None if self.env.context.get("vip_history_rebuild") else self._vip_note_env(company)
        texts = company._vip_rule_texts()
        # Members moved to the same level tonight share their new values: one write per group.
        groups = defaultdict(list)
        for partner in candidates:
            own = purchases[partner.id]
            decision = rulebook.review(
                specs, partner._vip_member_state(), partner.vip_last_purchase_date or None,
                rulebook.purchases_before(own, before) if before else own,
                partner.vip_points_balance, today, policy, lowest_id, partner.vip_level_id.is_permanent, texts,
            )
            if decision:
                history_vals_list.append(partner._vip_history_vals(decision, today, company))
                groups[tuple(self._vip_decision_vals(decision).items())].append(partner.id)
                note = note_env and partner._vip_level_note(decision, note_env)
                if note:
                    notes[partner.id] = note
        for vals, partner_ids in groups.items():
            self._vip_write_levels_sql(partner_ids, dict(vals), notify=False)
        # One dependency notification for the batch, not one per group of equal values (a
        # first night has hundreds of groups: each validity date is its own).
        if groups:
            moved = self.browse([pid for ids_ in groups.values() for pid in ids_])
            moved.modified(sorted({fname for vals in groups for fname, _value in vals}))
        self.env["vip.level.history"].sudo().create(history_vals_list)
        self._vip_post_notes(notes)
        return len(history_vals_list)

    # -- chatter for changes written by SQL -------------------------------------------------

    @api.model
    def _vip_note_env(self, company):
        """Environment in the company's language: nightly notes are read by its staff, and the
        job itself runs as a user whose language may be any."""
        return self.with_context(lang=company.partner_id.lang or self.env.lang).env

    def _vip_level_note(self, decision, env):
        """'Level: VIP → Senior (Downgrade: …)' for a move about to be written, as tracking would
        show it; None when neither the level nor the status changes (a renewal)."""
        self.ensure_one()
        changes = []
        if (decision.level_id or False) != self.vip_level_id.id:
            changes.append(env._(
                "Level: %(old)s → %(new)s",
                old=self.vip_level_id.with_env(env).name or "—",
                new=env["vip.level"].browse(decision.level_id).name or "—",
            ))
        if decision.state != self.vip_state:
            states = dict(self._fields["vip_state"]._description_selection(env))
            changes.append(env._(
                "VIP Status: %(old)s → %(new)s", old=states[self.vip_state], new=states[decision.state],
            ))
        if not changes:
            return None
        reasons = dict(env["vip.level.history"]._fields["reason"]._description_selection(env))
        return env._(
            "%(changes)s (%(reason)s: %(rule)s)",
            changes="; ".join(changes), reason=reasons[decision.reason], rule=decision.rule_description,
        )

    @api.model
    def _vip_post_notes(self, notes):
        """One chatter note per member ({partner id: text}) in one statement: the note
        ``_message_log_batch`` would log, without its 2-3 ms per message through the ORM (a first
        night may move hundreds of thousands of members)."""
        if not notes:
            return
        author = self.env.user.partner_id
        ids = list(notes)
        self.env.cr.execute(
            """
            INSERT INTO mail_message (model, res_id, body, message_type, subtype_id, author_id, email_from,
                                      is_internal, email_add_signature, date,
                                      create_uid, create_date, write_uid, write_date)
            SELECT 'res.partner', n.res_id, n.body, 'notification', %(subtype)s, %(author)s, %(email_from)s,
                   TRUE, FALSE, %(now)s, %(uid)s, %(now)s, %(uid)s, %(now)s
              FROM unnest(%(ids)s::int[], %(bodies)s::text[]) AS n(res_id, body)
            """,
            {
                "subtype": self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note"),
                "author": author.id, "email_from": author.email_formatted or None,
                "now": self.env.cr.now(), "uid": self.env.uid, "ids": ids,
                "bodies": [str(Markup("<p>%s</p>") % notes[pid]) for pid in ids],
            },
        )
        self.browse(ids).invalidate_recordset(["message_ids"])

    @api.model
    def _vip_write_levels_sql(self, partner_ids, vals, notify=True):
        """Nightly level moves by SQL: a partner ORM write costs a commercial-fields sync and
        constraint searches per member, which dominated the cron; the level history keeps the
        audit trail. Fields computed from these are still recomputed through ``modified``."""
        fnames = list(vals)
        partners = self.browse(partner_ids)
        partners.flush_recordset(fnames)
        assignments = ", ".join(f"{fname} = %({fname})s" for fname in fnames)
        self.env.cr.execute(
            f"UPDATE res_partner SET {assignments}, write_uid = %(uid)s, write_date = now() AT TIME ZONE 'UTC'"
            " WHERE id IN %(ids)s",
            {**{k: v or None for k, v in vals.items()}, "uid": self.env.uid, "ids": tuple(partner_ids)},
        )
        partners.invalidate_recordset(fnames + ["write_uid", "write_date"])
        if notify:
            partners.modified(fnames)

    @api.model
    def _vip_check_balances(self):
        """Log every member whose stored balance differs from the ledger sum."""
        self.env["vip.points.entry"].flush_model()
        self.env.cr.execute(
            """
            SELECT p.id, p.vip_points_balance, COALESCE(s.total, 0)
              FROM res_partner p
              LEFT JOIN (SELECT partner_id, SUM(points) AS total FROM vip_points_entry
                          GROUP BY partner_id) s ON s.partner_id = p.id
             WHERE COALESCE(p.vip_points_balance, 0) <> COALESCE(s.total, 0)
            """
        )
        mismatches = self.env.cr.fetchall()
        for partner_id, stored, ledger in mismatches:
            _logger.error("vip: partner %s balance %s differs from ledger sum %s", partner_id, stored, ledger)
        return mismatches

    @api.depends("vip_complaint_ids.state")
    def _compute_vip_complaint_open_count(self):
        groups = self.env["vip.complaint"]._read_group(
            [("partner_id", "in", self.ids), ("state", "in", ("new", "in_progress", "escalated"))],
            ["partner_id"], ["__count"],
        )
        counts = {partner.id: count for partner, count in groups}
        for partner in self:
            partner.vip_complaint_open_count = counts.get(partner.id, 0)

    def action_vip_view_complaints(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("vip_loyalty.vip_complaint_action")
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action

    # -- the POS terminal -------------------------------------------------------------------

    @api.model
    def _load_pos_data_fields(self, config_id):
        # Only two small columns per loaded partner: the terminal fetches a member's VIP data
        # (level, balance, lots) when the cashier selects them, never all members at start.
        return [*super()._load_pos_data_fields(config_id), "vip_card_number", "vip_state"]

    # -- helpers ----------------------------------------------------------------------------

    @api.model
    def _vip_pos_check_access(self):
        # Cashiers are POS users with no VIP group: they reach members only through these
        # methods, which check the terminal and the member before reading anything as superuser.
        user = self.env.user
        if not (user.has_group("point_of_sale.group_pos_user") or user.has_group("vip_loyalty.group_vip_user")):
            raise AccessError(_("Only POS users and VIP users can see or enrol members at the terminal."))

    @api.model
    def _vip_pos_config(self, config_id):
        """The terminal a call names, never trusted as given: it must exist, be readable by the
        user and belong to one of the user's allowed companies. No terminal: the current company."""
        self._vip_pos_check_access()
        config = self.env["pos.config"]
        if not config_id:
            return config
        config = config.browse(int(config_id)).exists()
        if not config or not config.has_access("read") or config.sudo().company_id not in self.env.companies:
            raise AccessError(_("This terminal is not one of your companies' terminals."))
        return config

    @api.model
    def _vip_pos_company(self, config_id):
        config = self._vip_pos_config(config_id)
        return config.company_id if config else self.env.company

    @api.model
    def _vip_pos_member(self, partner_id, company):
        """The partner as superuser when the user may read it and it belongs to ``company``
        (or to no company); otherwise an empty recordset, so nothing of theirs is returned."""
        partner = self.browse(int(partner_id)).exists() if partner_id else self.browse()
        if not partner or not partner.has_access("read"):
            return self.browse()
        partner = partner.sudo()
        if partner.company_id and partner.company_id != company:
            return self.browse()
        return partner

    def _vip_expiring_lots(self, company, today, days):
        """Open lots of this member expiring within ``days`` days: [(date, points)], soonest first."""
        self.ensure_one()
        if days <= 0:
            return []
        groups = self.env["vip.points.entry"].sudo()._read_group(
            [
                ("partner_id", "=", self.id), ("company_id", "=", company.id), ("remaining", ">", 0),
                ("expiry_date", ">=", today), ("expiry_date", "<=", today + timedelta(days=days)),
            ],
            ["expiry_date:day"], ["remaining:sum"], order="expiry_date:day",
        )
        return list(groups)

    def _vip_benefit_config(self, company, program, level=None):
        """The member's benefits; with ``level``, those of the level this order lifts them to."""
        self.ensure_one()
        level = (level or self.vip_level_id).sudo()
        lowest = self.env["vip.level"].sudo().search([("company_id", "=", company.id)], limit=1)
        active = self.vip_state == "active" and bool(level)
        return benefits_engine.BenefitConfig(
            level_name=level.name or "",
            level_percent=level.discount_percent if active else 0.0,
            is_base_level=not active or level == lowest,
            birthday_percent=level.birthday_discount_percent if active else 0.0,
            member_day_percent=level.member_day_discount_percent if active else 0.0,
            member_day=program.member_day,
            stack_floor_percent=program.stack_floor_percent,
            birthday=self.vip_birthday or None,
            member_days=program._vip_member_days(),
            birthday_scope=program.birthday_scope,
            birthday_day_percent=program.birthday_day_percent if active else 0.0,
        )

    # -- RPC used by the terminal -----------------------------------------------------------

    @api.model
    def vip_pos_search(self, query, config_id=None):
        """Members whose card number is ``query`` or whose phone matches: ids, at most 20."""
        company = self._vip_pos_company(config_id)
        query = (query or "").strip()
        if not query:
            return []
        company_domain = [("company_id", "in", [False, company.id])]
        card = profile_engine.normalize_card(query)
        partners = self.search([("vip_card_number", "=", card), *company_domain], limit=1)
        if not partners:
            # A lost or replaced card still finds its member (never a new customer).
            replaced = self._vip_replaced_card(card, company)
            partners = self.search([("id", "=", replaced.partner_id.id), *company_domain]) if replaced else partners
        if not partners:
            partners = self._vip_find_by_phone(query, company_domain, limit=20)
        return partners.ids

    @api.model
    def _vip_find_by_phone(self, phone, extra_domain, limit):
        """Partners whose phone is the same number, with or without country code and separators."""
        digits = profile_engine.phone_digits(phone)
        if len(digits) < 6:
            return self.browse()
        self.flush_model(["phone", "mobile"])
        self.env.cr.execute(
            """
            SELECT id FROM res_partner
             WHERE REGEXP_REPLACE(COALESCE(phone, ''), '[^0-9]', '', 'g') LIKE %(tail)s
                OR REGEXP_REPLACE(COALESCE(mobile, ''), '[^0-9]', '', 'g') LIKE %(tail)s
             LIMIT 200
            """,
            {"tail": "%" + digits[-8:]},
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        candidates = self.with_context(active_test=False).search([("id", "in", ids), *extra_domain])
        return candidates.filtered(lambda p: any(
            a.endswith(b) for a, b in [(profile_engine.phone_digits(p.phone), digits),
                                       (digits, profile_engine.phone_digits(p.phone))]
            if b and len(b) >= 6
        ))[:limit]

    @api.model
    def vip_pos_member_summary(self, partner_id, config_id=None):
        """The selected member's VIP data for the terminal's member panel (one member, O(1))."""
        company = self._vip_pos_company(config_id)
        partner = self._vip_pos_member(partner_id, company)
        if not partner:
            return {}
        program = self.env["vip.program"]._get_for_company(company)
        rule = self.env["vip.points.rule"]._for_company(company)
        today = company._vip_today(self._vip_pos_config(config_id))
        lots = partner._vip_expiring_lots(company, today, program.pos_expiry_warning_days)
        balance = partner.vip_points_balance
        cfg = partner._vip_benefit_config(company, program)
        complaints = partner.vip_complaint_open_count
        ladder = {}
        if rule:
            ladder = {
                "gift_cap": rule._vip_gift_cap(balance),
                "first_points": rule.ladder_first_points,
                "cash_value": points_engine.cash_value(balance, rule.cash_points_block, rule.cash_block_value)
                if rule.cash_points_block > 0 else 0.0,
            }
        return {
            "id": partner.id,
            "name": partner.name,
            "card": partner.vip_card_number or "",
            "state": partner.vip_state,
            "is_member": partner.vip_state not in ("none", False),
            "level_name": partner.vip_level_id.name or "",
            "level_code": partner.vip_level_id.code or "",
            "level_color": partner.vip_level_id.color or 0,
            "balance": balance,
            "expiring": [{"date": fields.Date.to_string(day), "points": pts} for day, pts in lots],
            "expiring_points": sum(pts for _day, pts in lots),
            "expiry_days": program.pos_expiry_warning_days,
            "birthday": fields.Date.to_string(partner.vip_birthday) if partner.vip_birthday else "",
            "birthday_month": bool(partner.vip_birthday and partner.vip_birthday.month == today.month),
            "advisor": partner.vip_advisor_id.name or "",
            "complaints": complaints,
            "member_day": benefits_engine.is_member_day(cfg, today),
            "level_percent": cfg.level_percent,
            "is_base_level": cfg.is_base_level,
            "ladder": ladder,
            # Planned gifts the cashier can hand over now (birthday, holiday, welcome...).
            "gifts": self.env["vip.gift.issue"].sudo()._vip_open_gifts_data(partner, company),
        }

    @api.model
    def vip_pos_benefits(self, partner_id, lines, config_id=None):
        """Named discounts for order lines ``[{product_id, price_unit, qty, discount}]``, in order;
        ``discount`` is what the cashier typed on the line (see ``_vip_pos_line_benefit``)."""
        return self.vip_pos_order_benefits(partner_id, lines, config_id=config_id)["lines"]

    @api.model
    def vip_pos_order_benefits(self, partner_id, lines, config_id=None, group_order=False):
        """The order's member benefits: the named discount of each line (``lines``), the guard
        that takes them away (group order, staff), and the level the order lifts the member to."""
        config = self._vip_pos_config(config_id)
        company = config.company_id if config else self.env.company
        partner = self._vip_pos_member(partner_id, company)
        none = benefits_engine.LineBenefit(0.0, "none", "")
        result = {"lines": [{"discount": 0.0, "kind": "none", "label": ""} for _line in lines or []],
                  "guard": False, "guard_message": "", "new_level": False}
        if not partner or not lines:
            return result
        program = self.env["vip.program"]._get_for_company(company)
        guard = program._vip_order_guard(partner, group_order)
        if guard:
            result.update(guard=guard, guard_message=program._vip_guard_message(guard))
            result["lines"] = [self._vip_pos_line_benefit(none, line.get("discount")) for line in lines]
            return result
        products = self.env["product.product"].browse({int(line["product_id"]) for line in lines}).exists()
        by_id = {p.id: p for p in products}
        engine_lines = []
        for line in lines:
            product = by_id.get(int(line["product_id"]))
            if not product:
                raise UserError(_("Unknown product on the order."))
            engine_lines.append(benefits_engine.BenefitLine(
                unit_price=float(line.get("price_unit") or 0.0),
                list_price=product.lst_price,
                quantity=float(line.get("qty") or 0.0),
                special_price=product.vip_special_price,
            ))
        today = company._vip_today(config or None)
        new_level = partner._vip_qualifying_level(company, program, engine_lines, lines, today)
        # The level this order reaches gives its discount on the same order when the level says so.
        with_new = bool(new_level) and new_level.qualifying_order_discount
        cfg = partner._vip_benefit_config(company, program, level=new_level if with_new else None)
        if new_level:
            result["new_level"] = {"id": new_level.id, "name": new_level.name, "discount_applied": with_new}
        benefits = benefits_engine.apply_benefits(cfg, engine_lines, today)
        if with_new:
            benefits = [benefits_engine.LineBenefit(b.discount_percent, "qualifying", _(
                "New level %(level)s: %(benefit)s", level=new_level.name, benefit=b.label,
            )) if b.kind != "none" else b for b in benefits]
        if program.guard_best_price and config:
            benefits = partner._vip_best_prices(config, benefits, engine_lines, lines, [
                by_id[int(line["product_id"])] for line in lines], today)
        result["lines"] = [
            self._vip_pos_line_benefit(b, line.get("discount")) for b, line in zip(benefits, lines, strict=True)
        ]
        return result

    @api.model
    def _vip_pos_line_benefit(self, member, typed):
        """The member benefit against the discount the cashier typed on the line: the higher applies."""
        try:
            typed = float(typed or 0.0)
            applied = benefits_engine.with_cashier_discount(member, typed)
        except (TypeError, ValueError) as exc:
            raise UserError(_("A line discount is between 0 and 100%.")) from exc
        label = applied.label
        # Formatted outside _(): the translation extractor cannot read f-strings in its arguments.
        shown, shown_member = f"{typed:g}", f"{member.discount_percent:g}"
        if applied.kind == "cashier":
            label = _("Cashier discount %(typed)s%%", typed=shown)
            if member.kind != "none":
                label = _(
                    "Cashier discount %(typed)s%% (member %(member)s%% not applied)",
                    typed=shown, member=shown_member,
                )
        elif typed > 0 and applied.kind != "none":
            label = _("%(label)s (cashier %(typed)s%% not applied)", label=applied.label, typed=shown)
        return {"discount": applied.discount_percent, "kind": applied.kind, "label": label}

    @api.model
    def vip_pos_enrol(self, name, phone, config_id=None, card=None, birthday=None):
        """Quick enrolment at the till: name and phone; the server assigns the card unless one is scanned."""
        config = self._vip_pos_config(config_id)
        company = config.company_id if config else self.env.company
        name = (name or "").strip()
        phone = (phone or "").strip()
        if not name:
            raise ValidationError(_("Give the new member's name."))
        if not profile_engine.is_valid_phone(phone):
            raise ValidationError(_(
                "The phone number %(phone)s is not valid: 6 to 15 digits, with an optional +.", phone=phone,
            ))
        duplicate = self.sudo()._vip_find_by_phone(phone, [("company_id", "in", [False, company.id])], limit=1)
        if duplicate:
            raise ValidationError(_(
                "The phone number %(phone)s already belongs to %(name)s%(card)s.",
                phone=phone, name=duplicate.display_name,
                card=_(" (card %s)", duplicate.vip_card_number) if duplicate.vip_card_number else "",
            ))
        vals = {"name": name, "phone": phone}
        if birthday:
            try:
                vals["vip_birthday"] = fields.Date.to_date(birthday)
            except ValueError as exc:
                raise ValidationError(_("The birthday %s is not a date.", birthday)) from exc
        program = self.env["vip.program"]._get_for_company(company)
        if program.enrol_require_birthday and not birthday:
            raise ValidationError(_("Give the new member's birthday: the programme requires it to enrol."))
        if (card or "").strip():
            card = profile_engine.normalize_card(card)
            if not profile_engine.is_valid_card(card):
                raise ValidationError(_(
                    "The card number %(card)s is not valid: use 3 to 32 letters, digits or dashes.", card=card,
                ))
            self.browse()._vip_check_card_free(card, self.env["res.company"])
            vals["vip_card_number"] = card
        # A cashier may not create contacts in the back office: this creation is controlled here.
        partner = self.sudo().create(vals)
        partner._vip_enrol(shop=config or None, advisor=self.env.user)
        return partner.id

    @api.model
    def vip_pos_gift_quote(self, partner_id, product_id, config_id=None):
        """Points a gift item costs on the ladder, and whether the member can have it now."""
        company = self._vip_pos_company(config_id)
        partner = self._vip_pos_member(partner_id, company)
        product = self.env["product.product"].browse(product_id).exists()
        if not partner or partner.vip_state in (False, "none") or not product:
            return {"ok": False, "message": _("Only a member can redeem points.")}
        if product.vip_special_price:
            return {"ok": False, "message": _("%s is a special-price item and cannot be a points gift.",
                                               product.display_name)}
        rule = self.env["vip.points.rule"]._for_company(company)
        if not rule:
            return {"ok": False, "message": _("No points rule is configured.")}
        try:
            needed = rule._vip_gift_points(product.lst_price)
        except ValueError as error:
            return {"ok": False, "message": str(error)}
        if needed > partner.vip_points_balance:
            return {"ok": False, "points": needed, "message": _(
                "%(name)s has %(balance)s points; %(product)s (list price %(price).2f) needs %(needed)s.",
                name=partner.name, balance=partner.vip_points_balance, product=product.display_name,
                price=product.lst_price, needed=needed,
            )}
        return {
            "ok": True,
            "points": needed,
            "label": _("Points gift: %s pts", needed),
            "message": _("%(product)s for %(needed)s points.", product=product.display_name, needed=needed),
        }

    @api.model
    def vip_pos_cash_quote(self, partner_id, amount_due, config_id=None):
        """Points that can pay the order at cash value: whole blocks, within the balance and
        never more than the amount due. The server checks again when the order is synced."""
        company = self._vip_pos_company(config_id)
        partner = self._vip_pos_member(partner_id, company)
        if not partner or partner.vip_state in (False, "none"):
            return {"ok": False, "message": _("Only a member can redeem points.")}
        rule = self.env["vip.points.rule"]._for_company(company)
        if not rule or not rule.cash_product_id or rule.cash_points_block <= 0 or rule.cash_block_value <= 0:
            return {"ok": False, "message": _("Paying with points is not configured on the points rule.")}
        blocks = min(
            partner.vip_points_balance // rule.cash_points_block,
            int((amount_due or 0.0) // rule.cash_block_value),
        )
        if blocks <= 0:
            return {"ok": False, "message": _(
                "%(name)s has %(balance)s points; paying needs blocks of %(block)s points.",
                name=partner.name, balance=partner.vip_points_balance, block=rule.cash_points_block,
            )}
        points = blocks * rule.cash_points_block
        value = points_engine.cash_value(points, rule.cash_points_block, rule.cash_block_value)
        return {
            "ok": True,
            "points": points,
            "value": value,
            "product_id": rule.cash_product_id.id,
            "label": _("Points payment: %s pts", points),
            "message": _("%(points)s points pay %(value).2f.", points=points, value=value),
        }

    # -- nightly segmentation -------------------------------------------------------------

    def action_vip_abc_automatic(self):
        """Hand the class back to the nightly segmentation."""
        self.write({"vip_abc_manual": False})
        self._vip_segment_partners()
        return True

    # -- nightly segmentation -----------------------------------------------------------

    def _vip_segment_partners(self, today=None):
        """Segment just these members (a button, or tests); same code path as the cron."""
        companies = {}
        for partner in self:
            company = partner.vip_level_id.company_id or partner.company_id or self.env.company
            companies.setdefault(company, []).append(partner.id)
        for company, ids in companies.items():
            self.sudo()._vip_segment_company(today or company._vip_today(), company, only_ids=ids)

    @api.model
    def _vip_cron_segmentation(self, today=None):
        """Nightly: ABC (keeping manual overrides), RFM, purchase types and lifecycle, per company."""
        total = 0
        for company in self.env["res.company"].sudo().search([]):
            total += self.sudo().with_company(company)._vip_segment_company(today or company._vip_today(), company)
        return total

    def _vip_segment_stats_sql(self):
        """Statements filling ``vip_seg_stats``: staged temporary tables, each analysed, so the
        planner picks hash joins over millions of lines instead of per-member index probes."""
        order_tz = self.env["res.company"]._vip_sql_order_tz("o")
        return [
            "DROP TABLE IF EXISTS vip_seg_members, vip_seg_orders, vip_seg_lines, vip_seg_stats",
            "SET LOCAL work_mem = '128MB'",
            """
            CREATE TEMP TABLE vip_seg_members AS
            SELECT p.id, p.vip_points_balance AS points, p.vip_enrol_date, p.vip_abc_class, p.vip_abc_manual,
                   p.vip_rfm_score, p.vip_lifecycle_stage, p.vip_style_category_id, p.vip_segment_due
              FROM res_partner p LEFT JOIN vip_level lv ON lv.id = p.vip_level_id
             WHERE p.vip_state <> 'none' AND COALESCE(lv.company_id, p.company_id) = %(company)s
               AND (%(members)s::int[] IS NULL OR p.id = ANY(%(members)s::int[]))
            """,
            "ANALYZE vip_seg_members",
            f"""
            CREATE TEMP TABLE vip_seg_orders AS
            SELECT * FROM (
                SELECT o.id, o.partner_id, o.amount_total,
                       (o.date_order AT TIME ZONE 'UTC' AT TIME ZONE {order_tz})::date AS day
                  FROM pos_order o JOIN vip_seg_members m ON m.id = o.partner_id
                 WHERE o.company_id = %(company)s AND o.state IN %(states)s
            ) orders WHERE day < %(end)s
            """,
            "ANALYZE vip_seg_orders",
            """
            CREATE TEMP TABLE vip_seg_lines AS
            SELECT o.partner_id, o.id AS order_id, l.qty, l.discount, l.price_subtotal_incl, pt.categ_id,
                   (o.day - (pt.create_date AT TIME ZONE 'UTC' AT TIME ZONE %(vip_tz)s)::date
                       BETWEEN 0 AND %(arrival)s) AS new_arrival
              FROM vip_seg_orders o
              JOIN pos_order_line l ON l.order_id = o.id
              JOIN product_product pp ON pp.id = l.product_id
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
             WHERE o.amount_total >= 0 AND l.qty > 0
            """,
            "ANALYZE vip_seg_lines",
            """
            CREATE TEMP TABLE vip_seg_stats AS SELECT * FROM (
            WITH per_order AS (
                SELECT o.partner_id, COUNT(*) FILTER (WHERE o.amount_total >= 0) AS cnt,
                       MIN(o.day) FILTER (WHERE o.amount_total >= 0) AS first_day,
                       MAX(o.day) FILTER (WHERE o.amount_total >= 0) AS last_day,
                       COUNT(*) FILTER (WHERE o.amount_total >= 0 AND o.day > %(recent)s) AS recent,
                       MIN(o.day) FILTER (WHERE o.amount_total >= 0 AND o.day > %(recent)s) AS recent_first,
                       COUNT(*) FILTER (WHERE o.amount_total >= 0 AND o.day > %(rfm)s) AS rfm_count,
                       COALESCE(SUM(o.amount_total) FILTER (WHERE o.day > %(rfm)s), 0) AS rfm_amount
                  FROM vip_seg_orders o GROUP BY o.partner_id
            ), units AS (
                SELECT partner_id, order_id, SUM(qty) AS qty FROM vip_seg_lines GROUP BY partner_id, order_id
            ), per_line AS (
                SELECT partner_id, COUNT(*) AS lines, SUM(qty) AS units,
                       COUNT(*) FILTER (WHERE discount > 0) AS discounted,
                       COUNT(*) FILTER (WHERE new_arrival) AS arrivals,
                       COALESCE(SUM(price_subtotal_incl) / NULLIF(SUM(qty), 0), 0) AS unit_price
                  FROM vip_seg_lines GROUP BY partner_id
            ), single AS (
                SELECT partner_id, COUNT(*) FILTER (WHERE qty = 1) AS single_orders FROM units GROUP BY partner_id
            ), categ AS (
                SELECT DISTINCT ON (partner_id) partner_id, categ_id,
                       COUNT(*)::float / SUM(COUNT(*)) OVER (PARTITION BY partner_id) AS share
                  FROM vip_seg_lines GROUP BY partner_id, categ_id
                 ORDER BY partner_id, (categ_id IS NULL), COUNT(*) DESC, categ_id
            ), types AS (
                SELECT partner_id, ARRAY_AGG(type_id ORDER BY type_id) AS type_ids
                  FROM res_partner_vip_purchase_type_rel GROUP BY partner_id
            )
            SELECT m.id, m.points, m.vip_enrol_date, COALESCE(po.cnt, 0) AS cnt, po.first_day, po.last_day,
                   COALESCE(po.recent, 0) AS recent, po.recent_first, COALESCE(po.rfm_count, 0) AS rfm_count,
                   COALESCE(po.rfm_amount, 0) AS rfm_amount, COALESCE(pl.lines, 0) AS lines,
                   COALESCE(pl.units, 0) AS units, COALESCE(pl.discounted, 0) AS discounted,
                   COALESCE(pl.arrivals, 0) AS arrivals, COALESCE(pl.unit_price, 0) AS unit_price,
                   COALESCE(s.single_orders, 0) AS single_orders, c.categ_id, COALESCE(c.share, 0) AS share,
                   CASE WHEN po.last_day IS NULL THEN NULL
                        ELSE RANK() OVER (PARTITION BY po.last_day IS NULL ORDER BY po.last_day) - 1 END AS r_rank,
                   CASE WHEN po.last_day IS NULL THEN NULL
                        ELSE RANK() OVER (PARTITION BY po.last_day IS NULL ORDER BY po.rfm_count) - 1 END AS f_rank,
                   CASE WHEN po.last_day IS NULL THEN NULL
                        ELSE RANK() OVER (PARTITION BY po.last_day IS NULL ORDER BY po.rfm_amount) - 1 END AS m_rank,
                   COUNT(po.last_day) OVER () AS buyers,
                   m.vip_abc_class, m.vip_abc_manual, m.vip_rfm_score, m.vip_lifecycle_stage,
                   m.vip_style_category_id, m.vip_segment_due, COALESCE(t.type_ids, '{}') AS type_ids
              FROM vip_seg_members m
              LEFT JOIN per_order po ON po.partner_id = m.id
              LEFT JOIN per_line pl ON pl.partner_id = m.id
              LEFT JOIN single s ON s.partner_id = m.id
              LEFT JOIN categ c ON c.partner_id = m.id
              LEFT JOIN types t ON t.partner_id = m.id
            ) all_members WHERE %(only_ids)s::int[] IS NULL OR id = ANY(%(only_ids)s::int[])
            """,
            "DROP TABLE vip_seg_members, vip_seg_orders, vip_seg_lines",
            "CREATE INDEX ON vip_seg_stats (id)",
            "ANALYZE vip_seg_stats",
        ]

    def _vip_segment_company(self, today, company, only_ids=None, incremental=False):
        """Set-based read into a temporary table, engine per member, batched UPDATEs of what changed.

        ``incremental`` (the nightly shards): read only the members ``only_ids`` and keep their RFM
        scores and the high-price threshold of the last full run; these are relative to all
        members and are refreshed by a full run on the programme's RFM cadence.
        """
        started = time.time()
        program = self.env["vip.program"]._get_for_company(company)
        params = program._segment_params()
        self.env["pos.order"].flush_model()
        self.env["pos.order.line"].flush_model()
        self.flush_model()
        cr = self.env.cr
        sql_params = {
            "company": company.id, "only_ids": only_ids, "vip_tz": company._vip_tz(), "states": PAID_STATES,
            "members": only_ids if incremental else None,
            "end": fields.Date.to_string(today + timedelta(days=1)),
            "recent": today - relativedelta(months=params.abc_a_months),
            "rfm": today - relativedelta(months=params.rfm_months),
            "arrival": params.new_arrival_days,
        }
        for statement in self._vip_segment_stats_sql():
            cr.execute(statement, sql_params)
        _logger.info("vip: segmentation figures of %s read in %.1f s", company.name, time.time() - started)
        if incremental:
            threshold = program.segment_high_price_threshold or None
        else:
            cr.execute("SELECT unit_price FROM vip_seg_stats WHERE cnt >= %s AND unit_price > 0",
                       [params.types_min_purchases])
            threshold = segment_engine.quantile([r[0] for r in cr.fetchall()], params.high_price_quantile)
            if only_ids is None:
                program.sudo().write({"segment_high_price_threshold": threshold or 0.0, "rfm_refreshed_on": today})
        types = {t.code: t.id for t in self.env["vip.purchase.type"].sudo().search([])}
        note_env = self._vip_note_env(company)
        batch_size = program.cron_batch_size or 1000
        cr.execute("SELECT COUNT(*) FROM vip_seg_stats")
        count = cr.fetchone()[0]
        last_id, done, changed = 0, 0, 0
        while True:
            cr.execute("SELECT * FROM vip_seg_stats WHERE id > %s ORDER BY id LIMIT %s", [last_id, batch_size])
            names = [d[0] for d in cr.description]
            rows = cr.fetchall()
            if not rows:
                break
            updates, type_rows, type_partners = [], [], []
            notes = {}
            for values in rows:
                row = dict(zip(names, values, strict=True))
                stats = segment_engine.MemberStats(
                    partner_id=row["id"], order_count=row["cnt"], first_date=row["first_day"],
                    last_date=row["last_day"], recent_count=row["recent"], points=row["points"] or 0,
                    enrol_date=row["vip_enrol_date"], units=float(row["units"]), lines=row["lines"],
                    discounted_lines=row["discounted"], new_arrival_lines=row["arrivals"],
                    single_unit_orders=row["single_orders"], avg_unit_price=float(row["unit_price"]),
                    top_category_id=row["categ_id"], top_category_share=row["share"],
                    rfm_count=row["rfm_count"], rfm_amount=float(row["rfm_amount"]),
                    recent_first_date=row["recent_first"],
                )
                klass = row["vip_abc_class"] if row["vip_abc_manual"] else segment_engine.abc_class(
                    stats, today, params)
                stage = segment_engine.lifecycle_stage(stats, today, params)
                if incremental:
                    rfm, code = None, row["vip_rfm_score"]
                elif row["r_rank"] is not None:
                    rfm = tuple(segment_engine.quintile_from_rank(row[k], row["buyers"])
                                for k in ("r_rank", "f_rank", "m_rank"))
                    code = segment_engine.rfm_code(rfm)
                else:
                    rfm, code = (0, 0, 0), None
                codes = segment_engine.purchase_types(stats, params, threshold)
                type_ids = sorted(types[c] for c in codes if c in types)
                style = row["categ_id"] if "style" in codes else None
                due = segment_engine.segment_due_date(stats, today, params)
                if (klass, code, stage, style, due) != (
                    row["vip_abc_class"], row["vip_rfm_score"], row["vip_lifecycle_stage"],
                    row["vip_style_category_id"], row["vip_segment_due"],
                ):
                    updates.append((row["id"], klass, stage, style, due, *(rfm or ())))
                # The class is tracked on the form: its nightly moves show in the chatter too. A
                # member's first class is not logged (the first night classifies every member).
                if row["vip_abc_class"] and klass != row["vip_abc_class"]:
                    notes[row["id"]] = note_env._(
                        "ABC Class: %(old)s → %(new)s (nightly segmentation)",
                        old=row["vip_abc_class"], new=klass or "—",
                    )
                if type_ids != list(row["type_ids"] or []):
                    type_partners.append(row["id"])
                    type_rows.extend((row["id"], t) for t in type_ids)
            if updates:
                self._vip_write_segments(updates, today, rfm=not incremental)
            self._vip_post_notes(notes)
            if type_partners:
                cr.execute("DELETE FROM res_partner_vip_purchase_type_rel WHERE partner_id = ANY(%s)",
                           [type_partners])
                if type_rows:
                    execute_values(cr._obj, "INSERT INTO res_partner_vip_purchase_type_rel (partner_id, type_id)"
                                            " VALUES %s", type_rows, page_size=1000)
            changed += len(updates)
            done += len(rows)
            last_id = rows[-1][0]
            self.invalidate_model([
                "vip_abc_class", "vip_rfm_score", "vip_rfm_recency", "vip_rfm_frequency", "vip_rfm_monetary",
                "vip_lifecycle_stage", "vip_style_category_id", "vip_segmented_on", "vip_purchase_types",
            ])
            # Written by SQL: what is computed from the class (complaint priority) follows.
            self.browse([update[0] for update in updates]).modified(["vip_abc_class"])
            _logger.info("vip: segmented %s/%s members of %s (%s changed)", done, count, company.name, changed)
            if only_ids is None:
                self._vip_commit_batch(done=done, remaining=count - done)
        cr.execute("DROP TABLE IF EXISTS vip_seg_stats")
        _logger.info("vip: segmentation of %s done in %.1f s: %s members, %s changed",
                     company.name, time.time() - started, count, changed)
        return changed

    @api.model
    def _vip_write_segments(self, updates, today, rfm=True):
        """Rows (id, class, stage, style, due[, r, f, m]) in one statement per page."""
        cr = self.env.cr
        if rfm:
            rows = [(*u, segment_engine.rfm_code(u[5:8]) if any(u[5:8]) else None, today) for u in updates]
            execute_values(cr._obj, """
                UPDATE res_partner p SET vip_abc_class = v.klass, vip_lifecycle_stage = v.stage,
                       vip_style_category_id = v.style, vip_segment_due = v.due, vip_rfm_recency = v.r,
                       vip_rfm_frequency = v.f, vip_rfm_monetary = v.m, vip_rfm_score = v.code,
                       vip_segmented_on = v.day
                  FROM (VALUES %s) AS v(id, klass, stage, style, due, r, f, m, code, day)
                 WHERE p.id = v.id
            """, rows, template="(%s, %s::varchar, %s::varchar, %s::int, %s::date, %s, %s, %s, %s::varchar, %s::date)",
                page_size=1000)
        else:
            execute_values(cr._obj, """
                UPDATE res_partner p SET vip_abc_class = v.klass, vip_lifecycle_stage = v.stage,
                       vip_style_category_id = v.style, vip_segment_due = v.due, vip_segmented_on = v.day
                  FROM (VALUES %s) AS v(id, klass, stage, style, due, day)
                 WHERE p.id = v.id
            """, [(*u, today) for u in updates], template="(%s, %s::varchar, %s::varchar, %s::int, %s::date, %s::date)",
                page_size=1000)

    # -- the nightly shards (vip.night.shard) ------------------------------------------------

    @api.model
    def _vip_segment_range(self, today, company, id_range, since):
        """Incremental segmentation of the members in ``id_range``: only those never segmented,
        due tonight (engine.segments.segment_due_date) or whose sales, ledger or record changed
        since ``since`` (engine.segments.needs_recompute, proven equal to a full run)."""
        self.env["pos.order"].flush_model()
        self.env["vip.points.entry"].flush_model()
        self.flush_model()
        cr = self.env.cr
        cr.execute(
            """
            SELECT p.id FROM res_partner p LEFT JOIN vip_level lv ON lv.id = p.vip_level_id
             WHERE p.id BETWEEN %(lo)s AND %(hi)s AND p.vip_state <> 'none'
               AND COALESCE(lv.company_id, p.company_id) = %(company)s
               AND (%(since)s::timestamp IS NULL OR p.vip_segmented_on IS NULL OR p.vip_segment_due <= %(today)s
                    OR p.write_date >= %(since)s
                    OR EXISTS (SELECT 1 FROM pos_order o WHERE o.partner_id = p.id AND o.write_date >= %(since)s)
                    OR EXISTS (SELECT 1 FROM vip_points_entry e
                                WHERE e.partner_id = p.id AND e.create_date >= %(since)s))
             ORDER BY p.id
            """,
            {"lo": id_range[0], "hi": id_range[1], "company": company.id, "today": today, "since": since or None},
        )
        ids = [r[0] for r in cr.fetchall()]
        if ids:
            self._vip_segment_company(today, company, only_ids=ids, incremental=True)
        return len(ids)

    @api.model
    def _vip_night_final(self, today, company, program):
        """Once a night's member shards are done: the full segmentation with RFM quintiles when
        the programme's cadence says so (or a manager asked), then the balance check."""
        members = 0
        last = program.rfm_refreshed_on
        fresh = last and (program.rfm_refresh_days <= 0 or 0 <= (today - last).days < program.rfm_refresh_days)
        if not fresh or program.rfm_refresh_requested:
            members = self._vip_segment_company(today, company)
            program.sudo().write({"rfm_refresh_requested": False})
        self._vip_check_balances()
        return {"members": members}

    # -- lost and replaced cards -------------------------------------------------------------

    @api.model
    def _vip_replaced_card(self, card, company):
        """The replacement record of an old card number of ``company``, latest first."""
        if not card or not company:
            return self.env["vip.card.replacement"]
        return self.env["vip.card.replacement"].sudo().search(
            [("old_card_number", "=", card), ("company_id", "=", company.id)], limit=1,
        )

    def vip_replace_card(self, reason, new_card=None, kind="lost"):
        """Give the member a new card number (the next of the sequence, or ``new_card`` when a
        pre-printed card is handed out), record the replacement and return the new number."""
        self.ensure_one()
        if not self.env.su and not self.env.user.has_group("vip_loyalty.group_vip_advisor"):
            raise AccessError(_("Only VIP advisors and managers replace cards in the back office."))
        reason = (reason or "").strip()
        if not reason:
            raise UserError(_("Give the reason the card is replaced."))
        partner = self.sudo()
        if partner.vip_state in (False, "none") or not partner.vip_card_number:
            raise UserError(_("%s has no VIP card to replace.", partner.display_name))
        company = partner.company_id or self.env.company
        old_card = partner.vip_card_number
        if (new_card or "").strip():
            new_card = profile_engine.normalize_card(new_card)
            if not profile_engine.is_valid_card(new_card):
                raise ValidationError(_(
                    "The card number %(card)s is not valid: use 3 to 32 letters, digits or dashes.", card=new_card,
                ))
            if new_card == old_card:
                raise ValidationError(_("The new card number is the old one."))
            partner.browse()._vip_check_card_free(new_card, partner.company_id)
        else:
            new_card = partner.with_company(company)._vip_next_card_number()
        replacement = self.env["vip.card.replacement"].sudo().create({
            "old_card_number": old_card,
            "old_partner_id": partner.id,
            "partner_id": partner.id,
            "new_card_number": new_card,
            "company_id": company.id,
            "date": company._vip_today(),
            "reason": reason,
            "kind": kind,
            "user_id": self.env.user.id,
        })
        partner.write({"vip_card_number": new_card})
        partner.message_post(body=_(
            "Card %(old)s replaced by %(new)s (%(kind)s: %(reason)s).",
            old=old_card, new=new_card,
            kind=dict(replacement._fields["kind"]._description_selection(self.env))[kind], reason=reason,
        ))
        return new_card

    def action_vip_replace_card(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Report lost card / Replace card"),
            "res_model": "vip.card.replace",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_id": self.id},
        }

    # -- at the till ------------------------------------------------------------------------

    @api.model
    def vip_pos_lookup(self, query, config_id=None):
        """``vip_pos_search`` plus the warning the till shows when ``query`` is a replaced card."""
        ids = self.vip_pos_search(query, config_id=config_id)
        company = self._vip_pos_company(config_id)
        replaced = self._vip_replaced_card(profile_engine.normalize_card((query or "").strip()), company)
        warning = False
        if replaced and replaced.partner_id.id in ids:
            warning = {
                "partner_id": replaced.partner_id.id,
                "message": _(
                    "Card %(old)s was replaced on %(date)s (%(reason)s): the member's card is now %(new)s.",
                    old=replaced.old_card_number, date=replaced.date, reason=replaced.reason,
                    new=replaced.partner_id.vip_card_number,
                ),
            }
        return {"ids": ids, "warning": warning}

    @api.model
    def vip_pos_replace_card(self, partner_id, reason, config_id=None, card=None):
        """A lost card replaced at the till: the new number, and the fee item the till adds to the order."""
        company = self._vip_pos_company(config_id)
        partner = self._vip_pos_member(partner_id, company)
        if not partner:
            raise AccessError(_("This customer is not a member of this shop's company."))
        new_card = partner.vip_replace_card(reason, new_card=card, kind="lost")
        fee = self.env["vip.program"]._get_for_company(company).card_fee_product_id
        return {
            "card": new_card,
            "fee_product_id": fee.id or False,
            "message": _("New card %(card)s for %(name)s.", card=new_card, name=partner.name),
        }

    # -- reaching the member ----------------------------------------------------------------

    def _vip_reach_channel(self, company=None):
        """The channel a message to this member takes (engine rule), or False: only logged."""
        self.ensure_one()
        program = self.env["vip.program"].sudo()._get_for_company(company or self.company_id or self.env.company)
        return reach_engine.choose_channel(
            self.vip_channel, program.reach_default_channel, bool(self.mobile or self.phone), bool(self.email),
        ) or False

    def _vip_reach(self, kind, key, subject, body, company=None, record=None, today=None):
        """Tell the member by their channel and log it on the member; once per ``key``.

        ``body`` is HTML (email) and becomes plain text for an SMS, sent through Odoo's SMS
        queue (IAP). ``record`` carries the message (a gift, a complaint), the member by
        default. Returns the care log, or an empty one when already sent or not consented.
        """
        self.ensure_one()
        partner = self.sudo()
        company = company or partner.company_id or self.env.company
        log_model = self.env["vip.care.log"].sudo()
        if not reach_engine.may_receive(kind, partner.vip_accepts_promotions):
            return log_model
        if log_model.search_count([("partner_id", "=", partner.id), ("key", "=", key)], limit=1):
            return log_model
        channel, text = partner._vip_deliver(subject, body, company, record)
        return log_model.create({
            "partner_id": partner.id,
            "company_id": company.id,
            "key": key,
            "kind": kind,
            "date": today or company._vip_today(),
            "channel": "message",
            "message_channel": channel or "none",
            "message_text": text,
        })

    def _vip_deliver(self, subject, body, company, record=None):
        """Send one message to the member by their channel; returns (channel or "none", text)."""
        self.ensure_one()
        partner = self.sudo()
        channel = partner._vip_reach_channel(company)
        text = html2plaintext(body).strip() if body and not is_html_empty(body) else ""
        if subject:
            text = f"{subject}: {text}" if text else subject
        carrier = (record or partner).sudo()
        if channel == "sms":
            carrier._message_sms(body=text, partner_ids=partner.ids, subject=subject, put_in_queue=True)
        else:
            html = body if isinstance(body, Markup) else Markup("<p>%s</p>") % escape(body or "")
            carrier.message_post(
                body=html, subject=subject, partner_ids=partner.ids if channel else [],
                message_type="comment", subtype_xmlid="mail.mt_comment" if channel else "mail.mt_note",
            )
        return channel or "none", text

    # -- the till's guards on the member side -----------------------------------------------

    def _vip_is_staff(self, company):
        """The partner of one of ``company``'s own users or employees."""
        self.ensure_one()
        return bool(self._vip_staff_ids(self.ids, company))

    @api.model
    def _vip_staff_ids(self, partner_ids, company):
        """Those of ``partner_ids`` who are partners of ``company``'s own users or employees."""
        staff = set(self.env["res.users"].sudo().with_context(active_test=False).search(
            [("partner_id", "in", list(partner_ids)), ("share", "=", False), ("company_ids", "in", company.id)],
        ).partner_id.ids)
        others = [partner_id for partner_id in partner_ids if partner_id not in staff]
        if others and "hr.employee" in self.env and "work_contact_id" in self.env["hr.employee"]._fields:
            staff |= set(self.env["hr.employee"].sudo().with_context(active_test=False).search(
                [("work_contact_id", "in", others), ("company_id", "=", company.id)],
            ).work_contact_id.ids)
        return staff

    def _vip_qualifying_level(self, company, program, engine_lines, lines, today):
        """The level this order lifts the member to (counted before member discounts), or nothing."""
        self.ensure_one()
        level_model = self.env["vip.level"].sudo()
        if not program.guard_qualifying_order or self.vip_state != "active":
            return level_model
        amount = sum(
            eline.unit_price * eline.quantity * (100.0 - float(line.get("discount") or 0.0)) / 100.0
            for eline, line in zip(engine_lines, lines, strict=True)
        )
        if amount <= 0:
            return level_model
        best = guards_engine.qualifying_level(
            self.env["vip.level"]._specs_for_company(company), self.vip_level_id.id,
            self._vip_purchases([self.id], company)[self.id], self.vip_points_balance, today, amount,
        )
        return level_model.browse(best[0].id) if best else level_model

    def _vip_best_prices(self, config, benefits, engine_lines, lines, products, today):
        """Lines where a walk-in customer (the till's own pricelist today) pays less than the
        member would: the member gets the walk-in price, named on the line and the receipt."""
        pricelist = config.pricelist_id
        if not pricelist:
            return benefits
        result = []
        currency = config.currency_id
        for benefit, eline, line, product in zip(benefits, engine_lines, lines, products, strict=True):
            percent = None
            if eline.quantity > 0 and eline.unit_price > 0:
                walkin = pricelist._get_product_price(product, eline.quantity, currency=currency, date=today)
                member = max(benefit.discount_percent, float(line.get("discount") or 0.0))
                percent = guards_engine.best_price_percent(eline.unit_price, member, walkin)
            if percent is None:
                result.append(benefit)
                continue
            member_price = eline.unit_price * (100.0 - benefit.discount_percent) / 100.0
            price, member_text = (currency.format(v) if currency else f"{v:.2f}" for v in (walkin, member_price))
            result.append(benefits_engine.LineBenefit(percent, "best_price", _(
                "Best price: %(price)s as for every customer today (member price %(member)s)",
                price=price, member=member_text,
            )))
        return result
