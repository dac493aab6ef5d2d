# Kept apart from res_partner.py while issues are built in parallel; merge when convenient.
# pylint: disable=consider-merging-classes-inherited
from odoo import _, api, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..engine import profile as profile_engine


class ResPartner(models.Model):
    """Lost and replaced cards: a new number from the sequence, the old one kept and traced."""

    _inherit = "res.partner"

    def _vip_check_card_free(self, card, company):
        super()._vip_check_card_free(card, company)
        # A replaced number is never given again: scanned at the till it finds its member.
        if self and all(p.vip_card_number == card for p in self):
            return
        # Partners without a company share the current company's numbers.
        replaced = self._vip_replaced_card(card, company or self.env.company)
        if replaced:
            raise ValidationError(_(
                "The card number %(card)s was replaced on %(date)s and belongs to %(name)s; it cannot be given again.",
                card=card, date=replaced.date, name=replaced.partner_id.display_name,
            ))

    @api.model
    def _vip_replaced_card(self, card, company):
        """The replacement record of an old card number of ``company``, latest first."""
        if not card or not company:
            return self.env["vip.card.replacement"]
        return self.env["vip.card.replacement"].sudo().search(
            [("old_card_number", "=", card), ("company_id", "=", company.id)], limit=1,
        )

    def vip_replace_card(self, reason, new_card=None, kind="lost"):
        """Give the member a new card number (the next of the sequence, or ``new_card`` when a
        pre-printed card is handed out), record the replacement and return the new number."""
        self.ensure_one()
        if not self.env.su and not self.env.user.has_group("vip_loyalty.group_vip_advisor"):
            raise AccessError(_("Only VIP advisors and managers replace cards in the back office."))
        reason = (reason or "").strip()
        if not reason:
            raise UserError(_("Give the reason the card is replaced."))
        partner = self.sudo()
        if partner.vip_state in (False, "none") or not partner.vip_card_number:
            raise UserError(_("%s has no VIP card to replace.", partner.display_name))
        company = partner.company_id or self.env.company
        old_card = partner.vip_card_number
        if (new_card or "").strip():
            new_card = profile_engine.normalize_card(new_card)
            if not profile_engine.is_valid_card(new_card):
                raise ValidationError(_(
                    "The card number %(card)s is not valid: use 3 to 32 letters, digits or dashes.", card=new_card,
                ))
            if new_card == old_card:
                raise ValidationError(_("The new card number is the old one."))
            partner.browse()._vip_check_card_free(new_card, partner.company_id)
        else:
            new_card = partner.with_company(company)._vip_next_card_number()
        replacement = self.env["vip.card.replacement"].sudo().create({
            "old_card_number": old_card,
            "old_partner_id": partner.id,
            "partner_id": partner.id,
            "new_card_number": new_card,
            "company_id": company.id,
            "date": company._vip_today(),
            "reason": reason,
            "kind": kind,
            "user_id": self.env.user.id,
        })
        partner.write({"vip_card_number": new_card})
        partner.message_post(body=_(
            "Card %(old)s replaced by %(new)s (%(kind)s: %(reason)s).",
            old=old_card, new=new_card,
            kind=dict(replacement._fields["kind"]._description_selection(self.env))[kind], reason=reason,
        ))
        return new_card

    def action_vip_replace_card(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Report lost card / Replace card"),
            "res_model": "vip.card.replace",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_id": self.id},
        }

    # -- at the till ------------------------------------------------------------------------

    @api.model
    def vip_pos_lookup(self, query, config_id=None):
        """``vip_pos_search`` plus the warning the till shows when ``query`` is a replaced card."""
        ids = self.vip_pos_search(query, config_id=config_id)
        company = self._vip_pos_company(config_id)
        replaced = self._vip_replaced_card(profile_engine.normalize_card((query or "").strip()), company)
        warning = False
        if replaced and replaced.partner_id.id in ids:
            warning = {
                "partner_id": replaced.partner_id.id,
                "message": _(
                    "Card %(old)s was replaced on %(date)s (%(reason)s): the member's card is now %(new)s.",
                    old=replaced.old_card_number, date=replaced.date, reason=replaced.reason,
                    new=replaced.partner_id.vip_card_number,
                ),
            }
        return {"ids": ids, "warning": warning}

    @api.model
    def vip_pos_replace_card(self, partner_id, reason, config_id=None, card=None):
        """A lost card replaced at the till: the new number, and the fee item the till adds to the order."""
        company = self._vip_pos_company(config_id)
        partner = self._vip_pos_member(partner_id, company)
        if not partner:
            raise AccessError(_("This customer is not a member of this shop's company."))
        new_card = partner.vip_replace_card(reason, new_card=card, kind="lost")
        fee = self.env["vip.program"]._get_for_company(company).card_fee_product_id
        return {
            "card": new_card,
            "fee_product_id": fee.id or False,
            "message": _("New card %(card)s for %(name)s.", card=new_card, name=partner.name),
        }
