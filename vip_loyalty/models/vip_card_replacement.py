from odoo import fields, models
from odoo.exceptions import UserError


class VipCardReplacement(models.Model):
    """A card number that was replaced by another one: two cards of one person merged, or a
    card reported lost or damaged. Kept so that an old card scanned at the till finds the
    member (with a warning) and is never given to anyone again."""

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
    kind = fields.Selection(
        [("merge", "Merged"), ("lost", "Lost"), ("damaged", "Damaged"), ("other", "Other")],
        string="Cause", required=True, default="merge", readonly=True,
    )
    # The names of the card contract (DESIGN §4).
    old_card = fields.Char(related="old_card_number", string="Old card")
    new_card = fields.Char(related="new_card_number", string="New card")
    points_moved = fields.Integer(readonly=True)
    user_id = fields.Many2one("res.users", default=lambda self: self.env.user, readonly=True)

    def write(self, vals):
        if not self.env.su:
            raise UserError(self.env._("A card replacement record cannot be edited."))
        return super().write(vals)
