from markupsafe import Markup, escape
from odoo import fields, models
from odoo.tools import html2plaintext, is_html_empty

from ..engine import reach as reach_engine

CHANNELS = [("sms", "SMS"), ("email", "Email")]


class ResPartner(models.Model):
    _inherit = "res.partner"  # pylint: disable=consider-merging-classes-inherited

    vip_channel = fields.Selection(
        CHANNELS, string="Preferred Channel",
        help="How the member wants to be told (greetings, notices, vouchers). Empty: the programme's default.",
    )

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
