from odoo import fields, models
from odoo.exceptions import UserError


class VipCardReplacement(models.Model):
    """A card number that was replaced by another one, for example when two cards of one
    person were merged. Kept so that an old card scanned at the till can be traced."""

    _name = "vip.card.replacement"
    _description = "Replaced VIP Card"
    _order = "date desc, id desc"
    _rec_name = "old_card_number"

    old_card_number = fields.Char(required=True, index=True, readonly=True)
    old_partner_id = fields.Many2one("res.partner", string="Former holder", required=True, index=True,
                                     ondelete="restrict", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Member", required=True, index=True,
                                 ondelete="restrict", readonly=True)
    new_card_number = fields.Char(readonly=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True,
                                 default=lambda self: self.env.company)
    date = fields.Date(required=True, readonly=True, default=lambda self: self.env.company._vip_today())
    reason = fields.Char(required=True, readonly=True)
    points_moved = fields.Integer(readonly=True)
    user_id = fields.Many2one("res.users", default=lambda self: self.env.user, readonly=True)

    def write(self, vals):
        if not self.env.su:
            raise UserError(self.env._("A card replacement record cannot be edited."))
        return super().write(vals)
