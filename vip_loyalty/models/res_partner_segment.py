import logging
import time
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from psycopg2.extras import execute_values

from ..engine import segments as segment_engine

_logger = logging.getLogger(__name__)

ABC_CLASSES = [("A", "A"), ("B", "B"), ("C", "C")]
LIFECYCLE = [("new", "New"), ("active", "Active"), ("silent", "Silent"), ("sleeping", "Sleeping"), ("lost", "Lost")]
PAID_STATES = ("paid", "done", "invoiced")


class ResPartner(models.Model):
    """Segmentation fields, refreshed by the nightly cron from the POS orders."""

    _inherit = "res.partner"  # pylint: disable=consider-merging-classes-inherited

    vip_abc_class = fields.Selection(ABC_CLASSES, string="ABC Class", copy=False, index="btree_not_null",
                                     tracking=True)
    vip_abc_manual = fields.Boolean(string="ABC set by a manager", copy=False,
                                    help="The nightly segmentation keeps the class a manager chose.")
    vip_rfm_score = fields.Char(string="RFM", copy=False, readonly=True,
                                help="Recency, frequency and monetary scores, 1 (low) to 5 (high) each.")
    vip_rfm_recency = fields.Integer(string="R", copy=False, readonly=True, aggregator="avg")
    vip_rfm_frequency = fields.Integer(string="F", copy=False, readonly=True, aggregator="avg")
    vip_rfm_monetary = fields.Integer(string="M", copy=False, readonly=True, aggregator="avg")
    vip_purchase_types = fields.Many2many(
        "vip.purchase.type", "res_partner_vip_purchase_type_rel", "partner_id", "type_id",
        string="Purchase Types", copy=False, readonly=True,
    )
    vip_style_category_id = fields.Many2one("product.category", string="Favourite Category", copy=False, readonly=True)
    vip_lifecycle_stage = fields.Selection(LIFECYCLE, string="Lifecycle", copy=False, index="btree_not_null")
    vip_segmented_on = fields.Date(string="Segmented On", copy=False, readonly=True)

    def write(self, vals):
        if "vip_abc_class" in vals and not self.env.su and not self.env.context.get("vip_segmentation"):
            if not self.env.user.has_group("vip_loyalty.group_vip_manager"):
                raise AccessError(_("Only VIP Managers can set a member's ABC class."))
            vals = dict(vals, vip_abc_manual=bool(vals["vip_abc_class"]))
        return super().write(vals)

    def action_vip_abc_automatic(self):
        """Hand the class back to the nightly segmentation."""
        self.write({"vip_abc_manual": False})
        self._vip_segment_partners()
        return True

    # -- nightly segmentation -----------------------------------------------------------

    def _vip_segment_partners(self, today=None):
        """Segment just these members (a button, or tests); same code path as the cron."""
        companies = {}
        for partner in self:
            company = partner.vip_level_id.company_id or partner.company_id or self.env.company
            companies.setdefault(company, []).append(partner.id)
        for company, ids in companies.items():
            self.sudo()._vip_segment_company(today or company._vip_today(), company, only_ids=ids)

    @api.model
    def _vip_cron_segmentation(self, today=None):
        """Nightly: ABC (keeping manual overrides), RFM, purchase types and lifecycle, per company."""
        total = 0
        for company in self.env["res.company"].sudo().search([]):
            total += self.sudo().with_company(company)._vip_segment_company(today or company._vip_today(), company)
        return total

    def _vip_segment_stats_sql(self):
        """Statements filling ``vip_seg_stats``: staged temporary tables, each analysed, so the
        planner picks hash joins over millions of lines instead of per-member index probes."""
        order_tz = self.env["res.company"]._vip_sql_order_tz("o")
        return [
            "DROP TABLE IF EXISTS vip_seg_members, vip_seg_orders, vip_seg_lines, vip_seg_stats",
            "SET LOCAL work_mem = '128MB'",
            """
            CREATE TEMP TABLE vip_seg_members AS
            SELECT p.id, p.vip_points_balance AS points, p.vip_enrol_date, p.vip_abc_class, p.vip_abc_manual,
                   p.vip_rfm_score, p.vip_lifecycle_stage, p.vip_style_category_id
              FROM res_partner p LEFT JOIN vip_level lv ON lv.id = p.vip_level_id
             WHERE p.vip_state <> 'none' AND COALESCE(lv.company_id, p.company_id) = %(company)s
            """,
            "ANALYZE vip_seg_members",
            f"""
            CREATE TEMP TABLE vip_seg_orders AS
            SELECT * FROM (
                SELECT o.id, o.partner_id, o.amount_total,
                       (o.date_order AT TIME ZONE 'UTC' AT TIME ZONE {order_tz})::date AS day
                  FROM pos_order o JOIN vip_seg_members m ON m.id = o.partner_id
                 WHERE o.company_id = %(company)s AND o.state IN %(states)s
            ) orders WHERE day < %(end)s
            """,
            "ANALYZE vip_seg_orders",
            """
            CREATE TEMP TABLE vip_seg_lines AS
            SELECT o.partner_id, o.id AS order_id, l.qty, l.discount, l.price_subtotal_incl, pt.categ_id,
                   (o.day - (pt.create_date AT TIME ZONE 'UTC' AT TIME ZONE %(vip_tz)s)::date
                       BETWEEN 0 AND %(arrival)s) AS new_arrival
              FROM vip_seg_orders o
              JOIN pos_order_line l ON l.order_id = o.id
              JOIN product_product pp ON pp.id = l.product_id
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
             WHERE o.amount_total >= 0 AND l.qty > 0
            """,
            "ANALYZE vip_seg_lines",
            """
            CREATE TEMP TABLE vip_seg_stats AS SELECT * FROM (
            WITH per_order AS (
                SELECT o.partner_id, COUNT(*) FILTER (WHERE o.amount_total >= 0) AS cnt,
                       MIN(o.day) FILTER (WHERE o.amount_total >= 0) AS first_day,
                       MAX(o.day) FILTER (WHERE o.amount_total >= 0) AS last_day,
                       COUNT(*) FILTER (WHERE o.amount_total >= 0 AND o.day > %(recent)s) AS recent,
                       COUNT(*) FILTER (WHERE o.amount_total >= 0 AND o.day > %(rfm)s) AS rfm_count,
                       COALESCE(SUM(o.amount_total) FILTER (WHERE o.day > %(rfm)s), 0) AS rfm_amount
                  FROM vip_seg_orders o GROUP BY o.partner_id
            ), units AS (
                SELECT partner_id, order_id, SUM(qty) AS qty FROM vip_seg_lines GROUP BY partner_id, order_id
            ), per_line AS (
                SELECT partner_id, COUNT(*) AS lines, SUM(qty) AS units,
                       COUNT(*) FILTER (WHERE discount > 0) AS discounted,
                       COUNT(*) FILTER (WHERE new_arrival) AS arrivals,
                       COALESCE(SUM(price_subtotal_incl) / NULLIF(SUM(qty), 0), 0) AS unit_price
                  FROM vip_seg_lines GROUP BY partner_id
            ), single AS (
                SELECT partner_id, COUNT(*) FILTER (WHERE qty = 1) AS single_orders FROM units GROUP BY partner_id
            ), categ AS (
                SELECT DISTINCT ON (partner_id) partner_id, categ_id,
                       COUNT(*)::float / SUM(COUNT(*)) OVER (PARTITION BY partner_id) AS share
                  FROM vip_seg_lines GROUP BY partner_id, categ_id
                 ORDER BY partner_id, (categ_id IS NULL), COUNT(*) DESC, categ_id
            ), types AS (
                SELECT partner_id, ARRAY_AGG(type_id ORDER BY type_id) AS type_ids
                  FROM res_partner_vip_purchase_type_rel GROUP BY partner_id
            )
            SELECT m.id, m.points, m.vip_enrol_date, COALESCE(po.cnt, 0) AS cnt, po.first_day, po.last_day,
                   COALESCE(po.recent, 0) AS recent, COALESCE(po.rfm_count, 0) AS rfm_count,
                   COALESCE(po.rfm_amount, 0) AS rfm_amount, COALESCE(pl.lines, 0) AS lines,
                   COALESCE(pl.units, 0) AS units, COALESCE(pl.discounted, 0) AS discounted,
                   COALESCE(pl.arrivals, 0) AS arrivals, COALESCE(pl.unit_price, 0) AS unit_price,
                   COALESCE(s.single_orders, 0) AS single_orders, c.categ_id, COALESCE(c.share, 0) AS share,
                   CASE WHEN po.last_day IS NULL THEN NULL
                        ELSE RANK() OVER (PARTITION BY po.last_day IS NULL ORDER BY po.last_day) - 1 END AS r_rank,
                   CASE WHEN po.last_day IS NULL THEN NULL
                        ELSE RANK() OVER (PARTITION BY po.last_day IS NULL ORDER BY po.rfm_count) - 1 END AS f_rank,
                   CASE WHEN po.last_day IS NULL THEN NULL
                        ELSE RANK() OVER (PARTITION BY po.last_day IS NULL ORDER BY po.rfm_amount) - 1 END AS m_rank,
                   COUNT(po.last_day) OVER () AS buyers,
                   m.vip_abc_class, m.vip_abc_manual, m.vip_rfm_score, m.vip_lifecycle_stage,
                   m.vip_style_category_id, COALESCE(t.type_ids, '{}') AS type_ids
              FROM vip_seg_members m
              LEFT JOIN per_order po ON po.partner_id = m.id
              LEFT JOIN per_line pl ON pl.partner_id = m.id
              LEFT JOIN single s ON s.partner_id = m.id
              LEFT JOIN categ c ON c.partner_id = m.id
              LEFT JOIN types t ON t.partner_id = m.id
            ) all_members WHERE %(only_ids)s::int[] IS NULL OR id = ANY(%(only_ids)s::int[])
            """,
            "DROP TABLE vip_seg_members, vip_seg_orders, vip_seg_lines",
            "CREATE INDEX ON vip_seg_stats (id)",
            "ANALYZE vip_seg_stats",
        ]

    def _vip_segment_company(self, today, company, only_ids=None):
        """Set-based read into a temporary table, engine per member, batched UPDATEs of what changed."""
        started = time.time()
        program = self.env["vip.program"]._get_for_company(company)
        params = program._segment_params()
        self.env["pos.order"].flush_model()
        self.env["pos.order.line"].flush_model()
        self.flush_model()
        cr = self.env.cr
        sql_params = {
            "company": company.id, "only_ids": only_ids, "vip_tz": company._vip_tz(), "states": PAID_STATES,
            "end": fields.Date.to_string(today + timedelta(days=1)),
            "recent": today - relativedelta(months=params.abc_a_months),
            "rfm": today - relativedelta(months=params.rfm_months),
            "arrival": params.new_arrival_days,
        }
        for statement in self._vip_segment_stats_sql():
            cr.execute(statement, sql_params)
        _logger.info("vip: segmentation figures of %s read in %.1f s", company.name, time.time() - started)
        cr.execute("SELECT unit_price FROM vip_seg_stats WHERE cnt >= %s AND unit_price > 0",
                   [params.types_min_purchases])
        threshold = segment_engine.quantile([r[0] for r in cr.fetchall()], params.high_price_quantile)
        types = {t.code: t.id for t in self.env["vip.purchase.type"].sudo().search([])}
        note_env = self._vip_note_env(company)
        batch_size = program.cron_batch_size or 1000
        cr.execute("SELECT COUNT(*) FROM vip_seg_stats")
        count = cr.fetchone()[0]
        last_id, done, changed = 0, 0, 0
        while True:
            cr.execute("SELECT * FROM vip_seg_stats WHERE id > %s ORDER BY id LIMIT %s", [last_id, batch_size])
            names = [d[0] for d in cr.description]
            rows = cr.fetchall()
            if not rows:
                break
            updates, type_rows, type_partners = [], [], []
            notes = {}
            for values in rows:
                row = dict(zip(names, values, strict=True))
                stats = segment_engine.MemberStats(
                    partner_id=row["id"], order_count=row["cnt"], first_date=row["first_day"],
                    last_date=row["last_day"], recent_count=row["recent"], points=row["points"] or 0,
                    enrol_date=row["vip_enrol_date"], units=float(row["units"]), lines=row["lines"],
                    discounted_lines=row["discounted"], new_arrival_lines=row["arrivals"],
                    single_unit_orders=row["single_orders"], avg_unit_price=float(row["unit_price"]),
                    top_category_id=row["categ_id"], top_category_share=row["share"],
                    rfm_count=row["rfm_count"], rfm_amount=float(row["rfm_amount"]),
                )
                klass = row["vip_abc_class"] if row["vip_abc_manual"] else segment_engine.abc_class(
                    stats, today, params)
                stage = segment_engine.lifecycle_stage(stats, today, params)
                if row["r_rank"] is not None:
                    rfm = tuple(segment_engine.quintile_from_rank(row[k], row["buyers"])
                                for k in ("r_rank", "f_rank", "m_rank"))
                else:
                    rfm = (0, 0, 0)
                code = segment_engine.rfm_code(rfm) if any(rfm) else None
                codes = segment_engine.purchase_types(stats, params, threshold)
                type_ids = sorted(types[c] for c in codes if c in types)
                style = row["categ_id"] if "style" in codes else None
                if (klass, code, stage, style) != (
                    row["vip_abc_class"], row["vip_rfm_score"], row["vip_lifecycle_stage"],
                    row["vip_style_category_id"],
                ):
                    updates.append((row["id"], klass, code, rfm[0], rfm[1], rfm[2], stage, style))
                # The class is tracked on the form: its nightly moves show in the chatter too. A
                # member's first class is not logged (the first night classifies every member).
                if row["vip_abc_class"] and klass != row["vip_abc_class"]:
                    notes[row["id"]] = note_env._(
                        "ABC Class: %(old)s → %(new)s (nightly segmentation)",
                        old=row["vip_abc_class"], new=klass or "—",
                    )
                if type_ids != list(row["type_ids"] or []):
                    type_partners.append(row["id"])
                    type_rows.extend((row["id"], t) for t in type_ids)
            if updates:
                execute_values(cr._obj, """
                    UPDATE res_partner p SET vip_abc_class = v.klass, vip_rfm_score = v.code,
                           vip_rfm_recency = v.r, vip_rfm_frequency = v.f, vip_rfm_monetary = v.m,
                           vip_lifecycle_stage = v.stage, vip_style_category_id = v.style,
                           vip_segmented_on = v.day
                      FROM (VALUES %s) AS v(id, klass, code, r, f, m, stage, style, day)
                     WHERE p.id = v.id
                """, [(*u, today) for u in updates],
                    template="(%s, %s::varchar, %s::varchar, %s, %s, %s, %s::varchar, %s::int, %s::date)",
                    page_size=1000)
            self._vip_post_notes(notes)
            if type_partners:
                cr.execute("DELETE FROM res_partner_vip_purchase_type_rel WHERE partner_id = ANY(%s)",
                           [type_partners])
                if type_rows:
                    execute_values(cr._obj, "INSERT INTO res_partner_vip_purchase_type_rel (partner_id, type_id)"
                                            " VALUES %s", type_rows, page_size=1000)
            changed += len(updates)
            done += len(rows)
            last_id = rows[-1][0]
            self.invalidate_model([
                "vip_abc_class", "vip_rfm_score", "vip_rfm_recency", "vip_rfm_frequency", "vip_rfm_monetary",
                "vip_lifecycle_stage", "vip_style_category_id", "vip_segmented_on", "vip_purchase_types",
            ])
            # Written by SQL: what is computed from the class (complaint priority) follows.
            self.browse([update[0] for update in updates]).modified(["vip_abc_class"])
            _logger.info("vip: segmented %s/%s members of %s (%s changed)", done, count, company.name, changed)
            if only_ids is None:
                self._vip_commit_batch(done=done, remaining=count - done)
        cr.execute("DROP TABLE IF EXISTS vip_seg_stats")
        _logger.info("vip: segmentation of %s done in %.1f s: %s members, %s changed",
                     company.name, time.time() - started, count, changed)
        return changed
