import logging
from datetime import timedelta

from markupsafe import Markup, escape
from odoo import api, fields, models

from ..engine import reach as reach_engine

_logger = logging.getLogger(__name__)

CAUSES = [
    ("points_expiry", "Points about to expire"),
    ("level_expiry", "Level validity about to end"),
    ("silent", "Moved to the silent stage"),
]


class VipNoticeStep(models.Model):
    """A notice before the member loses something: points, their level, their place.

    Each step is sent by the member's channel at most once per cause and period (the
    points' expiry date, the level's end date, the last purchase before falling silent).
    """

    _name = "vip.notice.step"
    _description = "VIP Notice Before a Loss"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    cause = fields.Selection(CAUSES, required=True)
    days_before = fields.Integer(
        string="Days ahead", default=30, help="How many days before the loss the member is told.",
    )
    message = fields.Html(required=True, translate=True, help="What the member is told; details follow it.")
    advisor_task = fields.Boolean(
        string="Task for A-class members", default=True,
        help="The advisor of an A-class member also gets a call task.",
    )

    _sql_constraints = [
        ("days_positive", "CHECK(days_before >= 0)", "The days ahead of a notice cannot be negative."),
    ]

    @api.model
    def _cron_daily(self, today=None):
        for company in self.env["res.company"].sudo().search([]):
            self.with_company(company).sudo()._vip_send_notices(today or company._vip_today(), company)

    @api.model
    def _vip_send_notices(self, today, company, batch_size=1000):
        """Notices due on ``today`` for ``company``; re-runnable (one per cause and period)."""
        made = self.env["vip.care.log"]
        for step in self.search([("company_id", "=", company.id)]):
            due = step._vip_due(today, company)
            for start in range(0, len(due), batch_size):
                batch = due[start:start + batch_size]
                made |= step._vip_touch_batch(batch, today, company)
                done = start + len(batch)
                self.env["res.partner"]._vip_commit_batch(done=done, remaining=len(due) - done)
        return made

    def _vip_due(self, today, company):
        """[(partner id, NoticeDue, detail text)] of this step on ``today``."""
        self.ensure_one()
        cr = self.env.cr
        self.env["res.partner"].flush_model()
        self.env["vip.points.entry"].flush_model()
        horizon = today + timedelta(days=self.days_before)
        found = []
        if self.cause == "points_expiry":
            # The first expiry date in the window, and the points expiring that day.
            cr.execute(
                """
                SELECT DISTINCT ON (e.partner_id) e.partner_id, e.expiry_date,
                       SUM(e.remaining) OVER (PARTITION BY e.partner_id, e.expiry_date)
                  FROM vip_points_entry e JOIN res_partner p ON p.id = e.partner_id
                 WHERE e.company_id = %s AND e.remaining > 0 AND e.expiry_date >= %s AND e.expiry_date <= %s
                   AND p.active AND p.vip_state IN ('active', 'lapsed')
                 ORDER BY e.partner_id, e.expiry_date
                """,
                [company.id, today, horizon],
            )
            for partner_id, expiry, points in cr.fetchall():
                notice = reach_engine.notice_before(self.cause, expiry, self.days_before, today)
                if notice:
                    found.append((partner_id, notice, self.env._(
                        "%(points)s points expire after %(date)s.", points=points, date=expiry)))
        elif self.cause == "level_expiry":
            cr.execute(
                """
                SELECT p.id, p.vip_level_valid_until, l.id FROM res_partner p JOIN vip_level l ON l.id = p.vip_level_id
                 WHERE l.company_id = %s AND p.active AND p.vip_state = 'active'
                   AND p.vip_level_valid_until >= %s AND p.vip_level_valid_until <= %s
                """,
                [company.id, today, horizon],
            )
            for partner_id, until, level in cr.fetchall():
                notice = reach_engine.notice_before(self.cause, until, self.days_before, today)
                if notice:
                    found.append((partner_id, notice, self.env._(
                        "Your %(level)s level is valid until %(date)s.",
                        level=self.env["vip.level"].browse(level).name,
                        date=until)))
        elif self.cause == "silent":
            cr.execute(
                """
                SELECT p.id, p.vip_lifecycle_stage, p.vip_last_purchase_date FROM res_partner p
                  JOIN vip_level l ON l.id = p.vip_level_id
                 WHERE l.company_id = %s AND p.active AND p.vip_lifecycle_stage = 'silent'
                """,
                [company.id],
            )
            for partner_id, stage, last in cr.fetchall():
                notice = reach_engine.notice_on_stage(self.cause, stage, "silent", last)
                if notice:
                    found.append((partner_id, notice, ""))
        return found

    def _vip_touch_batch(self, batch, today, company):
        self.ensure_one()
        care_log = self.env["vip.care.log"]
        partners = self.env["res.partner"].browse([row[0] for row in batch])
        call_type = self.env.ref("mail.mail_activity_data_call")
        touches = []
        for (_pid, notice, detail), partner in zip(batch, partners, strict=True):
            body = Markup("%s<p>%s</p>") % (self.message or "", detail) if detail else self.message
            touches.append({
                "partner": partner, "company": company, "key": notice.key, "kind": "notice",
                "user": care_log._vip_advisor(partner), "subject": self.name, "body": body,
            })
            if self.advisor_task and partner.vip_abc_class == "A":
                touches.append({
                    "partner": partner, "company": company, "key": f"{notice.key}:task", "kind": "notice",
                    "user": care_log._vip_advisor(partner), "activity_type": call_type,
                    "date_deadline": today, "summary": self.name,
                    "note": Markup("<p>%s</p>") % escape(detail or self.name),
                })
        return care_log._vip_touch(touches, today)
