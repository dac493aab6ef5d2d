import logging

from odoo import api, fields, models

from ..engine import care as care_engine

_logger = logging.getLogger(__name__)


class VipContactStep(models.Model):
    """One step of the lifecycle contact plan: when, and how the member is contacted.

    Steps are counted from the first or the last purchase; lost members get no step.
    """

    _name = "vip.contact.step"
    _description = "VIP Contact Plan Step"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    anchor = fields.Selection(
        [("first_purchase", "First purchase"), ("last_purchase", "Last purchase")],
        required=True, default="first_purchase",
    )
    offset_days = fields.Integer(string="After (days)", required=True)
    window_days = fields.Integer(
        string="Window (days)", help="The step stays due this many days (a missed night is caught up).",
    )
    repeat_days = fields.Integer(string="Repeat every (days)", help="0: once.")
    stop_after_days = fields.Integer(string="Stop after (days)", help="No repetition after this day (0 = never).")
    active_within_days = fields.Integer(
        string="Only if bought within (days)",
        help="The step only applies while the last purchase is at most this old (0 = always).",
    )
    channel = fields.Selection(
        [("activity", "Advisor activity"), ("message", "Message to the member")],
        required=True, default="activity",
    )
    activity_type_id = fields.Many2one("mail.activity.type", default=lambda self: self.env.ref(
        "mail.mail_activity_data_call", raise_if_not_found=False))
    summary = fields.Char(translate=True)
    note = fields.Html(translate=True, help="Instructions for the advisor, or the message to the member.")

    _sql_constraints = [
        (
            "days_positive",
            "CHECK(offset_days >= 0 AND window_days >= 0 AND repeat_days >= 0 AND stop_after_days >= 0"
            " AND active_within_days >= 0)",
            "The days of a contact step cannot be negative.",
        ),
    ]

    def _to_spec(self):
        self.ensure_one()
        return care_engine.ContactStep(
            id=self.id,
            anchor=self.anchor,
            offset_days=self.offset_days,
            window_days=self.window_days,
            repeat_days=self.repeat_days,
            stop_after_days=self.stop_after_days,
            active_within_days=self.active_within_days,
        )

    @api.model
    def _cron_daily(self, today=None):
        """Contact-plan steps and promotion notices for every company; re-runnable per date."""
        for company in self.env["res.company"].sudo().search([]):
            day = today or company._vip_today()
            program = self.env["vip.program"].sudo()._get_for_company(company)
            self.with_company(company).sudo()._vip_run_plan(day, company, program.cron_batch_size or 1000)
            self.env["vip.promotion"].with_company(company).sudo()._vip_announce(day, company)

    @api.model
    def _vip_run_plan(self, today, company, batch_size):
        steps = self.search([("company_id", "=", company.id)])
        if not steps:
            return 0
        specs = [step._to_spec() for step in steps]
        step_by_id = {step.id: step for step in steps}
        self.env["res.partner"].flush_model()
        cr = self.env.cr
        # First and last paid purchase per member, in one query; lost members get no care.
        cr.execute(
            """
            SELECT p.id, MIN(o.date_order)::date, COALESCE(p.vip_last_purchase_date, MAX(o.date_order)::date)
              FROM res_partner p
              JOIN pos_order o ON o.partner_id = p.id AND o.state IN ('paid', 'done', 'invoiced')
                                AND o.amount_total > 0
             WHERE p.vip_state IN ('active', 'lapsed') AND p.active AND o.company_id = %s
             GROUP BY p.id
             ORDER BY p.id
            """,
            [company.id],
        )
        rows = cr.fetchall()
        made = 0
        care_log = self.env["vip.care.log"]
        for start in range(0, len(rows), batch_size):
            batch = rows[start:start + batch_size]
            partners = self.env["res.partner"].browse([r[0] for r in batch])
            touches = []
            for (_partner_id, first, last), partner in zip(batch, partners, strict=True):
                for due in care_engine.steps_due(specs, first, last, today):
                    step = step_by_id[due.step_id]
                    touch = {
                        "partner": partner,
                        "company": company,
                        "key": due.key,
                        "kind": "contact_step",
                        "user": care_log._vip_advisor(partner),
                    }
                    if step.channel == "activity":
                        touch.update({
                            "activity_type": step.activity_type_id
                            or self.env.ref("mail.mail_activity_data_call"),
                            "date_deadline": today,
                            "summary": step.summary or step.name,
                            "note": step.note,
                        })
                    else:
                        touch.update({"subject": step.summary or step.name, "body": step.note or step.name})
                    touches.append(touch)
            made += len(care_log._vip_touch(touches, today))
            done = min(start + batch_size, len(rows))
            _logger.info("vip: contact plan %s/%s members of %s (%s touches)", done, len(rows), company.name, made)
            self.env["res.partner"]._vip_commit_batch(done=done, remaining=len(rows) - done)
            partners.invalidate_recordset()
        return made
