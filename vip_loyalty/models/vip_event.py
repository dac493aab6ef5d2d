from markupsafe import Markup
from odoo import api, fields, models
from odoo.exceptions import UserError


class VipEvent(models.Model):
    """A VIP event (a VIP session, a thank-you evening): who is invited, who came,
    what they bought that day."""

    _name = "vip.event"
    _description = "VIP Event"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True, translate=True)
    date = fields.Date(required=True, tracking=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    shop_id = fields.Many2one("pos.config", string="Shop", check_company=True)
    level_ids = fields.Many2many("vip.level", string="Invite Levels", check_company=True,
                                 help="Members of these levels are invited.")
    invite_classes = fields.Char(
        string="Invite ABC Classes", help="Comma separated, e.g. A,B: members of these classes are invited.",
    )
    description = fields.Html(translate=True, help="The invitation the members receive.")
    invitation_ids = fields.One2many("vip.event.invitation", "event_id", string="Invitations")
    invited_count = fields.Integer(compute="_compute_counts")
    attended_count = fields.Integer(compute="_compute_counts")
    sales_amount = fields.Monetary(string="Event Sales", compute="_compute_sales",
                                   help="Paid POS sales to the attendees on the event's day.")

    @api.depends("invitation_ids.state")
    def _compute_counts(self):
        for event in self:
            event.invited_count = len(event.invitation_ids)
            event.attended_count = len(event.invitation_ids.filtered(lambda i: i.state == "attended"))

    @api.depends("invitation_ids.sales_amount")
    def _compute_sales(self):
        for event in self:
            event.sales_amount = sum(event.invitation_ids.mapped("sales_amount"))

    def _vip_invitees(self):
        self.ensure_one()
        classes = [c.strip().upper() for c in (self.invite_classes or "").split(",") if c.strip()]
        if not self.level_ids and not classes:
            raise UserError(self.env._("Choose the levels or the ABC classes the event invites."))
        domain = [("vip_state", "=", "active"), ("vip_level_id.company_id", "=", self.company_id.id)]
        parts = []
        if self.level_ids:
            parts.append([("vip_level_id", "in", self.level_ids.ids)])
        if classes:
            parts.append([("vip_abc_class", "in", classes)])
        where = parts[0] if len(parts) == 1 else ["|", *parts[0], *parts[1]]
        return self.env["res.partner"].sudo().search(domain + where)

    def action_invite(self):
        """Invite the members of the chosen levels or classes, each once, told by their channel."""
        for event in self:
            invited = event.invitation_ids.partner_id
            new = event._vip_invitees() - invited
            self.env["vip.event.invitation"].create([{"event_id": event.id, "partner_id": p.id} for p in new])
            today = event.company_id._vip_today()
            body = event.description or Markup("<p>%s</p>") % self.env._(
                "You are invited to %(event)s on %(date)s.", event=event.name, date=event.date)
            for partner in new:
                partner._vip_reach("event", f"event{event.id}", event.name, body, company=event.company_id,
                                   today=today)
        return True
