from markupsafe import Markup
from odoo import fields, models
from odoo.exceptions import AccessError, UserError

from ..engine import levels as level_engine


class VipLevelChange(models.TransientModel):
    """A manager sets a member's level by hand; the reason goes into the level history."""

    _name = "vip.level.change"
    _description = "Change VIP Level"

    partner_id = fields.Many2one("res.partner", string="Member", required=True, domain=[("vip_state", "!=", "none")])
    current_level_id = fields.Many2one(related="partner_id.vip_level_id", string="Current Level")
    level_id = fields.Many2one("vip.level", string="New level", required=True)
    valid_until = fields.Date()
    reason = fields.Char(required=True)

    def action_confirm(self):
        self.ensure_one()
        if not self.env.user.has_group("vip_loyalty.group_vip_manager"):
            raise AccessError(self.env._("Only VIP Managers can change a level by hand."))
        if not (self.reason or "").strip():
            raise UserError(self.env._("A level change needs a reason."))
        today = (self.partner_id.company_id or self.env.company)._vip_today()
        before = self.partner_id.vip_level_id
        self.partner_id._vip_apply_decision(
            level_engine.Decision(
                level_id=self.level_id.id,
                reason="manual",
                rule_description=self.reason.strip(),
                valid_until=self.valid_until or None,
                level_since=today,
                state="active",
            ),
            today,
        )
        self.partner_id.sudo().message_post(body=Markup("%s<br/>%s") % (
            self.env._("Level changed by hand: %(old)s → %(new)s",
                       old=before.name or self.env._("none"), new=self.level_id.name),
            self.env._("Reason: %s", self.reason.strip()),
        ))
        return {"type": "ir.actions.act_window_close"}
