from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..engine import liability as liability_engine
from ..models.vip_program import REPORT_GROUPS
from ..models.vip_replica import replica_env


class VipLiabilityReport(models.AbstractModel):
    """The points liability roll-forward per month, for the company and per shop."""

    _name = "report.vip_loyalty.report_vip_liability"
    _description = "VIP Points Liability Report"

    @api.model
    def _vip_check_access(self):
        if not self.env.su and not any(self.env.user.has_group(g) for g in REPORT_GROUPS):
            raise AccessError(self.env._("Only accountants and VIP managers read the points liability."))

    @api.model
    def _vip_liability_data(self, company, month_from, month_to):
        """Every section as plain lists, shared by the PDF and the XLSX export; read from the
        read replica when the server has one."""
        self._vip_check_access()
        with replica_env(self.env) as reader:
            if reader is self.env:
                return self._vip_liability_read(company, month_from, month_to)
            data = self.with_env(reader)._vip_liability_read(company.with_env(reader), month_from, month_to)
        return {**data, "company": company, "currency": company.currency_id}

    @api.model
    def _vip_liability_read(self, company, month_from, month_to):
        month_from = liability_engine.month_start(fields.Date.to_date(month_from))
        month_to = liability_engine.month_start(fields.Date.to_date(month_to))
        if month_from > month_to:
            raise UserError(self.env._("The first month is after the last one."))
        program = self.env["vip.program"].sudo()._get_for_company(company)
        currency = company.currency_id
        months = liability_engine.months_between(month_from, month_to)
        estimates = {}
        for month in months:
            move = program._vip_liability_moves(month)[:1]
            estimates[month] = (move.vip_point_value, move.vip_breakage_rate) if move else (
                program.point_value, program.breakage_rate)
        before = program._vip_liability_moves(liability_engine.add_months(month_from, -1))[:1]
        opening_estimate = (before.vip_point_value, before.vip_breakage_rate) if before else None
        end = liability_engine.month_end(month_to)
        scale = 10 ** currency.decimal_places

        def section(ledger, shop_id):
            opening = sum(v[0] - v[1] - v[2] for (m, s), v in ledger.items() if s == shop_id and m < month_from)
            points = [liability_engine.MonthPoints(m, *ledger.get((m, shop_id), [0, 0, 0])) for m in months]
            return [{
                "month": r.month, "opening": r.opening, "earned": r.earned, "redeemed": r.redeemed,
                "expired": r.expired, "closing": r.closing, "point_value": r.point_value,
                "breakage_rate": r.breakage_rate, "opening_amount": r.opening_cents / scale,
                "earned_amount": r.earned_cents / scale, "redeemed_amount": r.redeemed_cents / scale,
                "expired_amount": r.expired_cents / scale, "catchup_amount": r.catchup_cents / scale,
                "closing_amount": r.closing_cents / scale,
            } for r in liability_engine.report_rows(
                opening, points, estimates, currency.decimal_places, opening_estimate)]

        company_rows = section(program._vip_ledger_months(end), None)
        for row in company_rows:
            row["posted_amount"] = program._vip_booked_cents(liability_engine.month_end(row["month"])) / scale
        by_shop = program._vip_ledger_months(end, by_shop=True)
        shop_ids = sorted({s for _m, s in by_shop if s}) + ([None] if any(s is None for _m, s in by_shop) else [])
        shops = self.env["pos.config"].sudo().browse([s for s in shop_ids if s])
        names = {shop.id: shop.name for shop in shops}
        breakage = [{
            "month": month,
            "assumed": estimates[month][1],
            "observed_12": program._vip_observed_breakage(liability_engine.month_end(month), 12),
            "observed_24": program._vip_observed_breakage(liability_engine.month_end(month), 24),
        } for month in months]
        return {
            "company": company,
            "currency": currency,
            "month_from": month_from,
            "month_to": month_to,
            "rows": company_rows,
            "shops": [{"name": names.get(s) or self.env._("No shop"), "rows": section(by_shop, s)} for s in shop_ids],
            "breakage": breakage,
            "configured": bool(program.liability_journal_id),
        }

    @api.model
    def _get_report_values(self, docids, data=None):
        data = data or {}
        if not data.get("month_from") or not data.get("month_to"):
            raise UserError(self.env._("Choose the months to print."))
        company = self.env["res.company"].browse(data.get("company_id")) or self.env.company
        if company not in self.env.user.company_ids:
            raise AccessError(self.env._("You are not allowed in this company."))
        return {
            "doc_ids": docids,
            "doc_model": "vip.liability.report",
            "docs": [self._vip_liability_data(company, data["month_from"], data["month_to"])],
            "fmt_rate": lambda v: f"{v * 100:.1f}%",
        }
