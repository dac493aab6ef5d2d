from odoo import fields, models


class VipCardReplace(models.TransientModel):
    """Report a lost card or replace a damaged one: a new number, the old one traced."""

    _name = "vip.card.replace"
    _description = "Replace a VIP Card"

    partner_id = fields.Many2one("res.partner", required=True, domain=[("vip_state", "!=", "none")])
    current_card = fields.Char(related="partner_id.vip_card_number", string="Current card")
    kind = fields.Selection(
        [("lost", "Lost"), ("damaged", "Damaged"), ("other", "Other")], string="Cause", required=True, default="lost",
    )
    reason = fields.Char(required=True)
    new_card = fields.Char(
        string="New card number", help="Empty: the next number of the card sequence. Or scan a pre-printed card.",
    )

    def action_confirm(self):
        self.ensure_one()
        self.partner_id.vip_replace_card(self.reason, new_card=self.new_card, kind=self.kind)
        return {"type": "ir.actions.act_window_close"}
