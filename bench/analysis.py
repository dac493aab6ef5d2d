"""Monthly VIP analysis and nightly segmentation over a large, bulk-loaded dataset.

Builds (once) a database with point_of_sale and vip_loyalty, then loads members, POS orders and
order lines with set-based SQL (INSERT ... SELECT generate_series), and times:

- the monthly snapshot of last month (``vip.analysis.snapshot._vip_compute_month``), goal <= 10 s;
- the nightly segmentation (``res.partner._vip_cron_segmentation``), goal <= 5 min.

    .venv/bin/python bench/analysis.py [--members 1000000] [--lines 10000000] [--db bench_analysis]

A later run with the same numbers reuses the data (``--reload`` loads it again).
"""

import argparse
import time
from datetime import date, timedelta

from _odoo import ensure_db, env_for, prepare


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def setup(env, shops=5, advisors=20, products=60):
    company = env.ref("base.main_company")
    config = env.ref("point_of_sale.pos_config_main")
    if not config.current_session_id:
        config.with_user(env.ref("base.user_admin")).open_ui()
    session = config.current_session_id
    configs = env["pos.config"].search([("name", "like", "Bench shop %")])
    if len(configs) < shops - 1:
        configs |= env["pos.config"].create([{"name": f"Bench shop {i}"} for i in range(len(configs), shops - 1)])
    configs = config | configs
    users = env["res.users"].search([("login", "like", "bench_advisor_%")])
    if len(users) < advisors:
        group = env.ref("vip_loyalty.group_vip_advisor")
        users |= env["res.users"].create([
            {"name": f"Bench advisor {i}", "login": f"bench_advisor_{i}", "groups_id": [(6, 0, group.ids)]}
            for i in range(len(users), advisors)
        ])
    prods = env["product.product"].search([("name", "like", "Bench item %")])
    if len(prods) < products:
        categs = env["product.category"].search([("name", "like", "Bench category %")])
        if not categs:
            categs = env["product.category"].create([{"name": f"Bench category {i}"} for i in range(8)])
        prods |= env["product.product"].create([{
            "name": f"Bench item {i}", "list_price": 50 + 25 * (i % 20), "available_in_pos": True,
            "categ_id": categs[i % len(categs)].id, "taxes_id": [(5, 0, 0)],
        } for i in range(len(prods), products)])
    levels = env["vip.level"].search([("company_id", "=", company.id)])
    env.cr.commit()
    return company, session, configs, users, prods, levels


def drop_indexes(cr, tables):
    """Secondary indexes slow a bulk load down; they are rebuilt afterwards in one pass each."""
    cr.execute("""
        SELECT i.indexname, i.indexdef FROM pg_indexes i
         WHERE i.tablename = ANY(%s) AND i.indexname NOT LIKE '%%_pkey'
    """, [list(tables)])
    found = cr.fetchall()
    for name, _definition in found:
        cr.execute(f'DROP INDEX IF EXISTS "{name}"')
    cr.commit()
    return [definition for _name, definition in found]


