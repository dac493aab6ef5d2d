import logging
import time

from dateutil.relativedelta import relativedelta
from odoo import api, fields, models

from ..engine import analysis as analysis_engine
from .vip_replica import replica_env

_logger = logging.getLogger(__name__)

PAID_STATES = ("paid", "done", "invoiced")
SUMMED = [
    "member_count", "new_member_count", "active_member_count", "member_sales", "total_sales", "new_member_sales",
    "member_order_count", "buying_member_count", "transaction_count", "units", "ticket_sales",
    "new_customer_count", "new_customer_registered", "complaint_count", "sla_breach_count",
]
# rates a grouped view re-derives from the summed parts instead of averaging them
RATES = ("dead_card_rate", "contribution_rate", "purchase_frequency", "units_per_transaction", "average_ticket",
         "registration_rate", "new_member_target_rate")
RATE_PARTS = ("member_count", "active_member_count", "member_sales", "total_sales", "member_order_count",
              "buying_member_count", "units", "transaction_count", "ticket_sales", "new_customer_registered",
              "new_customer_count", "new_member_count", "new_member_target")


class VipAnalysisSnapshot(models.Model):
    """The monthly VIP analysis, one row per company × shop × advisor × month.

    A row with neither shop nor advisor is the company total; a row with only the shop is that
    shop's total. Rates are fractions between 0 and 1. Rows are recomputed, never duplicated.
    """

    _name = "vip.analysis.snapshot"
    _description = "VIP Monthly Analysis"
    _order = "month desc, company_id, shop_id nulls first, advisor_id nulls first"
    _rec_name = "month"

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    month = fields.Date(required=True, index=True, readonly=True, help="The first day of the month.")
    shop_id = fields.Many2one("pos.config", string="Shop", index="btree_not_null", readonly=True)
    advisor_id = fields.Many2one("res.users", string="Advisor", index="btree_not_null", readonly=True)
    row_type = fields.Selection(
        [("company", "Company total"), ("shop", "Shop total"), ("advisor", "Advisor")],
        required=True, readonly=True, index=True,
    )
    # -- contract figures ----------------------------------------------------------------
    member_count = fields.Integer(string="Members", readonly=True)
    new_member_count = fields.Integer(string="New Members", readonly=True)
    active_member_count = fields.Integer(string="Active Members", readonly=True)
    dead_card_rate = fields.Float(string="Dead-card Rate", readonly=True, aggregator="avg")
    member_sales = fields.Monetary(readonly=True)
    total_sales = fields.Monetary(string="All POS Sales", readonly=True)
    contribution_rate = fields.Float(string="VIP Contribution", readonly=True, aggregator="avg")
    new_member_sales = fields.Monetary(readonly=True)
    existing_member_sales = fields.Monetary(readonly=True)
    purchase_frequency = fields.Float(readonly=True, aggregator="avg", digits=(16, 2),
                                      help="Member purchases per buying member in the month.")
    units_per_transaction = fields.Float(string="Units per Transaction", readonly=True, aggregator="avg",
                                         digits=(16, 2))
    average_ticket = fields.Monetary(readonly=True, aggregator="avg")
    registration_rate = fields.Float(readonly=True, aggregator="avg",
                                     help="New purchasing customers who are registered members.")
    complaint_count = fields.Integer(string="Complaints", readonly=True)
    sla_breach_count = fields.Integer(string="SLA Breaches", readonly=True)
    avg_satisfaction = fields.Float(string="Avg. Satisfaction", readonly=True, aggregator="avg", digits=(16, 2))
    # -- the counts behind the rates, and staff KPIs ---------------------------------------
    member_order_count = fields.Integer(string="Member Purchases", readonly=True)
    buying_member_count = fields.Integer(string="Buying Members", readonly=True)
    transaction_count = fields.Integer(string="Transactions", readonly=True)
    units = fields.Float(string="Units Sold", readonly=True)
    ticket_sales = fields.Monetary(string="Sales of Transactions", readonly=True)
    new_customer_count = fields.Integer(string="New Purchasing Customers", readonly=True)
    new_customer_registered = fields.Integer(string="New Customers Registered", readonly=True)
    registration_rate_target = fields.Float(string="Registration Rate Required", readonly=True, aggregator="avg")
    new_member_target = fields.Integer(readonly=True)
    new_member_target_rate = fields.Float(string="Target Reached", readonly=True, aggregator="avg")
    avg_profile_completeness = fields.Float(string="Avg. Profile Completeness (%)", readonly=True, aggregator="avg")
    completeness_rank = fields.Integer(readonly=True, aggregator="min",
                                       help="Advisors of the company ranked by their members' profile completeness.")
    computed_on = fields.Datetime(readonly=True)
    # -- the change against the previous month, for the dashboard's headline figures -------
    member_sales_change = fields.Float(compute="_compute_changes", string="Member Sales vs Last Month")
    new_member_change = fields.Integer(compute="_compute_changes", string="New Members vs Last Month")
    contribution_change = fields.Float(compute="_compute_changes", string="VIP Contribution vs Last Month",
                                       help="In percentage points.")

    def init(self):
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS vip_analysis_snapshot_dims_uniq
                ON vip_analysis_snapshot (company_id, month, COALESCE(shop_id, 0), COALESCE(advisor_id, 0))
            """
        )

    @api.depends("month", "shop_id", "advisor_id")
    def _compute_display_name(self):
        for row in self:
            parts = [row.month.strftime("%Y-%m") if row.month else ""]
            parts += [r.display_name for r in (row.shop_id, row.advisor_id) if r]
            row.display_name = " / ".join(parts)

    def _compute_changes(self):
        for row in self:
            previous = self.search([
                ("company_id", "=", row.company_id.id), ("shop_id", "=", row.shop_id.id),
                ("advisor_id", "=", row.advisor_id.id),
                ("month", "=", analysis_engine.previous_month(row.month) if row.month else False),
            ], limit=1)
            row.member_sales_change = analysis_engine.ratio(
                row.member_sales - previous.member_sales, previous.member_sales) if previous.member_sales else 0.0
            row.new_member_change = row.new_member_count - previous.new_member_count
            row.contribution_change = (row.contribution_rate - previous.contribution_rate) * 100 if previous else 0.0

    @api.model
    def read_group(self, domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True):
        """Grouped rates are re-derived from the summed parts (member sales / all sales ...), never averaged."""
        names = {spec.split(":")[0] for spec in fields}
        rates = names.intersection(RATES)
        if not rates:
            return super().read_group(domain, fields, groupby, offset=offset, limit=limit, orderby=orderby,
                                      lazy=lazy)
        extra = [f"{part}:sum" for part in RATE_PARTS if part not in names]
        groups = super().read_group(domain, list(fields) + extra, groupby, offset=offset, limit=limit,
                                    orderby=orderby, lazy=lazy)
        for group in groups:
            parts = {part: group.get(part) or 0 for part in RATE_PARTS}
            derived = analysis_engine.kpis(parts)
            derived["new_member_target_rate"] = analysis_engine.ratio(parts["new_member_count"],
                                                                      parts["new_member_target"])
            for name in rates:
                group[name] = derived[name]
        return groups

    # -- computation ----------------------------------------------------------------------

    def _vip_grouped(self, query, params):
        """Run a GROUPING SETS query returning (shop, advisor, grouping, figures...) as keyed dicts."""
        self.env.cr.execute(query, params)
        result = {}
        for row in self.env.cr.dictfetchall():
            grouping = row.pop("g")
            shop, advisor = row.pop("shop"), row.pop("advisor")
            if grouping == 3:
                key = (None, None)
            elif not shop:
                continue
            elif grouping == 1:
                key = (shop, None)
            elif advisor:
                key = (shop, advisor)
            else:
                continue
            result[key] = row
        return result

    def _vip_month_figures(self, month, company):
        """{(shop_id, advisor_id): {figure: value}} for the month, by set-based SQL only."""
        start, end = analysis_engine.month_bounds(month)
        program = self.env["vip.program"]._get_for_company(company)
        params = {
            "company": company.id, "vip_tz": company._vip_tz(), "states": PAID_STATES,
            "start": fields.Date.to_string(start), "end": fields.Date.to_string(end),
            "active_from": fields.Date.to_string(end - relativedelta(months=program.active_months or 12)),
        }
        local_day = self.env["res.company"]._vip_sql_local_day

        def within(alias, low, high, column="date_order", shop_column="config_id"):
            """Rows whose local day (their shop's timezone, else the company's) is in [low, high);
            the UTC range one day wider each side keeps the date index in use."""
            day = local_day(alias, column, shop_column)
            return (f"{alias}.{column} >= %({low})s::timestamp - interval '1 day'"
                    f" AND {alias}.{column} < %({high})s::timestamp + interval '1 day'"
                    f" AND {day} >= %({low})s AND {day} < %({high})s")

        figures = {}

        def merge(part):
            for key, values in part.items():
                figures.setdefault(key, {}).update(values)

        # members: the base, the new ones, the active ones, profile completeness
        merge(self._vip_grouped(f"""
            WITH members AS (
                SELECT p.id, p.vip_enrol_shop_id AS shop, p.vip_advisor_id AS advisor, p.vip_enrol_date,
                       p.vip_profile_completeness
                  FROM res_partner p LEFT JOIN vip_level lv ON lv.id = p.vip_level_id
                 WHERE p.vip_state <> 'none' AND COALESCE(lv.company_id, p.company_id) = %(company)s
                   AND (p.vip_enrol_date IS NULL OR p.vip_enrol_date < %(end)s)
            ), buyers AS (
                SELECT DISTINCT o.partner_id FROM pos_order o
                 WHERE o.company_id = %(company)s AND o.state IN %(states)s AND o.partner_id IS NOT NULL
                   AND o.amount_total > 0
                   AND {within("o", "active_from", "end")}
            )
            SELECT m.shop, m.advisor, GROUPING(m.shop, m.advisor) AS g,
                   COUNT(*) AS member_count,
                   COUNT(*) FILTER (WHERE m.vip_enrol_date >= %(start)s) AS new_member_count,
                   COUNT(b.partner_id) AS active_member_count,
                   COALESCE(AVG(m.vip_profile_completeness), 0) AS avg_profile_completeness
              FROM members m LEFT JOIN buyers b ON b.partner_id = m.id
             GROUP BY GROUPING SETS ((), (m.shop), (m.shop, m.advisor))
        """, params))

        # orders of the month: sales, member sales, new vs existing, frequency, UPT, ticket
        merge(self._vip_grouped(f"""
            WITH orders AS (
                SELECT o.id, o.amount_total, o.config_id AS shop, o.partner_id,
                       (p.vip_state IS NOT NULL AND p.vip_state <> 'none'
                        AND (p.vip_enrol_date IS NULL
                             OR p.vip_enrol_date <= {local_day("o")}))
                           AS is_member,
                       (p.vip_enrol_date >= %(start)s AND p.vip_enrol_date < %(end)s) AS is_new,
                       CASE WHEN p.vip_state <> 'none' AND p.vip_advisor_id IS NOT NULL THEN p.vip_advisor_id
                            ELSE o.user_id END AS advisor
                  FROM pos_order o LEFT JOIN res_partner p ON p.id = o.partner_id
                 WHERE o.company_id = %(company)s AND o.state IN %(states)s
                   AND {within("o", "start", "end")}
            )
            SELECT o.shop, o.advisor, GROUPING(o.shop, o.advisor) AS g,
                   COALESCE(SUM(o.amount_total), 0) AS total_sales,
                   COALESCE(SUM(o.amount_total) FILTER (WHERE o.is_member), 0) AS member_sales,
                   COALESCE(SUM(o.amount_total) FILTER (WHERE o.is_member AND o.is_new), 0) AS new_member_sales,
                   COUNT(*) FILTER (WHERE o.is_member AND o.amount_total >= 0) AS member_order_count,
                   COUNT(DISTINCT o.partner_id) FILTER (WHERE o.is_member AND o.amount_total >= 0)
                       AS buying_member_count,
                   COUNT(*) FILTER (WHERE o.amount_total >= 0) AS transaction_count,
                   COALESCE(SUM(u.qty) FILTER (WHERE o.amount_total >= 0), 0) AS units,
                   COALESCE(SUM(o.amount_total) FILTER (WHERE o.amount_total >= 0), 0) AS ticket_sales
              FROM orders o
              LEFT JOIN LATERAL (SELECT SUM(l.qty) AS qty FROM pos_order_line l WHERE l.order_id = o.id) u ON TRUE
             GROUP BY GROUPING SETS ((), (o.shop), (o.shop, o.advisor))
        """, params))

        # new faces: a customer's first paid sale in the company this month, and every sale without a
        # customer (anonymous, so not registered); per shop and per cashier who rang it up
        merge(self._vip_grouped(f"""
            WITH firsts AS (
                SELECT DISTINCT ON (o.partner_id) o.partner_id, o.config_id AS shop, o.user_id AS advisor,
                       p.vip_state <> 'none' AS registered
                  FROM pos_order o JOIN res_partner p ON p.id = o.partner_id
                 WHERE o.company_id = %(company)s AND o.state IN %(states)s AND o.amount_total > 0
                   AND {within("o", "start", "end")}
                   AND NOT EXISTS (
                       SELECT 1 FROM pos_order e
                        WHERE e.partner_id = o.partner_id AND e.company_id = o.company_id
                          AND e.state IN %(states)s AND e.amount_total > 0
                          AND e.date_order < %(start)s::timestamp + interval '1 day'
                          AND {local_day("e")} < %(start)s)
                 ORDER BY o.partner_id, o.date_order, o.id
            ), faces AS (
                SELECT f.shop, f.advisor, f.registered FROM firsts f
                UNION ALL
                SELECT o.config_id, o.user_id, false FROM pos_order o
                 WHERE o.company_id = %(company)s AND o.state IN %(states)s AND o.amount_total > 0
                   AND o.partner_id IS NULL AND {within("o", "start", "end")}
            )
            SELECT f.shop, f.advisor, GROUPING(f.shop, f.advisor) AS g,
                   COUNT(*) AS new_customer_count,
                   COUNT(*) FILTER (WHERE f.registered) AS new_customer_registered
              FROM faces f
             GROUP BY GROUPING SETS ((), (f.shop), (f.shop, f.advisor))
        """, params))

        merge(self._vip_complaint_figures(params, within))
        return figures

    def _vip_complaint_figures(self, params, within):
        """Complaint KPIs per shop and advisor."""
        complaint = self.env["vip.complaint"]
        complaint.flush_model(["date_reported", "shop_id", "partner_id", "company_id", "sla_breached", "satisfaction"])
        return self._vip_grouped(f"""
            SELECT c.shop_id AS shop, p.vip_advisor_id AS advisor, GROUPING(c.shop_id, p.vip_advisor_id) AS g,
                   COUNT(*) AS complaint_count,
                   COUNT(*) FILTER (WHERE c.sla_breached) AS sla_breach_count,
                   COALESCE(AVG(NULLIF(c.satisfaction, '')::int), 0) AS avg_satisfaction
              FROM vip_complaint c LEFT JOIN res_partner p ON p.id = c.partner_id
             WHERE c.company_id = %(company)s
               AND {within("c", "start", "end", "date_reported", "shop_id")}
             GROUP BY GROUPING SETS ((), (c.shop_id), (c.shop_id, p.vip_advisor_id))
        """, params)

    @api.model
    def _vip_compute_month(self, month, company=None):
        """(Re)compute every row of ``month`` for ``company``; returns the rows. Safe to run twice."""
        company = company or self.env.company
        month = analysis_engine.month_start(fields.Date.to_date(month))
        if month >= analysis_engine.month_start(company._vip_today()):
            _logger.info("vip: analysis of %s is for the running month; its figures will still change", month)
        started = time.time()
        vals_list = self._vip_month_vals(month, company)
        self.sudo().search([("company_id", "=", company.id), ("month", "=", month)]).unlink()
        rows = self.sudo().create(vals_list)
        _logger.info("vip: monthly analysis %s of %s: %s rows in %.2f s", month, company.name, len(rows),
                     time.time() - started)
        # The staff teams' rows of the month, from the advisors' rows.
        self.env["vip.team.snapshot"]._vip_compute(month, company, rows)
        return rows

    @api.model
    def _vip_month_vals(self, month, company):
        """The values of every row of the month, computed and not stored."""
        for model in ("pos.order", "pos.order.line", "res.partner"):
            self.env[model].flush_model()
        # A closed month's figures read from the read replica when there is one.
        with replica_env(self.env) as reader:
            figures = self.with_env(reader)._vip_month_figures(month, company.with_env(reader))
        figures.setdefault((None, None), {})
        program = self.env["vip.program"]._get_for_company(company)
        target = program._new_member_target_for(month)
        shop_count = len([k for k in figures if k[0] and not k[1]])
        vals_list = []
        for (shop, advisor), values in figures.items():
            row = {name: values.get(name) or 0 for name in SUMMED}
            row.update(analysis_engine.kpis(row))
            row_type = "company" if not shop else "shop" if not advisor else "advisor"
            row_target = target * max(shop_count, 1) if row_type == "company" else target if row_type == "shop" else 0
            row.update({
                "company_id": company.id, "month": month, "shop_id": shop, "advisor_id": advisor,
                "row_type": row_type,
                "avg_satisfaction": float(values.get("avg_satisfaction") or 0.0),
                "avg_profile_completeness": float(values.get("avg_profile_completeness") or 0.0),
                "registration_rate_target": program.registration_rate_target,
                "new_member_target": row_target,
                "new_member_target_rate": analysis_engine.ratio(row["new_member_count"], row_target),
                "computed_on": fields.Datetime.now(),
            })
            for name in ("member_sales", "total_sales", "new_member_sales", "existing_member_sales", "units",
                         "ticket_sales"):
                row[name] = float(row[name])
            vals_list.append(row)
        advisors = sorted((v for v in vals_list if v["row_type"] == "advisor"),
                          key=lambda v: (-v["avg_profile_completeness"], v["advisor_id"]))
        for rank, row in enumerate(advisors, start=1):
            row["completeness_rank"] = rank
        return vals_list

    @api.model
    def _vip_read_months(self, months, company):
        """The snapshots of these months; a month never computed is worked out in memory, not stored,
        so that printing never writes."""
        rows = self.browse()
        for month in months:
            existing = self.search([("company_id", "=", company.id), ("month", "=", month)])
            rows |= existing or self.concat(*(self.new(vals) for vals in self._vip_month_vals(month, company)))
        return rows
