# Kept apart from vip_program.py while issues are built in parallel; merge when convenient.
# pylint: disable=consider-merging-classes-inherited
from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..engine import analysis as analysis_engine
from ..engine import guards as guards_engine


class VipProgram(models.Model):
    """The till's guards (seed 003) and lost cards: programme settings, on by default."""

    _inherit = "vip.program"

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

    # -- settings the seeds use (issue 14 item 7) ---------------------------------------------
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
