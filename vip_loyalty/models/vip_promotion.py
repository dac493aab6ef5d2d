from odoo import api, fields, models

from ..engine import care as care_engine


class VipPromotion(models.Model):
    """A promotion announced ahead: a phone task for key members, a message for the others."""

    _name = "vip.promotion"
    _description = "VIP Promotion Announcement"
    _inherit = ["mail.thread"]
    _order = "date_start desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    date_start = fields.Date(string="Starts On", required=True, tracking=True)
    notice_days = fields.Integer(
        string="Announce (days ahead)",
        default=lambda self: self.env["vip.program"]._get_for_company(self.env.company).care_promotion_notice_days,
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    level_ids = fields.Many2many(
        "vip.level", "vip_promotion_level_rel", string="Target Levels", check_company=True,
        help="Members targeted; empty means every active member.",
    )
    key_level_ids = fields.Many2many(
        "vip.level", "vip_promotion_key_level_rel", string="Key Levels (phone)", check_company=True,
        help="When members are not ABC-classified: members of these levels get a phone call, the rest a message.",
    )
    message = fields.Html(required=True, help="What the members are told.")
    state = fields.Selection(
        [("draft", "Draft"), ("scheduled", "Scheduled"), ("announced", "Announced")],
        default="draft", required=True, tracking=True,
        string="Status",
    )
    date_announced = fields.Date(readonly=True)
    call_count = fields.Integer(readonly=True)
    message_count = fields.Integer(readonly=True)

    _sql_constraints = [
        ("notice_positive", "CHECK(notice_days >= 0)", "The notice period cannot be negative."),
    ]

    def action_schedule(self):
        self.write({"state": "scheduled"})

    def _vip_is_key(self, partner):
        """A-class members get a call; members not classified yet, those of the key levels."""
        if partner.vip_abc_class:
            return partner.vip_abc_class == "A"
        return partner.vip_level_id in self.key_level_ids

    @api.model
    def _vip_announce(self, today, company):
        promotions = self.search([("company_id", "=", company.id), ("state", "=", "scheduled")])
        call_type = self.env.ref("mail.mail_activity_data_call")
        care_log = self.env["vip.care.log"]
        due = promotions.filtered(lambda p: care_engine.promotion_notice_due(p.date_start, p.notice_days, today))
        for promo in due:
            domain = [("vip_state", "=", "active"), ("vip_level_id.company_id", "=", company.id)]
            if promo.level_ids:
                domain.append(("vip_level_id", "in", promo.level_ids.ids))
            # Promotions only to members who accepted them (greetings carry no advertising).
            domain.append(("vip_accepts_promotions", "=", "yes"))
            members = self.env["res.partner"].search(domain)
            touches = []
            for partner in members:
                touch = {"partner": partner, "company": company, "key": f"promo{promo.id}", "kind": "promotion",
                         "user": care_log._vip_advisor(partner)}
                if promo._vip_is_key(partner):
                    touch.update({
                        "activity_type": call_type,
                        "date_deadline": today,
                        "summary": self.env._("Announce: %(promo)s", promo=promo.name),
                        "note": promo.message,
                    })
                else:
                    touch.update({"subject": promo.name, "body": promo.message})
                touches.append(touch)
            logs = care_log._vip_touch(touches, today)
            promo.write({
                "state": "announced",
                "date_announced": today,
                "call_count": promo.call_count + len(logs.filtered(lambda entry: entry.channel == "activity")),
                "message_count": promo.message_count + len(logs.filtered(lambda entry: entry.channel == "message")),
            })
        return promotions
