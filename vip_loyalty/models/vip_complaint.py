import logging
from datetime import datetime, time, timedelta

import pytz
from markupsafe import Markup, escape
from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..engine import complaints as complaint_engine

_logger = logging.getLogger(__name__)

STATES = [
    ("new", "New"),
    ("in_progress", "In Progress"),
    ("escalated", "Escalated"),
    ("resolved", "Resolved"),
    ("closed", "Closed"),
]
CHANNELS = [
    ("store", "In store"),
    ("phone", "Phone"),
    ("hotline", "Hotline"),
    ("message", "Message"),
    ("comment_card", "Comment card"),
]
OUTCOMES = [("full", "Fully solved"), ("partial", "Partly solved"), ("unsolvable", "Not solvable")]
RESPONSIBILITIES = [("ours", "Ours"), ("misunderstanding", "Misunderstanding"), ("third_party", "Third party")]
SATISFACTION = [
    ("1", "1 - Very dissatisfied"),
    ("2", "2 - Dissatisfied"),
    ("3", "3 - Neutral"),
    ("4", "4 - Satisfied"),
    ("5", "5 - Very satisfied"),
]
PRIORITIES = [("0", "Normal"), ("1", "Member"), ("2", "High"), ("3", "Top level")]
CRON_BATCH = 200


