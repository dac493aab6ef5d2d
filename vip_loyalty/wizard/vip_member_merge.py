import logging

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..engine import adoption
from ..engine import levels as level_engine

_logger = logging.getLogger(__name__)


class VipMemberMerge(models.TransientModel):
    """Merge two member records of one person (two cards, found by the same phone).

    The survivor keeps its card. The duplicate's ledger is moved by reversal and
    adjustment pairs (never by editing entries), its orders follow the person, the
    survivor's level is re-evaluated, and the duplicate's card is recorded as replaced.
    """

    _name = "vip.member.merge"
    _description = "Merge Duplicate VIP Members"

    partner_id = fields.Many2one("res.partner", string="Survivor", required=True,
                                 domain=[("vip_state", "!=", "none")])
    duplicate_id = fields.Many2one("res.partner", string="Duplicate", required=True,
                                   domain=[("vip_state", "!=", "none")])
    survivor_balance = fields.Integer(related="partner_id.vip_points_balance", string="Survivor points")
    duplicate_balance = fields.Integer(related="duplicate_id.vip_points_balance", string="Duplicate points")
    reason = fields.Char(required=True, default=lambda self: _("Two cards for one person"))

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        ids = self.env.context.get("active_ids") or []
        if self.env.context.get("active_model") == "res.partner" and len(ids) == 2:
            older, newer = self.env["res.partner"].browse(sorted(ids))
            res.setdefault("partner_id", older.id)
            res.setdefault("duplicate_id", newer.id)
        return res

    @api.model
    def _vip_duplicate_groups(self, company=None):
        """Members sharing one phone (by digits), as lists of partner ids, oldest first."""
        company = company or self.env.company
        members = self.env["res.partner"].sudo().search(
            [("vip_state", "!=", "none"), ("phone", "!=", False),
             ("company_id", "in", [company.id, False])], order="id",
        )
        groups = {}
        for member in members:
            groups.setdefault(adoption.phone_key(member.phone), []).append(member.id)
        return [ids for digits, ids in groups.items() if digits and len(ids) > 1]

    def action_merge(self):
        self.ensure_one()
        if not self.env.user.has_group("vip_loyalty.group_vip_manager"):
            raise AccessError(_("Only VIP Managers can merge members."))
        survivor, duplicate = self.partner_id, self.duplicate_id
        if survivor == duplicate:
            raise UserError(_("Choose two different members."))
        if adoption.phone_key(survivor.phone) != adoption.phone_key(duplicate.phone):
            raise UserError(_(
                "%(a)s and %(b)s do not have the same phone; only duplicates of one person can be merged.",
                a=survivor.display_name, b=duplicate.display_name,
            ))
        self.sudo()._vip_merge(survivor.sudo(), duplicate.sudo(), self.reason)
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": survivor.id,
            "view_mode": "form",
        }

    def _vip_merge(self, survivor, duplicate, reason):
        entry_model = self.env["vip.points.entry"]
        entry_model._vip_lock_partners([survivor.id, duplicate.id])
        duplicate.invalidate_recordset(["vip_points_balance"])
        company = survivor.company_id or self.env.company
        today = company._vip_today()
        lots = entry_model._vip_open_lots([duplicate.id]).get(duplicate.id, [])
        balance = duplicate.vip_points_balance
        try:
            moves = adoption.plan_merge(
                [adoption.MergeLot(lot.id, lot.remaining, lot.expiry_date, lot.date) for lot in lots], balance,
            )
        except ValueError as exc:
            raise UserError(_("%(name)s: %(error)s", name=duplicate.display_name, error=exc)) from exc
        old_card, new_card = duplicate.vip_card_number, survivor.vip_card_number
        label = {
            "duplicate": _("merged into card %(card)s (%(reason)s)", card=new_card, reason=reason),
            "survivor": _("merged from card %(card)s (%(reason)s)", card=old_card, reason=reason),
        }
        vals_list = []
        for move in moves:
            vals = {
                "partner_id": (survivor if move.side == "survivor" else duplicate).id,
                "company_id": company.id,
                "date": today,
                "points": move.points,
                "entry_type": move.entry_type,
                "rule_description": label[move.side],
            }
            if move.remaining is not None:
                vals["remaining"] = move.remaining
            if move.expiry_date:
                vals["expiry_date"] = move.expiry_date
            if move.reversed_lot_id:
                vals["reversed_entry_id"] = move.reversed_lot_id
            vals_list.append(vals)
        entry_model._vip_post(vals_list)
        # The person's purchases follow them, so spend-based levels count both cards.
        orders = self.env["pos.order"].search([("partner_id", "=", duplicate.id)])
        if orders:
            orders.write({"partner_id": survivor.id})
        profile = {}
        for fname in ("vip_birthday", "email", "vip_gender", "vip_clothing_size", "vip_shoe_size"):
            if not survivor[fname] and duplicate[fname]:
                profile[fname] = duplicate[fname]
        if profile:
            survivor.write(profile)
        self._vip_merge_level(survivor, duplicate, company, today)
        self.env["vip.card.replacement"].create({
            "old_card_number": old_card,
            "old_partner_id": duplicate.id,
            "partner_id": survivor.id,
            "new_card_number": new_card,
            "company_id": company.id,
            "date": today,
            "reason": reason,
            "points_moved": balance,
        })
        duplicate.write({
            "vip_level_id": False, "vip_level_since": False, "vip_level_valid_until": False,
        })
        duplicate.write({"active": False})
        for partner, body in (
            (survivor, _("Merged with card %(card)s: %(points)s points moved.", card=old_card, points=balance)),
            (duplicate, _("Card replaced by %(card)s (%(name)s).", card=new_card, name=survivor.display_name)),
        ):
            partner.message_post(body=body)
        _logger.info("vip: merged partner %s (card %s) into %s (card %s), %s points",
                     duplicate.id, old_card, survivor.id, new_card, balance)
        return survivor

    def _vip_merge_level(self, survivor, duplicate, company, today):
        """The higher of the two levels, or what the combined purchases now qualify for."""
        specs = self.env["vip.level"]._specs_for_company(company)
        by_id = {s.id: s for s in specs}
        ordered = level_engine.sort_levels(specs)
        rank = {s.id: i for i, s in enumerate(ordered)}
        current = by_id.get(survivor.vip_level_id.id)
        candidates = []
        if duplicate.vip_level_id.id in by_id:
            candidates.append((by_id[duplicate.vip_level_id.id], _("merged card %s held it",
                                                                     duplicate.vip_card_number)))
        purchases = survivor._vip_purchases([survivor.id], company)
        survivor._vip_refresh_stats(purchases)
        best = level_engine.best_qualifying(specs, purchases[survivor.id], survivor.vip_points_balance, today)
        if best:
            candidates.append(best)
        if not candidates:
            return
        target, why = max(candidates, key=lambda c: rank[c[0].id])
        if current is not None and rank[target.id] <= rank[current.id]:
            return
        survivor._vip_apply_decision(level_engine.Decision(
            level_id=target.id, reason="upgrade", rule_description=_("merge: %s", why),
            valid_until=level_engine.validity_from(target, today), level_since=today, state="active",
        ), today)
