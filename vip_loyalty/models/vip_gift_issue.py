import logging
from datetime import date, timedelta

from markupsafe import Markup
from odoo import api, fields, models
from odoo.exceptions import UserError

from ..engine import gifts as gift_engine
from ..engine import points as points_engine
from .vip_gift_rule import OCCASIONS

_logger = logging.getLogger(__name__)

STATES = [
    ("planned", "Planned"),
    ("notified", "Notified"),
    ("delivered", "Delivered"),
    ("expired", "Expired"),
    ("cancelled", "Cancelled"),
]
OPEN_STATES = ("planned", "notified")


class VipGiftIssue(models.Model):
    """One gift for one member: planned, announced, then delivered, expired or cancelled."""

    _name = "vip.gift.issue"
    _description = "VIP Gift Issue"
    _inherit = ["mail.thread", "mail.activity.mixin", "pos.load.mixin"]
    _order = "date_planned desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Reference", required=True, readonly=True, copy=False, default="/")
    partner_id = fields.Many2one("res.partner", string="Member", required=True, index=True, tracking=True,
                                 ondelete="restrict")
    rule_id = fields.Many2one("vip.gift.rule", required=True, index=True, ondelete="restrict", check_company=True)
    product_id = fields.Many2one("product.product", required=True, tracking=True, check_company=True)
    company_id = fields.Many2one("res.company", required=True, index=True,
                                 default=lambda self: self.env.company)
    occasion = fields.Selection(OCCASIONS, required=True, index=True)
    occasion_date = fields.Date(required=True)
    date_planned = fields.Date(required=True, index=True, default=lambda self: self.env.company._vip_today())
    expiry_date = fields.Date(index=True, tracking=True)
    period_key = fields.Char(
        required=True, readonly=True, copy=False,
        help="The quota period; one gift per member, occasion and period.",
    )
    holiday_id = fields.Many2one("vip.holiday", ondelete="restrict")
    level_id = fields.Many2one("vip.level", string="Level When Planned", readonly=True)
    state = fields.Selection(STATES, string="Status", required=True, default="planned", index=True, tracking=True,
                             copy=False)
    delivery = fields.Selection([("pickup", "Pick up in store"), ("ship", "Ship")], required=True, default="pickup")
    date_notified = fields.Datetime(readonly=True, copy=False)
    date_delivered = fields.Datetime(readonly=True, copy=False, tracking=True)
    advisor_id = fields.Many2one(related="partner_id.vip_advisor_id", string="Advisor", store=True)
    shop_id = fields.Many2one(related="partner_id.vip_enrol_shop_id", string="Shop", store=True)
    pos_order_id = fields.Many2one("pos.order", string="Delivered With", readonly=True, copy=False,
                                   index="btree_not_null")
    pos_order_line_ids = fields.One2many("pos.order.line", "vip_gift_issue_id", string="POS Lines")
    picking_id = fields.Many2one("stock.picking", string="Shipment", readonly=True, copy=False)
    points_entry_id = fields.Many2one("vip.points.entry", string="Redemption Entry", readonly=True, copy=False)
    points_spent = fields.Integer(readonly=True, copy=False)
    signed_by = fields.Char(help="Who collected the gift in the store.", copy=False)
    signature = fields.Image(max_width=1024, max_height=1024, copy=False, attachment=True)
    note = fields.Text()

    _sql_constraints = [
        (
            "points_not_negative", "CHECK(points_spent >= 0)", "Points spent on a gift cannot be negative.",
        ),
    ]

    def init(self):
        # The quota: never two live gifts for one member, occasion and period.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS vip_gift_issue_quota_uniq
                ON vip_gift_issue (partner_id, occasion, period_key) WHERE state <> 'cancelled'
            """
        )

    @api.onchange("rule_id", "occasion_date")
    def _onchange_rule_id(self):
        """Gifts › New: the rule gives the occasion, the product and how long the gift stays valid."""
        for issue in self.filtered("rule_id"):
            issue.occasion = issue.rule_id.occasion
            issue.product_id = issue.product_id or issue.rule_id.product_id
            day = issue.occasion_date or issue.date_planned
            if day:
                issue.expiry_date = day + timedelta(days=max(issue.rule_id.validity_days, 0))

    @api.model_create_multi
    def create(self, vals_list):
        sequence = self.env["ir.sequence"]
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = sequence.next_by_code("vip.gift.issue") or "/"
            if vals.get("rule_id") and not vals.get("period_key"):
                self._vip_fill_manual(vals)
        return super().create(vals_list)

    @api.model
    def _vip_fill_manual(self, vals):
        """A gift created by hand: the rule's occasion, today as the occasion, its quota period;
        a second gift in the same period is refused before anything is written."""
        rule = self.env["vip.gift.rule"].browse(vals["rule_id"])
        partner = self.env["res.partner"].browse(vals.get("partner_id"))
        vals.setdefault("occasion", rule.occasion)
        day = fields.Date.to_date(vals.get("occasion_date")) or rule.company_id._vip_today()
        vals["occasion_date"] = day
        vals["period_key"] = gift_engine.period_key(rule._to_spec(), day, vals.get("holiday_id") or None)
        vals.setdefault("product_id", rule.product_id.id)
        vals.setdefault("level_id", partner.vip_level_id.id)
        if not vals.get("expiry_date"):
            vals["expiry_date"] = day + timedelta(days=max(rule.validity_days, 0))
        if self.sudo().search_count([("partner_id", "=", partner.id), ("occasion", "=", vals["occasion"]),
                                     ("period_key", "=", vals["period_key"]), ("state", "!=", "cancelled")]):
            raise UserError(self.env._(
                "%(member)s already has a %(occasion)s gift for this period.", member=partner.display_name,
                occasion=dict(OCCASIONS).get(vals["occasion"], vals["occasion"])))

    # -- buttons -------------------------------------------------------------------

    def action_notify(self):
        """Send the rule's greeting (signed by shop and advisor, no advertising)."""
        for issue in self.filtered(lambda i: i.state == "planned"):
            template = issue.rule_id.greeting_template_id
            if template:
                issue.message_subscribe(partner_ids=issue.partner_id.ids)
                # By the member's channel (SMS for a mobile number), logged on the member.
                issue.partner_id._vip_reach(
                    "greeting", f"gift{issue.id}:greeting",
                    template._render_field("subject", issue.ids, compute_lang=True)[issue.id],
                    Markup(template._render_field("body_html", issue.ids, compute_lang=True)[issue.id]),
                    company=issue.company_id, record=issue,
                )
            issue.write({"state": "notified", "date_notified": fields.Datetime.now()})
        return True

    def action_confirm_pickup(self):
        """In-person pickup: the member signs (or the advisor records who collected it)."""
        for issue in self:
            if issue.state not in OPEN_STATES:
                raise UserError(self.env._("%(gift)s is not waiting to be collected.", gift=issue.name))
            if not issue.signature and not (issue.signed_by or "").strip():
                raise UserError(self.env._("Record the signature or who collected %(gift)s.", gift=issue.name))
        self.write({"state": "delivered", "date_delivered": fields.Datetime.now()})
        return True

    def action_ship(self):
        """Create the outgoing picking that ships the gift to the member."""
        for issue in self:
            if issue.state not in OPEN_STATES or issue.picking_id:
                continue
            warehouse = self.env["stock.warehouse"].search([("company_id", "=", issue.company_id.id)], limit=1)
            picking_type = warehouse.out_type_id
            if not picking_type:
                raise UserError(
                    self.env._("No outgoing operation type for %(company)s.", company=issue.company_id.name)
                )
            picking = self.env["stock.picking"].create({
                "partner_id": issue.partner_id.id,
                "picking_type_id": picking_type.id,
                "location_id": picking_type.default_location_src_id.id,
                "location_dest_id": self.env.ref("stock.stock_location_customers").id,
                "origin": issue.name,
                "company_id": issue.company_id.id,
                "move_ids": [(0, 0, {
                    "name": issue.product_id.display_name,
                    "product_id": issue.product_id.id,
                    "product_uom_qty": 1,
                    "product_uom": issue.product_id.uom_id.id,
                    "location_id": picking_type.default_location_src_id.id,
                    "location_dest_id": self.env.ref("stock.stock_location_customers").id,
                })],
            })
            picking.action_confirm()
            issue.picking_id = picking
        return True

    def action_cancel(self):
        if self.filtered(lambda i: i.state == "delivered"):
            raise UserError(self.env._("A delivered gift cannot be cancelled."))
        self.write({"state": "cancelled"})
        return True

    # -- delivery ------------------------------------------------------------------

    def _vip_deliver_with_order(self, order):
        """Mark these gifts delivered by ``order`` (a paid POS order with their zero-price lines).

        The care job calls this after the sale: the gift was handed over when the order reached
        the server, and the order's paid step already reserved it (``pos_order_id``)."""
        todo = self.filtered(lambda i: i.state in OPEN_STATES and i.pos_order_id in (order, self.env["pos.order"]))
        if todo:
            todo.write({"state": "delivered", "pos_order_id": order.id,
                        "date_delivered": order.create_date or fields.Datetime.now()})
        return todo

    @api.model
    def _vip_sync_shipments(self):
        """Gifts whose shipment is done are delivered."""
        shipped = self.search([
            ("state", "in", OPEN_STATES), ("picking_id.state", "=", "done"), ("pos_order_id", "=", False),
        ])
        shipped.write({"state": "delivered", "date_delivered": fields.Datetime.now()})
        return shipped

    # -- points redemption (the ladder) -----------------------------------------------

    @api.model
    def vip_redeem_gift(self, partner, rule, pos_order=None):
        """Burn the member's points for ``rule``'s gift; returns the planned gift issue.

        The points come from the rule, or from the redemption ladder on the gift's list
        price. The ``redeem`` ledger entry is linked both ways.
        """
        if rule.occasion != "points_redemption":
            raise UserError(self.env._("%(rule)s is not a points-redemption gift.", rule=rule.name))
        if rule.level_ids and partner.vip_level_id not in rule.level_ids:
            raise UserError(self.env._("%(name)s's level cannot redeem %(rule)s.", name=partner.name, rule=rule.name))
        points = rule.points_cost
        if not points:
            # The company's own ladder, as at the till (the engine's defaults only without a rule).
            points_rule = self.env["vip.points.rule"]._for_company(rule.company_id)
            try:
                points = (points_rule._vip_gift_points(rule.product_id.lst_price) if points_rule
                          else points_engine.points_for_gift(rule.product_id.lst_price))
            except ValueError as exc:
                raise UserError(str(exc)) from exc
        today = rule.company_id._vip_today(pos_order.config_id if pos_order else None)
        entry = partner.vip_redeem_points(
            points, self.env._("Gift: %(product)s", product=rule.product_id.display_name), pos_order=pos_order,
        )
        issue = self.create({
            "partner_id": partner.id,
            "rule_id": rule.id,
            "product_id": rule.product_id.id,
            "company_id": entry.company_id.id,
            "occasion": "points_redemption",
            "occasion_date": today,
            "date_planned": today,
            "expiry_date": today + timedelta(days=rule.validity_days),
            "period_key": f"redeem-{entry.id}",
            "delivery": rule.delivery,
            "level_id": partner.vip_level_id.id,
            "points_entry_id": entry.id,
            "points_spent": points,
        })
        entry.sudo().with_context(vip_ledger_post=True).write({"gift_issue_id": issue.id})
        return issue

    # -- daily cron --------------------------------------------------------------------

    @api.model
    def _cron_daily(self, today=None):
        """Plan due gifts, greet, create the advisors' calls, expire unclaimed gifts.

        ``today`` comes from Python (re-run a missed day with its date; by default each company's
        today in its timezone); running twice for the same date creates nothing new.
        """
        for company in self.env["res.company"].sudo().search([]):
            day = today or company._vip_today()
            issues = self.with_company(company).sudo()
            program = self.env["vip.program"].sudo()._get_for_company(company)
            batch_size = program.cron_batch_size or 1000
            issues._vip_plan(day, company, batch_size)
            issues._vip_plan_events(day, company)
            issues._vip_greet_and_call(day, company)
            issues._vip_expire(day, company)
        self.sudo()._vip_sync_shipments()

    @api.model
    def _vip_plan(self, today, company, batch_size):
        rules = self.env["vip.gift.rule"].search([
            ("company_id", "=", company.id), ("occasion", "in", gift_engine.DATED_OCCASIONS),
        ])
        if not rules:
            return self.browse()
        specs = [rule._to_spec() for rule in rules]
        max_lead = max(rules.mapped("lead_days") or [0])
        holidays = [
            gift_engine.Holiday(id=h.id, day=h.date)
            for h in self.env["vip.holiday"].search([
                ("company_id", "=", company.id), ("date", ">=", today),
                ("date", "<=", today + timedelta(days=max_lead)),
            ])
        ]
        self.env["res.partner"].flush_model()
        cr = self.env.cr
        cr.execute(
            """
            SELECT p.id, p.vip_level_id, p.vip_birthday, p.vip_enrol_date
              FROM res_partner p JOIN vip_level l ON l.id = p.vip_level_id
             WHERE l.company_id = %s AND p.vip_state = 'active' AND p.active
             ORDER BY p.id
            """,
            [company.id],
        )
        members = [gift_engine.Member(id=r[0], level_id=r[1], birthday=r[2], enrol_date=r[3]) for r in cr.fetchall()]
        rule_by_id = {rule.id: rule for rule in rules}
        created = self.browse()
        for start in range(0, len(members), batch_size):
            dues = gift_engine.gifts_due(specs, members[start:start + batch_size], holidays, today)
            if dues:
                created |= self._vip_create_dues(dues, rule_by_id, {m.id: m for m in members[start:start + batch_size]})
            done = min(start + batch_size, len(members))
            _logger.info("vip: gifts planned for %s/%s members of %s (%s new)", done, len(members),
                         company.name, len(created))
            self.env["res.partner"]._vip_commit_batch(done=done, remaining=len(members) - done)
        return created

    def _vip_create_dues(self, dues, rule_by_id, member_by_id):
        self.flush_model()
        self.env.cr.execute(
            """
            SELECT partner_id, occasion, period_key FROM vip_gift_issue
             WHERE state <> 'cancelled' AND partner_id IN %s
            """,
            [tuple({d.partner_id for d in dues})],
        )
        existing = set(self.env.cr.fetchall())
        vals_list = []
        for due in dues:
            if (due.partner_id, due.occasion, due.period_key) in existing:
                continue
            rule = rule_by_id[due.rule_id]
            vals_list.append({
                "partner_id": due.partner_id,
                "rule_id": rule.id,
                "product_id": rule.product_id.id,
                "company_id": rule.company_id.id,
                "occasion": due.occasion,
                "occasion_date": due.occasion_date,
                "date_planned": due.date_planned,
                "expiry_date": due.expiry_date,
                "period_key": due.period_key,
                "holiday_id": due.holiday_id,
                "delivery": rule.delivery,
                "level_id": member_by_id[due.partner_id].level_id,
            })
        return self.create(vals_list)

    @api.model
    def _vip_plan_events(self, today, company):
        """Level-upgrade gifts (from the level history) and the year-end top spenders' gifts."""
        rules = self.env["vip.gift.rule"].search([
            ("company_id", "=", company.id), ("occasion", "in", ("level_upgrade", "annual_top_spender")),
        ])
        if not rules:
            return self.browse()
        rule_by_id = {rule.id: rule for rule in rules}
        dues = []
        cr = self.env.cr
        upgrade_rules = rules.filtered(lambda r: r.occasion == "level_upgrade")
        if upgrade_rules:
            self.env["vip.level.history"].flush_model()
            cr.execute(
                """
                SELECT h.partner_id, h.to_level_id, h.date FROM vip_level_history h
                  JOIN res_partner p ON p.id = h.partner_id
                 WHERE h.company_id = %s AND h.reason = 'upgrade' AND h.date BETWEEN %s AND %s
                   AND p.vip_state = 'active' AND h.from_level_id IS NOT NULL
                 ORDER BY h.date, h.id
                """,
                [company.id, today - timedelta(days=max(upgrade_rules.mapped("lead_days"))), today],
            )
            upgrades = [gift_engine.Upgrade(*row) for row in cr.fetchall()]
            dues += gift_engine.upgrade_gifts_due([r._to_spec() for r in upgrade_rules], upgrades, today)
        for rule in rules.filtered(lambda r: r.occasion == "annual_top_spender"):
            spec = rule._to_spec()
            if not gift_engine.top_spender_window(spec, today):
                continue
            self.env["pos.order"].flush_model()
            cr.execute(
                """
                SELECT o.partner_id, SUM(o.amount_total) FROM pos_order o
                  JOIN res_partner p ON p.id = o.partner_id
                 WHERE o.company_id = %s AND o.state IN ('paid', 'done', 'invoiced')
                   AND o.date_order >= %s AND o.date_order < %s AND p.vip_state = 'active'
                   AND (%s OR p.vip_level_id IN %s)
                 GROUP BY o.partner_id
                """,
                [company.id, date(today.year, 1, 1), date(today.year + 1, 1, 1),
                 not rule.level_ids, tuple(rule.level_ids.ids) or (0,)],
            )
            end = gift_engine.year_end_day(today)
            for partner_id in gift_engine.top_spenders(cr.fetchall(), rule.top_spender_count):
                dues.append(gift_engine.GiftDue(
                    rule_id=rule.id, partner_id=partner_id, occasion="annual_top_spender", occasion_date=end,
                    date_planned=today, expiry_date=end + timedelta(days=rule.validity_days),
                    period_key=gift_engine.period_key(spec, end),
                ))
        if not dues:
            return self.browse()
        partners = self.env["res.partner"].browse({d.partner_id for d in dues})
        members = {p.id: gift_engine.Member(id=p.id, level_id=p.vip_level_id.id) for p in partners}
        return self._vip_create_dues(dues, rule_by_id, members)

    # -- POS: a model the terminal knows, with no records at start ----------------------------

    @api.model
    def _load_pos_data_domain(self, data):
        return False  # none at start: the terminal reads the selected member's open gifts

    @api.model
    def _load_pos_data_fields(self, config_id):
        return ["id", "name", "partner_id", "product_id", "occasion", "occasion_date", "expiry_date", "state"]

    @api.model
    def vip_pos_open_gifts(self, partner_id, config_id=None):
        """The member's gifts a terminal can hand over now (for the POS front end)."""
        partners = self.env["res.partner"]
        company = partners._vip_pos_company(config_id)
        partner = partners._vip_pos_member(partner_id, company)
        return self.sudo()._vip_open_gifts_data(partner, company) if partner else []

    def _vip_open_gifts_data(self, partner, company):
        today = company._vip_today()
        issues = self.search([
            ("partner_id", "=", partner.id), ("company_id", "=", company.id), ("state", "in", OPEN_STATES),
            ("pos_order_id", "=", False),  # handed over on a till, delivered by the care job soon
            "|", ("expiry_date", "=", False), ("expiry_date", ">=", today),
        ], order="occasion_date")
        return [
            {"id": i.id, "name": i.name, "product_id": i.product_id.id, "product_name": i.product_id.display_name,
             "occasion": i.occasion, "occasion_date": fields.Date.to_string(i.occasion_date),
             "expiry_date": fields.Date.to_string(i.expiry_date) if i.expiry_date else False}
            for i in issues
        ]

    @api.model
    def vip_pos_gift_record(self, gift_id, config_id=None):
        """One open gift as the terminal's data model holds it, for the line that hands it over;
        cashiers have no access to gift issues themselves."""
        partners = self.env["res.partner"]
        company = partners._vip_pos_company(config_id)
        issue = self.sudo().browse(int(gift_id)).exists()
        if not issue or issue.state not in OPEN_STATES or issue.pos_order_id or issue.company_id != company:
            return {}
        if not partners._vip_pos_member(issue.partner_id.id, company):
            return {}
        return {self._name: issue.read(self._load_pos_data_fields(config_id), load=False)}

    @api.model
    def _vip_greet_and_call(self, today, company):
        planned = self.search([
            ("company_id", "=", company.id), ("state", "=", "planned"), ("date_planned", "<=", today),
            ("pos_order_id", "=", False),
        ])
        planned.action_notify()
        call_type = self.env.ref("mail.mail_activity_data_call")
        touches = []
        for issue in self.search([
            ("company_id", "=", company.id), ("state", "in", OPEN_STATES), ("pos_order_id", "=", False),
            ("rule_id.call_enabled", "=", True), ("occasion_date", ">=", today - timedelta(days=7)),
        ]):
            call_day = issue.occasion_date - timedelta(days=issue.rule_id.call_days_before)
            if not call_day <= today <= issue.occasion_date:
                continue
            partner = issue.partner_id
            touches.append({
                "partner": partner,
                "company": company,
                "key": f"gift{issue.id}:call",
                "kind": "gift_call",
                "user": self.env["vip.care.log"]._vip_advisor(partner),
                "activity_type": call_type,
                "date_deadline": max(call_day, today),
                "summary": self.env._("Call %(name)s: %(gift)s", name=partner.name, gift=issue.rule_id.name),
                "note": self.env._(
                    "Greet %(name)s and invite them to collect %(product)s (%(ref)s).",
                    name=partner.name, product=issue.product_id.display_name, ref=issue.name,
                ),
            })
        return self.env["vip.care.log"]._vip_touch(touches, today)

    @api.model
    def _vip_expire(self, today, company):
        due = self.search([
            ("company_id", "=", company.id), ("state", "in", OPEN_STATES), ("expiry_date", "<", today),
            ("pos_order_id", "=", False),
        ])
        due.write({"state": "expired"})
        return due