class VipComplaint(models.Model):
    """A VIP complaint: listen, record, propose a solution, follow up."""

    _name = "vip.complaint"
    _description = "VIP Complaint"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "priority desc, date_reported desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Reference", required=True, readonly=True, copy=False, default="/")
    partner_id = fields.Many2one("res.partner", string="Member", required=True, index=True, tracking=True)
    level_id = fields.Many2one(related="partner_id.vip_level_id", string="Level")
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    date_reported = fields.Datetime(
        required=True, default=fields.Datetime.now, tracking=True,
        help="When the customer complained; the SLA clock starts here.",
    )
    shop_id = fields.Many2one("pos.config", string="Shop", check_company=True, index="btree_not_null")
    pos_order_id = fields.Many2one("pos.order", string="POS Order", check_company=True,
                                   domain="[('partner_id', '=', partner_id)] if partner_id else []")
    pos_order_line_id = fields.Many2one("pos.order.line", string="Order Line",
                                        domain="[('order_id', '=', pos_order_id)]")
    product_id = fields.Many2one("product.product", string="Product")
    staff_id = fields.Many2one("res.users", string="Staff Involved", help="The staff member the complaint is about.")
    user_id = fields.Many2one("res.users", string="Responsible", default=lambda self: self.env.user,
                              tracking=True, index=True)
    channel = fields.Selection(CHANNELS, required=True, default="store")
    category_id = fields.Many2one("vip.complaint.category", string="Category", tracking=True)
    severity = fields.Selection([("small", "Small"), ("large", "Large")], required=True, default="small",
                                tracking=True)
    description = fields.Text(help="What happened, in the customer's words.")
    customer_request = fields.Text(string="What the Customer Wants")
    responsibility = fields.Selection(RESPONSIBILITIES)
    state = fields.Selection(STATES, string="Status", required=True, default="new", tracking=True, index=True,
                             copy=False, group_expand="_vip_expand_states")
    priority = fields.Selection(PRIORITIES, compute="_compute_priority", store=True, readonly=False, index=True,
                                help="Rises with the member's level: top-level members first.")
    sla_id = fields.Many2one("vip.complaint.sla", string="SLA Policy", compute="_compute_sla_id", store=True,
                             readonly=False)
    response_deadline = fields.Datetime(compute="_compute_deadlines", store=True, index=True)
    resolution_deadline = fields.Datetime(compute="_compute_deadlines", store=True, index=True)
    first_response_date = fields.Datetime(readonly=True, copy=False)
    date_escalated = fields.Datetime(readonly=True, copy=False)
    date_resolved = fields.Datetime(readonly=True, copy=False)
    date_closed = fields.Datetime(readonly=True, copy=False)
    followup_date = fields.Datetime(string="Follow-up Sent", readonly=True, copy=False)
    sla_breached = fields.Boolean(string="SLA Breached", readonly=True, copy=False, index=True)
    outcome = fields.Selection(OUTCOMES, tracking=True)
    promised_date = fields.Date(tracking=True, help="The date promised to the customer when escalating.")
    resolution = fields.Text(help="The solution proposed and what was done.")
    satisfaction = fields.Selection(SATISFACTION, tracking=True, copy=False)
    points_entry_ids = fields.One2many("vip.points.entry", "complaint_id", string="Compensation Entries")
    compensation_points = fields.Integer(compute="_compute_compensation_points")

    _sql_constraints = [
        ("name_company_uniq", "unique(name, company_id)", "A complaint reference is unique per company."),
    ]

    # -- computes -----------------------------------------------------------------

    @api.depends("partner_id.vip_level_id", "partner_id.vip_level_id.sequence", "partner_id.vip_abc_class")
    def _compute_priority(self):
        levels_by_company = {}
        for complaint in self:
            partner = complaint.partner_id
            company = complaint.company_id or self.env.company
            if company.id not in levels_by_company:
                levels_by_company[company.id] = self.env["vip.level"].sudo().search(
                    [("company_id", "=", company.id)], order="sequence, id"
                ).ids
            ranks = levels_by_company[company.id]
            level = partner.vip_level_id
            rank = ranks.index(level.id) if level and level.id in ranks else None
            top_class = partner.vip_abc_class == "A"
            complaint.priority = complaint_engine.priority_from_rank(rank, len(ranks), top_class)

    @api.depends("severity", "company_id")
    def _compute_sla_id(self):
        for complaint in self:
            complaint.sla_id = self.env["vip.complaint.sla"]._vip_policy_for(
                complaint.severity, complaint.company_id or self.env.company
            )

    @api.depends("date_reported", "sla_id")
    def _compute_deadlines(self):
        # The policy in force when the complaint is recorded: editing a policy later does not move the
        # deadlines (and the breach history) of complaints already filed.
        for complaint in self:
            sla = complaint.sla_id
            if not sla or not complaint.date_reported:
                complaint.response_deadline = complaint.resolution_deadline = False
                continue
            calendar = complaint.company_id.resource_calendar_id
            complaint.response_deadline = complaint._vip_deadline(
                sla.response_time, sla.response_unit, calendar)
            complaint.resolution_deadline = complaint._vip_deadline(
                sla.resolution_time, sla.resolution_unit, calendar)

    def _vip_deadline(self, amount, unit, calendar):
        """UTC deadline ``amount`` ``unit`` after the report; working days follow ``calendar``."""
        start = self.date_reported
        if not complaint_engine.needs_calendar(unit):
            return complaint_engine.add_clock(start, amount, unit)
        days = int(amount)
        if days < 1:
            return start
        # Working days are counted in the shop's (else the company's) days, like every VIP date:
        # the n-th working day strictly after the report's day, at the report's time of day.
        tz = pytz.timezone((self.company_id or self.env.company)._vip_tz(self.shop_id))
        local_start = pytz.utc.localize(start).astimezone(tz)
        calendar = calendar or self.env.ref("resource.resource_calendar_std", raise_if_not_found=False)
        next_day = tz.localize(datetime.combine(local_start.date() + timedelta(days=1), time.min))
        last = calendar.sudo().plan_days(days, next_day, compute_leaves=True) if calendar else False
        if not last:
            raise UserError(self.env._(
                "The working calendar %(calendar)s has fewer than %(days)s working days ahead.",
                calendar=calendar.display_name, days=days,
            ))
        local_deadline = datetime.combine(last.astimezone(tz).date(), local_start.time())
        return tz.localize(local_deadline).astimezone(pytz.utc).replace(tzinfo=None)

    def _compute_compensation_points(self):
        for complaint in self:
            complaint.compensation_points = sum(complaint.points_entry_ids.mapped("points"))

    # -- constraints and input checks -------------------------------------------------

    @api.constrains("partner_id", "company_id")
    def _check_partner_company(self):
        for complaint in self:
            partner_company = complaint.partner_id.company_id
            if partner_company and partner_company != complaint.company_id:
                raise ValidationError(self.env._(
                    "%(partner)s belongs to %(other)s; a complaint of %(company)s cannot be filed for them.",
                    partner=complaint.partner_id.display_name, other=partner_company.name,
                    company=complaint.company_id.name,
                ))

    @api.constrains("promised_date")
    def _check_promised_date(self):
        for complaint in self:
            today = complaint.company_id._vip_today(complaint.shop_id)
            if complaint.promised_date and complaint.promised_date < today:
                raise ValidationError(self.env._(
                    "The promised date %(date)s is in the past: promise the customer a date from today on.",
                    date=complaint.promised_date,
                ))

    @api.constrains("date_reported")
    def _check_date_reported(self):
        now = fields.Datetime.now() + timedelta(minutes=5)
        for complaint in self:
            if complaint.date_reported > now:
                raise ValidationError(self.env._("A complaint cannot be reported in the future."))

    @api.constrains("pos_order_id", "pos_order_line_id", "partner_id")
    def _check_order_links(self):
        for complaint in self:
            line = complaint.pos_order_line_id
            if line and complaint.pos_order_id and line.order_id != complaint.pos_order_id:
                raise ValidationError(self.env._("The order line must belong to the complaint's POS order."))

    def _vip_check_satisfaction(self, vals):
        if "satisfaction" not in vals:
            return
        value = vals["satisfaction"]
        if value is False or value is None or value == "":
            return
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if value not in dict(SATISFACTION):
            raise ValidationError(self.env._(
                "Satisfaction is rated from 1 to 5; %(value)s is not a valid score.", value=vals["satisfaction"],
            ))
        vals["satisfaction"] = value

    # -- CRUD ---------------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._vip_check_satisfaction(vals)
            if vals.get("pos_order_line_id") and not vals.get("product_id"):
                vals["product_id"] = self.env["pos.order.line"].browse(vals["pos_order_line_id"]).product_id.id
            if vals.get("pos_order_id") and not vals.get("shop_id"):
                vals["shop_id"] = self.env["pos.order"].browse(vals["pos_order_id"]).config_id.id
            if not vals.get("name") or vals["name"] == "/":
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                vals["name"] = self.env["ir.sequence"].with_company(company).next_by_code(
                    "vip.complaint", sequence_date=vals.get("date_reported")
                ) or "/"
        complaints = super().create(vals_list)
        for complaint in complaints:
            if complaint.partner_id:
                complaint.message_subscribe(partner_ids=complaint.partner_id.ids)
        return complaints

    def write(self, vals):
        self._vip_check_satisfaction(vals)
        if "state" in vals and not self.env.context.get("vip_complaint_transition"):
            # a card dragged across the kanban takes the same step as its button, with the same rules
            vals = dict(vals)
            target = vals.pop("state")
            result = super().write(vals) if vals else True
            for complaint in self.filtered(lambda c: c.state != target):
                complaint._vip_move_to(target)
            return result
        return super().write(vals)

    @api.model
    def _vip_expand_states(self, states, domain):
        """Every stage is a kanban column, in the order of the lifecycle."""
        return [key for key, _label in STATES]

    def _vip_move_to(self, target):
        self.ensure_one()
        if target == "in_progress":
            return self.action_reopen() if self.state in ("resolved", "closed") else self.action_start()
        steps = {"escalated": self.action_escalate, "resolved": self.action_resolve, "closed": self.action_close}
        if target not in steps:
            raise UserError(self.env._("%(ref)s cannot go back to %(state)s.", ref=self.name,
                                       state=dict(STATES).get(target, target)))
        return steps[target]()

    def _vip_set_state(self, vals):
        return self.with_context(vip_complaint_transition=True).write(vals)

    @api.onchange("pos_order_line_id")
    def _onchange_pos_order_line_id(self):
        if self.pos_order_line_id:
            self.product_id = self.pos_order_line_id.product_id

    @api.onchange("pos_order_id")
    def _onchange_pos_order_id(self):
        if self.pos_order_id:
            self.shop_id = self.pos_order_id.config_id
            if not self.partner_id:
                self.partner_id = self.pos_order_id.partner_id

    # -- first response ----------------------------------------------------------------------

    def _message_post_after_hook(self, message, msg_values):
        result = super()._message_post_after_hook(message, msg_values)
        if (
            message.message_type in ("comment", "email_outgoing")
            and message.subtype_id and not message.subtype_id.internal
            and message.author_id not in self.partner_id
        ):
            self.filtered(lambda c: not c.first_response_date and c.state != "closed")._vip_mark_responded(
                message.date or fields.Datetime.now()
            )
        return result

    def _vip_mark_responded(self, when):
        for complaint in self:
            vals = {"first_response_date": when}
            if complaint_engine.response_breached(when, complaint.response_deadline, when):
                vals["sla_breached"] = True
            complaint.write(vals)

    # -- transitions ------------------------------------------------------------------------

    def _vip_transition(self, action, **flags):
        """Check one transition with the engine; returns the target state or raises UserError."""
        self.ensure_one()
        target, error = complaint_engine.transition(self.state, action, **flags)
        if error:
            state_label = dict(STATES)[self.state]
            messages = {
                "bad_state": self.env._("%(ref)s is %(state)s: this step is not possible now.",
                                        ref=self.name, state=state_label),
                "no_resolution": self.env._("Write the resolution before resolving %(ref)s.", ref=self.name),
                "no_outcome": self.env._(
                    "Set the outcome (fully, partly or not solvable) before closing %(ref)s.", ref=self.name),
                "no_promised_date": self.env._(
                    "Give the customer a promised date before escalating %(ref)s.", ref=self.name),
            }
            raise UserError(messages[error])
        return target

    def action_start(self):
        now = fields.Datetime.now()
        for complaint in self:
            complaint._vip_transition("start")
            if not complaint.first_response_date:
                complaint._vip_mark_responded(now)
            complaint._vip_set_state({"state": "in_progress"})
        return True

    def action_escalate(self):
        for complaint in self:
            complaint._vip_transition("escalate", has_promised_date=bool(complaint.promised_date))
            complaint._vip_escalate(self.env._("Escalated by %(user)s.", user=self.env.user.name))
        return True

    def action_resolve(self):
        now = fields.Datetime.now()
        for complaint in self:
            complaint._vip_transition("resolve", has_resolution=bool((complaint.resolution or "").strip()))
            vals = {"state": "resolved", "date_resolved": now}
            if not complaint.first_response_date:
                vals["first_response_date"] = now
            if complaint_engine.resolution_breached(now, complaint.resolution_deadline, now) or (
                complaint_engine.response_breached(now, complaint.response_deadline, vals.get(
                    "first_response_date", complaint.first_response_date))
            ):
                vals["sla_breached"] = True
            complaint._vip_set_state(vals)
        return True

    def action_close(self):
        now = fields.Datetime.now()
        for complaint in self:
            complaint._vip_transition("close", has_outcome=bool(complaint.outcome))
            complaint._vip_set_state({"state": "closed", "date_closed": now})
        return True

    def action_reopen(self):
        for complaint in self:
            complaint._vip_transition("reopen")
            complaint._vip_set_state({"state": "in_progress", "date_closed": False, "date_resolved": False})
        return True

    def _vip_escalation_user(self):
        self.ensure_one()
        if self.sla_id.escalation_user_id:
            return self.sla_id.escalation_user_id
        managers = self.env.ref("vip_loyalty.group_vip_manager").sudo().users.filtered(
            lambda u: not u.share and u.active and self.company_id in u.company_ids and u.id != 1
        )
        return managers.sorted("id")[:1] or self.user_id or self.env.user

    def _vip_escalate(self, reason, breached=False, now=None):
        """Escalate to the manager: state, activity, chatter note. Once per complaint."""
        now = now or fields.Datetime.now()
        for complaint in self:
            vals = {"state": "escalated"}
            if not complaint.date_escalated:
                vals["date_escalated"] = now
            if breached:
                vals["sla_breached"] = True
            complaint._vip_set_state(vals)
            manager = complaint._vip_escalation_user()
            complaint.activity_schedule(
                "vip_loyalty.mail_activity_vip_complaint_escalation",
                date_deadline=complaint.company_id._vip_local_date(now, complaint.shop_id),
                summary=self.env._("Escalated complaint %(ref)s", ref=complaint.name),
                note=escape(reason),
                user_id=manager.id,
            )
            complaint.message_post(
                body=Markup("<p>%s</p><p>%s</p>") % (
                    self.env._("Escalated to %(manager)s.", manager=manager.name), reason),
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )

    # -- compensation -------------------------------------------------------------------------

    def compensate_points(self, points, reason):
        """Write one ``compensation`` ledger entry linked to the complaint; returns it.

        VIP Managers may grant any amount; other VIP users up to their own
        compensation limit per complaint.
        """
        self.ensure_one()
        user = self.env.user
        if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
            raise UserError(self.env._("Compensation must be a positive whole number of points."))
        if not (reason or "").strip():
            raise UserError(self.env._("Say why the customer is compensated."))
        if self.state == "closed":
            raise UserError(self.env._("%(ref)s is closed: reopen it to compensate.", ref=self.name))
        if not user.has_group("vip_loyalty.group_vip_user"):
            raise AccessError(self.env._("Only VIP staff can compensate a customer."))
        is_manager = user.has_group("vip_loyalty.group_vip_manager")
        granted = sum(self.sudo().points_entry_ids.mapped("points"))
        limit = user.vip_compensation_limit
        if not complaint_engine.compensation_allowed(points, granted, limit, is_manager):
            raise AccessError(self.env._(
                "You may grant at most %(limit)s points per complaint (%(granted)s already granted on %(ref)s);"
                " ask a VIP Manager for %(points)s.",
                limit=limit, granted=granted, ref=self.name, points=points,
            ))
        partner = self.partner_id
        company = self.company_id
        today = company._vip_today(self.shop_id)
        vals = {
            "partner_id": partner.id,
            "company_id": company.id,
            "date": today,
            "points": points,
            "entry_type": "compensation",
            "complaint_id": self.id,
            "user_id": user.id,
            "rule_description": self.env._("Compensation for %(ref)s: %(reason)s",
                                           ref=self.name, reason=reason.strip()),
        }
        rule = self.env["vip.points.rule"]._for_company(company)
        if rule:
            vals["expiry_date"] = rule._expiry_date(today)
        entry = self.env["vip.points.entry"]._vip_post([vals])
        self.message_post(
            body=self.env._("%(points)s points granted as compensation: %(reason)s",
                            points=points, reason=reason.strip()),
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        return entry

    def action_open_compensate(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Compensate with points"),
            "res_model": "vip.complaint.compensate",
            "view_mode": "form",
            "target": "new",
            "context": {"default_complaint_id": self.id},
        }

    # -- cron ------------------------------------------------------------------------------------

    @api.model
    def _cron_complaints(self, now=None, batch_size=CRON_BATCH):
        """Escalate late complaints and send follow-ups; ``now`` comes from Python, re-runnable."""
        now = now or fields.Datetime.now()
        escalated = self._vip_cron_escalate(now, batch_size)
        followed = self._vip_cron_followup(now, batch_size)
        _logger.info("vip: complaints escalated %s, follow-ups sent %s", escalated, followed)
        return escalated, followed

    @api.model
    def _vip_safely(self, complaint, what, step):
        """Run one cron step for one complaint in a savepoint: a bad row is logged, never blocks the rest."""
        try:
            with self.env.cr.savepoint():
                step(complaint.with_company(complaint.company_id))
        except Exception:  # noqa: BLE001 - logged, the batch goes on
            _logger.exception("vip: could not %s complaint %s", what, complaint.id)
            return False
        return True

    def _vip_batches(self, ids, batch_size):
        for start in range(0, len(ids), batch_size):
            yield self.browse(ids[start:start + batch_size]), start + batch_size

    @api.model
    def _vip_cron_escalate(self, now, batch_size=CRON_BATCH):
        self.flush_model()
        self.env.cr.execute(
            """
            SELECT id FROM vip_complaint
             WHERE state IN ('new', 'in_progress') AND date_escalated IS NULL
               AND ((first_response_date IS NULL AND response_deadline < %(now)s)
                    OR resolution_deadline < %(now)s)
             ORDER BY priority DESC, id
            """,
            {"now": now},
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        done = 0
        for batch, end in self._vip_batches(ids, batch_size):
            for complaint in batch:
                if not complaint_engine.due_for_escalation(
                    complaint.state, now, complaint.response_deadline, complaint.first_response_date,
                    complaint.resolution_deadline, bool(complaint.date_escalated),
                ):
                    continue
                late = (self.env._("No answer to the customer by %(deadline)s.",
                                   deadline=complaint.response_deadline)
                        if complaint_engine.response_breached(now, complaint.response_deadline,
                                                              complaint.first_response_date)
                        else self.env._("Not resolved by %(deadline)s.", deadline=complaint.resolution_deadline))
                if self._vip_safely(complaint, "escalate", lambda c, late=late: c._vip_escalate(
                    self.env._("SLA missed: %(late)s Give the customer a promised date.", late=late),
                    breached=True, now=now,
                )):
                    done += 1
            self.env["res.partner"]._vip_commit_batch(done=min(end, len(ids)), remaining=max(len(ids) - end, 0))
        return done

    @api.model
    def _vip_cron_followup(self, now, batch_size=CRON_BATCH):
        self.flush_model()
        self.env.cr.execute(
            """
            SELECT c.id FROM vip_complaint c LEFT JOIN vip_complaint_sla s ON s.id = c.sla_id
             WHERE c.state = 'closed' AND c.followup_date IS NULL AND c.date_closed IS NOT NULL
               AND c.date_closed + make_interval(days => COALESCE(s.followup_days, 1)) <= %(now)s
             ORDER BY c.id
            """,
            {"now": now},
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        done = 0
        for batch, end in self._vip_batches(ids, batch_size):
            for complaint in batch:
                if self._vip_safely(complaint, "follow up", lambda c: c._vip_send_followup(now)):
                    done += 1
            self.env["res.partner"]._vip_commit_batch(done=min(end, len(ids)), remaining=max(len(ids) - end, 0))
        return done

    def _vip_send_followup(self, now):
        """Follow-up activity for the responsible, and the satisfaction question to the customer."""
        self.ensure_one()
        if self.followup_date:
            return
        self.write({"followup_date": now})
        owner = self.user_id or self.partner_id.vip_advisor_id or self._vip_escalation_user()
        self.activity_schedule(
            "vip_loyalty.mail_activity_vip_complaint_followup",
            date_deadline=self.company_id._vip_local_date(now, self.shop_id),
            summary=self.env._("Follow up %(ref)s: fully solved? Anything left?", ref=self.name),
            user_id=owner.id,
        )
        question = self.env._(
            "Dear %(name)s, we closed your complaint %(ref)s. Is it fully solved? Is anything left?"
            " Please rate how we handled it from 1 (very dissatisfied) to 5 (very satisfied) by replying"
            " to this message.",
            name=self.partner_id.name, ref=self.name,
        )
        # By the customer's channel (SMS for a mobile number), logged on the member.
        self.partner_id._vip_reach(
            "satisfaction", f"complaint{self.id}:satisfaction", None, Markup("<p>%s</p>") % question,
            company=self.company_id, record=self,
        )

    # -- KPIs --------------------------------------------------------------------------------------

    @api.model
    def _vip_kpis(self, domain, member_count, now=None):
        """Complaint KPIs for the monthly analysis over the complaints matching ``domain``."""
        now = now or fields.Datetime.now()
        facts = [
            complaint_engine.ComplaintFact(
                reported=c.date_reported,
                category=c.category_id.name or "",
                first_response=c.first_response_date or None,
                resolved=c.date_resolved or None,
                response_deadline=c.response_deadline or None,
                resolution_deadline=c.resolution_deadline or None,
                sla_breached=c.sla_breached,
                satisfaction=int(c.satisfaction) if c.satisfaction else None,
            )
            for c in self.search(domain)
        ]
        return complaint_engine.kpis(facts, member_count, now)
