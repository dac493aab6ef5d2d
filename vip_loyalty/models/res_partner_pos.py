# Kept apart from res_partner.py while issues are built in parallel; merge when convenient.
# pylint: disable=consider-merging-classes-inherited
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..engine import benefits as benefits_engine
from ..engine import points as points_engine
from ..engine import profile as profile_engine


class ResPartner(models.Model):
    """What the POS terminal needs: small start-up fields, and one member's data on demand."""

    _inherit = "res.partner"

    @api.model
    def _load_pos_data_fields(self, config_id):
        # Only two small columns per loaded partner: the terminal fetches a member's VIP data
        # (level, balance, lots) when the cashier selects them, never all members at start.
        return [*super()._load_pos_data_fields(config_id), "vip_card_number", "vip_state"]

    # -- helpers ----------------------------------------------------------------------------

    @api.model
    def _vip_pos_check_access(self):
        # Cashiers are POS users with no VIP group: they reach members only through these
        # methods, which check the terminal and the member before reading anything as superuser.
        user = self.env.user
        if not (user.has_group("point_of_sale.group_pos_user") or user.has_group("vip_loyalty.group_vip_user")):
            raise AccessError(_("Only POS users and VIP users can see or enrol members at the terminal."))

    @api.model
    def _vip_pos_config(self, config_id):
        """The terminal a call names, never trusted as given: it must exist, be readable by the
        user and belong to one of the user's allowed companies. No terminal: the current company."""
        self._vip_pos_check_access()
        config = self.env["pos.config"]
        if not config_id:
            return config
        config = config.browse(int(config_id)).exists()
        if not config or not config.has_access("read") or config.sudo().company_id not in self.env.companies:
            raise AccessError(_("This terminal is not one of your companies' terminals."))
        return config

    @api.model
    def _vip_pos_company(self, config_id):
        config = self._vip_pos_config(config_id)
        return config.company_id if config else self.env.company

    @api.model
    def _vip_pos_member(self, partner_id, company):
        """The partner as superuser when the user may read it and it belongs to ``company``
        (or to no company); otherwise an empty recordset, so nothing of theirs is returned."""
        partner = self.browse(int(partner_id)).exists() if partner_id else self.browse()
        if not partner or not partner.has_access("read"):
            return self.browse()
        partner = partner.sudo()
        if partner.company_id and partner.company_id != company:
            return self.browse()
        return partner

    def _vip_expiring_lots(self, company, today, days):
        """Open lots of this member expiring within ``days`` days: [(date, points)], soonest first."""
        self.ensure_one()
        if days <= 0:
            return []
        groups = self.env["vip.points.entry"].sudo()._read_group(
            [
                ("partner_id", "=", self.id), ("company_id", "=", company.id), ("remaining", ">", 0),
                ("expiry_date", ">=", today), ("expiry_date", "<=", today + timedelta(days=days)),
            ],
            ["expiry_date:day"], ["remaining:sum"], order="expiry_date:day",
        )
        return list(groups)

    def _vip_benefit_config(self, company, program):
        self.ensure_one()
        level = self.vip_level_id.sudo()
        lowest = self.env["vip.level"].sudo().search([("company_id", "=", company.id)], limit=1)
        active = self.vip_state == "active" and bool(level)
        return benefits_engine.BenefitConfig(
            level_name=level.name or "",
            level_percent=level.discount_percent if active else 0.0,
            is_base_level=not active or level == lowest,
            birthday_percent=level.birthday_discount_percent if active else 0.0,
            member_day_percent=level.member_day_discount_percent if active else 0.0,
            member_day=program.member_day,
            stack_floor_percent=program.stack_floor_percent,
            birthday=self.vip_birthday or None,
        )

    # -- RPC used by the terminal -----------------------------------------------------------

    @api.model
    def vip_pos_search(self, query, config_id=None):
        """Members whose card number is ``query`` or whose phone matches: ids, at most 20."""
        company = self._vip_pos_company(config_id)
        query = (query or "").strip()
        if not query:
            return []
        company_domain = [("company_id", "in", [False, company.id])]
        card = profile_engine.normalize_card(query)
        partners = self.search([("vip_card_number", "=", card), *company_domain], limit=1)
        if not partners:
            partners = self._vip_find_by_phone(query, company_domain, limit=20)
        return partners.ids

    @api.model
    def _vip_find_by_phone(self, phone, extra_domain, limit):
        """Partners whose phone is the same number, with or without country code and separators."""
        digits = profile_engine.phone_digits(phone)
        if len(digits) < 6:
            return self.browse()
        self.flush_model(["phone", "mobile"])
        self.env.cr.execute(
            """
            SELECT id FROM res_partner
             WHERE REGEXP_REPLACE(COALESCE(phone, ''), '[^0-9]', '', 'g') LIKE %(tail)s
                OR REGEXP_REPLACE(COALESCE(mobile, ''), '[^0-9]', '', 'g') LIKE %(tail)s
             LIMIT 200
            """,
            {"tail": "%" + digits[-8:]},
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        candidates = self.with_context(active_test=False).search([("id", "in", ids), *extra_domain])
        return candidates.filtered(lambda p: any(
            a.endswith(b) for a, b in [(profile_engine.phone_digits(p.phone), digits),
                                       (digits, profile_engine.phone_digits(p.phone))]
            if b and len(b) >= 6
        ))[:limit]

    @api.model
    def vip_pos_member_summary(self, partner_id, config_id=None):
        """The selected member's VIP data for the terminal's member panel (one member, O(1))."""
        company = self._vip_pos_company(config_id)
        partner = self._vip_pos_member(partner_id, company)
        if not partner:
            return {}
        program = self.env["vip.program"]._get_for_company(company)
        rule = self.env["vip.points.rule"]._for_company(company)
        today = company._vip_today(self._vip_pos_config(config_id))
        lots = partner._vip_expiring_lots(company, today, program.pos_expiry_warning_days)
        balance = partner.vip_points_balance
        cfg = partner._vip_benefit_config(company, program)
        complaints = partner.vip_complaint_open_count
        ladder = {}
        if rule:
            ladder = {
                "gift_cap": rule._vip_gift_cap(balance),
                "first_points": rule.ladder_first_points,
                "cash_value": points_engine.cash_value(balance, rule.cash_points_block, rule.cash_block_value)
                if rule.cash_points_block > 0 else 0.0,
            }
        return {
            "id": partner.id,
            "name": partner.name,
            "card": partner.vip_card_number or "",
            "state": partner.vip_state,
            "is_member": partner.vip_state not in ("none", False),
            "level_name": partner.vip_level_id.name or "",
            "level_code": partner.vip_level_id.code or "",
            "level_color": partner.vip_level_id.color or 0,
            "balance": balance,
            "expiring": [{"date": fields.Date.to_string(day), "points": pts} for day, pts in lots],
            "expiring_points": sum(pts for _day, pts in lots),
            "expiry_days": program.pos_expiry_warning_days,
            "birthday": fields.Date.to_string(partner.vip_birthday) if partner.vip_birthday else "",
            "birthday_month": bool(partner.vip_birthday and partner.vip_birthday.month == today.month),
            "advisor": partner.vip_advisor_id.name or "",
            "complaints": complaints,
            "member_day": bool(cfg.member_day and today.day == cfg.member_day),
            "level_percent": cfg.level_percent,
            "is_base_level": cfg.is_base_level,
            "ladder": ladder,
            # Planned gifts the cashier can hand over now (birthday, holiday, welcome...).
            "gifts": self.env["vip.gift.issue"].sudo()._vip_open_gifts_data(partner, company),
        }

    @api.model
    def vip_pos_benefits(self, partner_id, lines, config_id=None):
        """Named discounts for order lines ``[{product_id, price_unit, qty, discount}]``, in order;
        ``discount`` is what the cashier typed on the line (see ``_vip_pos_line_benefit``)."""
        company = self._vip_pos_company(config_id)
        partner = self._vip_pos_member(partner_id, company)
        if not partner or not lines:
            return [{"discount": 0.0, "kind": "none", "label": ""} for _line in lines or []]
        program = self.env["vip.program"]._get_for_company(company)
        cfg = partner._vip_benefit_config(company, program)
        products = self.env["product.product"].browse({int(line["product_id"]) for line in lines}).exists()
        by_id = {p.id: p for p in products}
        engine_lines = []
        for line in lines:
            product = by_id.get(int(line["product_id"]))
            if not product:
                raise UserError(_("Unknown product on the order."))
            engine_lines.append(benefits_engine.BenefitLine(
                unit_price=float(line.get("price_unit") or 0.0),
                list_price=product.lst_price,
                quantity=float(line.get("qty") or 0.0),
                special_price=product.vip_special_price,
            ))
        today = company._vip_today(self.env["pos.config"].browse(config_id).exists())
        result = benefits_engine.apply_benefits(cfg, engine_lines, today)
        return [self._vip_pos_line_benefit(b, line.get("discount")) for b, line in zip(result, lines, strict=True)]

    @api.model
    def _vip_pos_line_benefit(self, member, typed):
        """The member benefit against the discount the cashier typed on the line: the higher applies."""
        try:
            typed = float(typed or 0.0)
            applied = benefits_engine.with_cashier_discount(member, typed)
        except (TypeError, ValueError) as exc:
            raise UserError(_("A line discount is between 0 and 100%.")) from exc
        label = applied.label
        if applied.kind == "cashier":
            label = _("Cashier discount %(typed)s%%", typed=f"{typed:g}")
            if member.kind != "none":
                label = _(
                    "Cashier discount %(typed)s%% (member %(member)s%% not applied)",
                    typed=f"{typed:g}", member=f"{member.discount_percent:g}",
                )
        elif typed > 0 and applied.kind != "none":
            label = _("%(label)s (cashier %(typed)s%% not applied)", label=applied.label, typed=f"{typed:g}")
        return {"discount": applied.discount_percent, "kind": applied.kind, "label": label}

    @api.model
    def vip_pos_enrol(self, name, phone, config_id=None, card=None):
        """Quick enrolment at the till: name and phone; the server assigns the card unless one is scanned."""
        config = self._vip_pos_config(config_id)
        company = config.company_id if config else self.env.company
        name = (name or "").strip()
        phone = (phone or "").strip()
        if not name:
            raise ValidationError(_("Give the new member's name."))
        if not profile_engine.is_valid_phone(phone):
            raise ValidationError(_(
                "The phone number %(phone)s is not valid: 6 to 15 digits, with an optional +.", phone=phone,
            ))
        duplicate = self.sudo()._vip_find_by_phone(phone, [("company_id", "in", [False, company.id])], limit=1)
        if duplicate:
            raise ValidationError(_(
                "The phone number %(phone)s already belongs to %(name)s%(card)s.",
                phone=phone, name=duplicate.display_name,
                card=_(" (card %s)", duplicate.vip_card_number) if duplicate.vip_card_number else "",
            ))
        vals = {"name": name, "phone": phone}
        if (card or "").strip():
            card = profile_engine.normalize_card(card)
            if not profile_engine.is_valid_card(card):
                raise ValidationError(_(
                    "The card number %(card)s is not valid: use 3 to 32 letters, digits or dashes.", card=card,
                ))
            self.browse()._vip_check_card_free(card, self.env["res.company"])
            vals["vip_card_number"] = card
        # A cashier may not create contacts in the back office: this creation is controlled here.
        partner = self.sudo().create(vals)
        partner._vip_enrol(shop=config or None, advisor=self.env.user)
        return partner.id

    @api.model
    def vip_pos_gift_quote(self, partner_id, product_id, config_id=None):
        """Points a gift item costs on the ladder, and whether the member can have it now."""
        company = self._vip_pos_company(config_id)
        partner = self._vip_pos_member(partner_id, company)
        product = self.env["product.product"].browse(product_id).exists()
        if not partner or partner.vip_state in (False, "none") or not product:
            return {"ok": False, "message": _("Only a member can redeem points.")}
        if product.vip_special_price:
            return {"ok": False, "message": _("%s is a special-price item and cannot be a points gift.",
                                               product.display_name)}
        rule = self.env["vip.points.rule"]._for_company(company)
        if not rule:
            return {"ok": False, "message": _("No points rule is configured.")}
        try:
            needed = rule._vip_gift_points(product.lst_price)
        except ValueError as error:
            return {"ok": False, "message": str(error)}
        if needed > partner.vip_points_balance:
            return {"ok": False, "points": needed, "message": _(
                "%(name)s has %(balance)s points; %(product)s (list price %(price).2f) needs %(needed)s.",
                name=partner.name, balance=partner.vip_points_balance, product=product.display_name,
                price=product.lst_price, needed=needed,
            )}
        return {
            "ok": True,
            "points": needed,
            "label": _("Points gift: %s pts", needed),
            "message": _("%(product)s for %(needed)s points.", product=product.display_name, needed=needed),
        }

    @api.model
    def vip_pos_cash_quote(self, partner_id, amount_due, config_id=None):
        """Points that can pay the order at cash value: whole blocks, within the balance and
        never more than the amount due. The server checks again when the order is synced."""
        company = self._vip_pos_company(config_id)
        partner = self._vip_pos_member(partner_id, company)
        if not partner or partner.vip_state in (False, "none"):
            return {"ok": False, "message": _("Only a member can redeem points.")}
        rule = self.env["vip.points.rule"]._for_company(company)
        if not rule or not rule.cash_product_id or rule.cash_points_block <= 0 or rule.cash_block_value <= 0:
            return {"ok": False, "message": _("Paying with points is not configured on the points rule.")}
        blocks = min(
            partner.vip_points_balance // rule.cash_points_block,
            int((amount_due or 0.0) // rule.cash_block_value),
        )
        if blocks <= 0:
            return {"ok": False, "message": _(
                "%(name)s has %(balance)s points; paying needs blocks of %(block)s points.",
                name=partner.name, balance=partner.vip_points_balance, block=rule.cash_points_block,
            )}
        points = blocks * rule.cash_points_block
        value = points_engine.cash_value(points, rule.cash_points_block, rule.cash_block_value)
        return {
            "ok": True,
            "points": points,
            "value": value,
            "product_id": rule.cash_product_id.id,
            "label": _("Points payment: %s pts", points),
            "message": _("%(points)s points pay %(value).2f.", points=points, value=value),
        }
