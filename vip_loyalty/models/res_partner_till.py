# Kept apart from res_partner_pos.py while issues are built in parallel; merge when convenient.
# pylint: disable=consider-merging-classes-inherited
from odoo import _, models

from ..engine import benefits as benefits_engine
from ..engine import guards as guards_engine


class ResPartner(models.Model):
    """The till's guards on the member side: staff, qualifying level, best price."""

    _inherit = "res.partner"

    def _vip_is_staff(self, company):
        """The partner of one of ``company``'s own users or employees."""
        self.ensure_one()
        users = self.env["res.users"].sudo().with_context(active_test=False).search_count(
            [("partner_id", "=", self.id), ("share", "=", False), ("company_ids", "in", company.id)], limit=1,
        )
        if users:
            return True
        if "hr.employee" in self.env and "work_contact_id" in self.env["hr.employee"]._fields:
            return bool(self.env["hr.employee"].sudo().with_context(active_test=False).search_count(
                [("work_contact_id", "=", self.id), ("company_id", "=", company.id)], limit=1,
            ))
        return False

    def _vip_qualifying_level(self, company, program, engine_lines, lines, today):
        """The level this order lifts the member to (counted before member discounts), or nothing."""
        self.ensure_one()
        level_model = self.env["vip.level"].sudo()
        if not program.guard_qualifying_order or self.vip_state != "active":
            return level_model
        amount = sum(
            eline.unit_price * eline.quantity * (100.0 - float(line.get("discount") or 0.0)) / 100.0
            for eline, line in zip(engine_lines, lines, strict=True)
        )
        if amount <= 0:
            return level_model
        best = guards_engine.qualifying_level(
            self.env["vip.level"]._specs_for_company(company), self.vip_level_id.id,
            self._vip_purchases([self.id], company)[self.id], self.vip_points_balance, today, amount,
        )
        return level_model.browse(best[0].id) if best else level_model

    def _vip_best_prices(self, config, benefits, engine_lines, lines, products, today):
        """Lines where a walk-in customer (the till's own pricelist today) pays less than the
        member would: the member gets the walk-in price, named on the line and the receipt."""
        pricelist = config.pricelist_id
        if not pricelist:
            return benefits
        result = []
        currency = config.currency_id
        for benefit, eline, line, product in zip(benefits, engine_lines, lines, products, strict=True):
            percent = None
            if eline.quantity > 0 and eline.unit_price > 0:
                walkin = pricelist._get_product_price(product, eline.quantity, currency=currency, date=today)
                member = max(benefit.discount_percent, float(line.get("discount") or 0.0))
                percent = guards_engine.best_price_percent(eline.unit_price, member, walkin)
            if percent is None:
                result.append(benefit)
                continue
            member_price = eline.unit_price * (100.0 - benefit.discount_percent) / 100.0
            price, member_text = (currency.format(v) if currency else f"{v:.2f}" for v in (walkin, member_price))
            result.append(benefits_engine.LineBenefit(percent, "best_price", _(
                "Best price: %(price)s as for every customer today (member price %(member)s)",
                price=price, member=member_text,
            )))
        return result
