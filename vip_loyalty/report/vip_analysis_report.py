from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..engine import analysis as analysis_engine
from ..models.vip_replica import replica_env

PAID_STATES = ("paid", "done", "invoiced")


class VipAnalysisReport(models.AbstractModel):
    """The monthly VIP analysis per shop: the month, the previous month and the same month last year."""

    _name = "report.vip_loyalty.report_vip_analysis"
    _description = "VIP Monthly Analysis Report"

    @api.model
    def _kpi_lines(self):
        """(label, field, kind) of the summary section; kind is count, money, rate or number."""
        return [
            (_("Member base"), "member_count", "count"),
            (_("New members"), "new_member_count", "count"),
            (_("New member target"), "new_member_target", "count"),
            (_("Active members"), "active_member_count", "count"),
            (_("Dead-card rate"), "dead_card_rate", "rate"),
            (_("Member sales"), "member_sales", "money"),
            (_("All POS sales"), "total_sales", "money"),
            (_("VIP contribution rate"), "contribution_rate", "rate"),
            (_("New member sales"), "new_member_sales", "money"),
            (_("Existing member sales"), "existing_member_sales", "money"),
            (_("Purchase frequency"), "purchase_frequency", "number"),
            (_("Units per transaction"), "units_per_transaction", "number"),
            (_("Average ticket"), "average_ticket", "money"),
            (_("Registration rate"), "registration_rate", "rate"),
            (_("Complaints"), "complaint_count", "count"),
            (_("SLA breaches"), "sla_breach_count", "count"),
            (_("Average satisfaction"), "avg_satisfaction", "number"),
        ]

    @api.model
    def _vip_check_company(self, company, shops=None):
        """The analysis reads sales by SQL: only of a company the user is allowed in, by a VIP Manager."""
        if self.env.su:
            return
        if not self.env.user.has_group("vip_loyalty.group_vip_manager"):
            raise AccessError(_("Only VIP Managers can read the monthly VIP analysis."))
        if company not in self.env.companies:
            raise AccessError(_("You are not allowed to read the VIP analysis of this company."))
        if shops and shops.sudo().company_id - company:
            raise UserError(_("Choose shops of the company being analysed."))

    @api.model
    def _vip_sections(self, month, company, shop=None):
        """Every section of the analysis as plain lists, shared by the PDF and the XLSX export."""
        self._vip_check_company(company, shop)
        month = analysis_engine.month_start(fields.Date.to_date(month))
        months = [month, analysis_engine.previous_month(month), analysis_engine.same_month_last_year(month)]
        snapshot = self.env["vip.analysis.snapshot"]
        snapshots = snapshot._vip_read_months(months, company)
        rows = []
        for m in months:
            row = snapshots.filtered(lambda r, m=m: r.month == m and r.shop_id == (shop or r.shop_id.browse())
                                     and not r.advisor_id)[:1]
            rows.append(row)
        summary = [
            {"label": label, "field": name, "kind": kind, "values": [row[name] if row else 0 for row in rows]}
            for label, name, kind in self._kpi_lines()
        ]
        # The heavy reads (orders of two months, the members, the level history) go to the read
        # replica when there is one; the snapshots above stay on the primary (they may be written).
        with replica_env(self.env) as reader:
            report = self.with_env(reader)
            heavy = {
                "categories": report._vip_categories(month, company.with_env(reader), shop and shop.with_env(reader)),
                "age_groups": report._vip_age_groups(month, company.with_env(reader), shop and shop.with_env(reader)),
                "levels": report._vip_level_distribution(company.with_env(reader), shop and shop.with_env(reader)),
                "migration": report._vip_level_migration(month, company.with_env(reader),
                                                         shop and shop.with_env(reader)),
            }
        staff = snapshots.filtered(
            lambda r: r.month == month and r.row_type == "advisor" and (not shop or r.shop_id == shop)
        ).sorted(lambda r: (r.completeness_rank, r.advisor_id.id))
        return {
            "company": company,
            "shop": shop,
            "month": month,
            "months": months,
            "summary": summary,
            **heavy,
            "staff": [{
                "advisor": r.advisor_id.display_name, "new_members": r.new_member_count,
                "registration_rate": r.registration_rate, "completeness": r.avg_profile_completeness,
                "rank": r.completeness_rank, "member_sales": r.member_sales,
            } for r in staff],
        }

    def _vip_range_params(self, month, company, shop):
        start, end = analysis_engine.month_bounds(month)
        return {
            "company": company.id, "shop": shop.id if shop else None, "states": PAID_STATES,
            "vip_tz": company._vip_tz(),
            "start": fields.Date.to_string(start), "end": fields.Date.to_string(end),
        }

    def _vip_orders_of_month_sql(self):
        # The month by each order's local day (its shop's timezone, else the company's); the
        # UTC range one day wider each side keeps the date index in use.
        day = self.env["res.company"]._vip_sql_local_day("o")
        return f"""
        o.company_id = %(company)s AND o.state IN %(states)s
        AND (%(shop)s::int IS NULL OR o.config_id = %(shop)s::int)
        AND o.date_order >= %(start)s::timestamp - interval '1 day'
        AND o.date_order < %(end)s::timestamp + interval '1 day'
        AND {day} >= %(start)s AND {day} < %(end)s
    """

    @api.model
    def _vip_categories(self, month, company, shop):
        """Sales, units and average unit price per product category, with the trend against last month."""
        def by_category(m):
            self.env.cr.execute(f"""
                SELECT pt.categ_id, SUM(l.price_subtotal_incl), SUM(l.qty)
                  FROM pos_order_line l JOIN pos_order o ON o.id = l.order_id
                  JOIN product_product pp ON pp.id = l.product_id
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                 WHERE {self._vip_orders_of_month_sql()}
                 GROUP BY pt.categ_id
            """, self._vip_range_params(m, company, shop))
            return {r[0]: (r[1] or 0.0, r[2] or 0.0) for r in self.env.cr.fetchall()}
        current = by_category(month)
        previous = by_category(analysis_engine.previous_month(month))
        categories = self.env["product.category"].browse([c for c in set(current) | set(previous) if c])
        names = {c.id: c.display_name for c in categories}
        result = []
        for categ_id in set(current) | set(previous):
            sales, qty = current.get(categ_id, (0.0, 0.0))
            prev_sales = previous.get(categ_id, (0.0, 0.0))[0]
            result.append({
                "category": names.get(categ_id, _("No category")), "sales": sales, "units": qty,
                "avg_price": analysis_engine.ratio(sales, qty), "previous_sales": prev_sales,
                "trend": analysis_engine.ratio(sales - prev_sales, prev_sales) if prev_sales else 0.0,
            })
        return sorted(result, key=lambda r: (-r["sales"], r["category"]))

    @api.model
    def _vip_age_groups(self, month, company, shop):
        """Member spend per age group in the month."""
        self.env.cr.execute(f"""
            SELECT p.vip_age_group, COUNT(DISTINCT p.id), SUM(o.amount_total)
              FROM pos_order o JOIN res_partner p ON p.id = o.partner_id
             WHERE {self._vip_orders_of_month_sql()} AND p.vip_state <> 'none'
             GROUP BY p.vip_age_group
        """, self._vip_range_params(month, company, shop))
        labels = dict(self.env["res.partner"]._fields["vip_age_group"]._description_selection(self.env))
        rows = [{
            "age_group": labels.get(group, _("Unknown")), "code": group or "", "members": members,
            "sales": sales or 0.0, "average": analysis_engine.ratio(sales or 0.0, members),
        } for group, members, sales in self.env.cr.fetchall()]
        order = list(labels)
        return sorted(rows, key=lambda r: order.index(r["code"]) if r["code"] in order else len(order))

    @api.model
    def _vip_level_distribution(self, company, shop):
        self.env.cr.execute("""
            SELECT lv.id, COUNT(p.id)
              FROM vip_level lv LEFT JOIN res_partner p ON p.vip_level_id = lv.id AND p.vip_state <> 'none'
                   AND (%(shop)s::int IS NULL OR p.vip_enrol_shop_id = %(shop)s::int)
             WHERE lv.company_id = %(company)s
             GROUP BY lv.id, lv.sequence ORDER BY lv.sequence, lv.id
        """, {"company": company.id, "shop": shop.id if shop else None})
        counts = self.env.cr.fetchall()
        levels = self.env["vip.level"].browse([c[0] for c in counts])
        return [{"level": lvl.name, "members": count} for lvl, (_id, count) in zip(levels, counts, strict=True)]

    @api.model
    def _vip_level_migration(self, month, company, shop):
        """From level × to level of the month's level changes (the last change of each member counts once)."""
        start, end = analysis_engine.month_bounds(month)
        self.env["vip.level.history"].flush_model()
        self.env.cr.execute("""
            SELECT h.from_level_id, h.to_level_id, COUNT(*)
              FROM vip_level_history h JOIN res_partner p ON p.id = h.partner_id
             WHERE h.company_id = %(company)s AND h.date >= %(start)s AND h.date < %(end)s
               AND (%(shop)s::int IS NULL OR p.vip_enrol_shop_id = %(shop)s::int)
             GROUP BY h.from_level_id, h.to_level_id
        """, {"company": company.id, "shop": shop.id if shop else None, "start": start, "end": end})
        cells = {(f or 0, t or 0): n for f, t, n in self.env.cr.fetchall()}
        levels = self.env["vip.level"].with_context(active_test=False).search([("company_id", "=", company.id)])
        axis = [(0, _("None"))] + [(lvl.id, lvl.name) for lvl in levels]
        used = {k for cell in cells for k in cell}
        axis = [a for a in axis if a[0] or (0 in used)]
        return {
            "levels": [name for _id, name in axis],
            "matrix": [[cells.get((f, t), 0) for t, _n in axis] for f, _m in axis],
            "total": sum(cells.values()),
        }

    @api.model
    def _get_report_values(self, docids, data=None):
        data = data or {}
        company = self.env["res.company"].browse(data.get("company_id")) or self.env.company
        if not data.get("month"):
            raise UserError(_("Choose the month to print."))
        shops = self.env["pos.config"].browse(docids or data.get("shop_ids") or [])
        self._vip_check_company(company, shops)
        sections = [self._vip_sections(data["month"], company, shop) for shop in shops] or [
            self._vip_sections(data["month"], company)]
        return {"doc_ids": shops.ids, "doc_model": "pos.config", "docs": sections, "company": company,
                "fmt_rate": lambda v: f"{v * 100:.1f}%"}
