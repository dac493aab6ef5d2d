import logging

from odoo import api, fields, models

from ..engine import reach as reach_engine

_logger = logging.getLogger(__name__)

KINDS = [
    ("followup", "After-sale follow-up"),
    ("big_purchase_call", "Big purchase call"),
    ("month_call", "One-month call"),
    ("gift_call", "Gift call"),
    ("contact_step", "Contact plan step"),
    ("promotion", "Promotion notice"),
    ("greeting", "Greeting"),
    ("satisfaction", "Satisfaction question"),
    ("notice", "Notice before a loss"),
    ("voucher", "Year-end vouchers"),
    ("event", "Event invitation"),
]


class VipCareLog(models.Model):
    """One care touch per member and key: what makes the care crons re-runnable.

    The key names the touch (``order12:followup``, ``step3:2026-01-01:0``,
    ``promo4``); a second touch with the same key is never created.
    """

    _name = "vip.care.log"
    _description = "VIP Care Touch"
    _order = "date desc, id desc"
    _rec_name = "key"

    partner_id = fields.Many2one("res.partner", required=True, index=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    key = fields.Char(required=True, readonly=True)
    kind = fields.Selection(KINDS, required=True, readonly=True)
    date = fields.Date(required=True, readonly=True)
    user_id = fields.Many2one("res.users", string="Advisor", readonly=True)
    activity_id = fields.Many2one("mail.activity", ondelete="set null", readonly=True)
    channel = fields.Selection([("activity", "Activity"), ("message", "Message")], readonly=True)
    message_channel = fields.Selection(
        [("sms", "SMS"), ("email", "Email"), ("none", "Not reachable (logged only)")],
        string="Sent By", readonly=True,
    )
    message_text = fields.Text(string="Message Sent", readonly=True)

    _sql_constraints = [
        ("partner_key_uniq", "unique(partner_id, key)", "This care touch was already made."),
    ]

    @api.model
    def _vip_advisor(self, partner, fallback=None):
        """Who serves the member: their advisor, else their salesperson, else ``fallback``."""
        return partner.vip_advisor_id or partner.user_id or fallback or self.env.user

    @api.model
    def _vip_touch(self, touches, today):
        """Create the activities and messages of ``touches`` whose key is new; return the logs.

        A touch is a dict: ``partner`` (record), ``key``, ``kind``, ``user`` (record), and either
        ``activity_type`` (record), ``date_deadline``, ``summary``, ``note`` for an activity or
        ``body`` and ``subject`` for a message posted to the member.
        """
        if not touches:
            return self.browse()
        partner_ids = list({t["partner"].id for t in touches})
        self.flush_model()
        self.env.cr.execute(
            "SELECT partner_id, key FROM vip_care_log WHERE partner_id IN %s AND key IN %s",
            [tuple(partner_ids), tuple({t["key"] for t in touches})],
        )
        done = set(self.env.cr.fetchall())
        fresh = []
        for touch in touches:
            ident = (touch["partner"].id, touch["key"])
            if not touch.get("activity_type") and not reach_engine.may_receive(
                    touch["kind"], touch["partner"].vip_accepts_promotions):
                continue
            if ident not in done:
                done.add(ident)
                fresh.append(touch)
        if not fresh:
            return self.browse()
        partner_model = self.env["ir.model"]._get_id("res.partner")
        activity_touches = [t for t in fresh if t.get("activity_type")]
        # mail.activity subscribes the advisors per batch and trips over a member twice in one
        # batch: create in rounds that hold each member at most once.
        rounds = []
        for touch in activity_touches:
            for batch in rounds:
                if touch["partner"].id not in batch:
                    batch[touch["partner"].id] = touch
                    break
            else:
                rounds.append({touch["partner"].id: touch})
        activity_model = self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True)
        activity_by_ident = {}
        for batch in rounds:
            batch_touches = list(batch.values())
            activities = activity_model.create([
                {
                    "res_model_id": partner_model,
                    "res_model": "res.partner",  # given, so the create does not read ir.model for it
                    "res_id": t["partner"].id,
                    "activity_type_id": t["activity_type"].id,
                    "user_id": t["user"].id,
                    "date_deadline": t["date_deadline"],
                    "summary": t.get("summary"),
                    "note": t.get("note"),
                }
                for t in batch_touches
            ])
            for touch, activity in zip(batch_touches, activities, strict=True):
                activity_by_ident[(touch["partner"].id, touch["key"])] = activity
        for touch in fresh:
            if touch.get("activity_type"):
                continue
            # By the member's channel: SMS for a mobile number, email for who prefers it.
            touch["sent"] = touch["partner"]._vip_deliver(
                touch.get("subject"), touch["body"], touch.get("company") or touch["partner"].company_id
                or self.env.company,
            )
        return self.sudo().create([
            {
                "partner_id": t["partner"].id,
                "company_id": (t.get("company") or t["partner"].company_id or self.env.company).id,
                "key": t["key"],
                "kind": t["kind"],
                "date": today,
                "user_id": t["user"].id if t.get("user") else False,
                "activity_id": activity_by_ident.get((t["partner"].id, t["key"]), self.env["mail.activity"]).id,
                "channel": "activity" if t.get("activity_type") else "message",
                "message_channel": t["sent"][0] if t.get("sent") else False,
                "message_text": t["sent"][1] if t.get("sent") else False,
            }
            for t in fresh
        ])