def load(env, ctx, members, lines, per_order=3):
    company, session, configs, users, prods, levels = ctx
    cr = env.cr
    indexes = drop_indexes(cr, ("res_partner", "pos_order", "pos_order_line"))
    today = date.today()
    orders = lines // per_order
    log(f"loading {members:,} members ...")
    start = time.time()
    cr.execute("""
        INSERT INTO res_partner (name, complete_name, type, active, is_company, autopost_bills, lang,
                                 vip_state, vip_card_number, vip_level_id, vip_enrol_date, vip_enrol_shop_id,
                                 vip_advisor_id, vip_points_balance, vip_profile_completeness, vip_age_group,
                                 create_date, write_date, create_uid, write_uid)
        SELECT 'Bench VIP ' || g, 'Bench VIP ' || g, 'contact', TRUE, FALSE, 'ask', 'en_US',
               'active', 'BV' || lpad(g::text, 9, '0'), (%(levels)s::int[])[1 + g %% %(nlevels)s],
               %(today)s::date - (random() * 1800)::int, (%(shops)s::int[])[1 + g %% %(nshops)s],
               (%(users)s::int[])[1 + g %% %(nusers)s], (random() * 300)::int, (random() * 100)::numeric(5, 1),
               (ARRAY['u25', '25_34', '35_44', '45_54', '55p'])[1 + g %% 5],
               now(), now(), 1, 1
          FROM generate_series(1, %(n)s) g
        RETURNING id
    """, {"levels": levels.ids, "nlevels": len(levels), "today": today, "shops": configs.ids,
          "nshops": len(configs), "users": users.ids, "nusers": len(users), "n": members})
    ids = [r[0] for r in cr.fetchall()]
    first, last = min(ids), max(ids)
    del ids
    cr.commit()
    log(f"  members in {time.time() - start:.0f} s; {orders:,} orders ...")
    start = time.time()
    cr.execute("SELECT COALESCE(MAX(id), 0) FROM pos_order")
    before = cr.fetchone()[0]
    cr.execute("""
        INSERT INTO pos_order (name, session_id, config_id, company_id, partner_id, user_id, date_order, state,
                               amount_total, amount_paid, amount_tax, amount_return, pricelist_id,
                               create_date, write_date, create_uid, write_uid)
        SELECT 'BENCH/' || g, %(session)s, (%(shops)s::int[])[1 + g %% %(nshops)s], %(company)s,
               CASE WHEN random() < 0.7 THEN %(first)s + (random() * (%(last)s - %(first)s))::int END,
               (%(users)s::int[])[1 + g %% %(nusers)s],
               %(today)s::timestamp - random() * interval '1095 days', 'paid',
               a.amount, a.amount, 0, 0, %(pricelist)s, now(), now(), 1, 1
          FROM generate_series(1, %(n)s) g,
               LATERAL (SELECT round((60 + random() * 900 + g * 0)::numeric, 2) AS amount) a
    """, {"session": session.id, "shops": configs.ids, "nshops": len(configs), "company": company.id,
          "first": first, "last": last, "users": users.ids, "nusers": len(users), "today": today,
          "pricelist": session.config_id.pricelist_id.id or None, "n": orders})
    cr.commit()
    log(f"  orders in {time.time() - start:.0f} s; {orders * per_order:,} lines ...")
    start = time.time()
    cr.execute("""
        INSERT INTO pos_order_line (name, order_id, product_id, qty, price_unit, price_subtotal, price_subtotal_incl,
                                    discount, company_id, full_product_name, create_date, write_date,
                                    create_uid, write_uid)
        SELECT 'BL', o.id, (%(products)s::int[])[1 + (o.id * 7 + k) %% %(nproducts)s], 1 + (o.id + k) %% 2,
               round(o.amount_total / %(per)s, 2), round(o.amount_total / %(per)s, 2),
               round(o.amount_total / %(per)s, 2), CASE WHEN (o.id + k) %% 5 = 0 THEN 20 ELSE 0 END,
               %(company)s, 'Bench item', now(), now(), 1, 1
          FROM pos_order o, generate_series(1, %(per)s) k
         WHERE o.id > %(before)s
    """, {"products": prods.ids, "nproducts": len(prods), "per": per_order, "company": company.id,
          "before": before})
    cr.commit()
    log(f"  lines in {time.time() - start:.0f} s; rebuilding {len(indexes)} indexes ...")
    start = time.time()
    cr.execute("SET maintenance_work_mem = '512MB'")
    for definition in indexes:
        cr.execute(definition)
    cr.commit()
    log(f"  indexes in {time.time() - start:.0f} s; ANALYZE ...")
    cr.execute("ANALYZE res_partner")
    cr.execute("ANALYZE pos_order")
    cr.execute("ANALYZE pos_order_line")
    cr.commit()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--db", default="bench_analysis")
    parser.add_argument("--reload", action="store_true")
    parser.add_argument("--skip-segmentation", action="store_true")
    args = parser.parse_args()
    odoo = prepare()
    ensure_db(odoo, args.db, "point_of_sale,vip_loyalty")
    env = env_for(odoo, args.db)
    ctx = setup(env)
    env.cr.execute("SELECT COUNT(*) FROM res_partner WHERE name LIKE 'Bench VIP %%'")
    loaded = env.cr.fetchone()[0]
    if args.reload or loaded == 0:
        if loaded:
            log("removing the previous bench data (TRUNCATE is far faster than DELETE here) ...")
            env.cr.execute("TRUNCATE pos_order_line, pos_order CASCADE")
            env.cr.execute("DELETE FROM res_partner WHERE name LIKE 'Bench VIP %%'")
            env.cr.commit()
        load(env, ctx, args.members, args.lines)
    env.cr.execute("SELECT COUNT(*) FROM res_partner WHERE vip_state <> 'none'")
    members = env.cr.fetchone()[0]
    env.cr.execute("SELECT COUNT(*) FROM pos_order")
    orders = env.cr.fetchone()[0]
    env.cr.execute("SELECT COUNT(*) FROM pos_order_line")
    lines = env.cr.fetchone()[0]
    log(f"dataset: {members:,} members, {orders:,} POS orders, {lines:,} order lines")

    company = ctx[0]
    month = (date.today().replace(day=1) - timedelta(days=1)).replace(day=1)
    snapshot = env["vip.analysis.snapshot"].with_company(company)
    for attempt in ("first", "second"):
        start = time.perf_counter()
        rows = snapshot._vip_compute_month(month, company)
        env.cr.commit()
        elapsed = time.perf_counter() - start
        total = rows.filtered(lambda r: r.row_type == "company")
        log(f"monthly snapshot {month:%Y-%m} ({attempt} run): {elapsed:.2f} s, {len(rows)} rows "
            f"(goal <= 10 s); company: {total.member_count:,} members, {total.total_sales:,.0f} sales, "
            f"contribution {total.contribution_rate:.1%}, dead cards {total.dead_card_rate:.1%}")
    if not args.skip_segmentation:
        start = time.perf_counter()
        changed = env["res.partner"]._vip_cron_segmentation(today=date.today())
        env.cr.commit()
        elapsed = time.perf_counter() - start
        log(f"nightly segmentation: {elapsed:.1f} s for {members:,} members, {changed:,} changed (goal <= 300 s)")
        start = time.perf_counter()
        changed = env["res.partner"]._vip_cron_segmentation(today=date.today())
        env.cr.commit()
        log(f"nightly segmentation re-run: {time.perf_counter() - start:.1f} s, {changed:,} changed")
    env.cr.close()


if __name__ == "__main__":
    main()
