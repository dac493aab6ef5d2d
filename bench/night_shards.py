"""The nightly job in shards over a million members, with one and with two cron workers.

Builds (once) a base database with point_of_sale and vip_loyalty and loads, with set-based SQL:
members spread over the levels (a fifth due for a level review), ten points lots each (30% past
expiry on the first night, the worst case; 10% more expire the next night) and one paid POS order
with two lines per member. A full segmentation then sets everyone's segments and RFM scores, as a
database in service would have them. Each measured night runs on a fresh copy of that base:

    plan (the nightly cron: pending orders, the night's shards)
    + the shards, taken by W worker processes at once, each exactly as a cron worker runs
      ``vip.night.shard._vip_run_shards`` (claim with SKIP LOCKED, one transaction per shard)

and prints the wall time end to end, each worker's shards, time and peak memory, and checks that
no lot expired twice and that a re-run for the same date does nothing.

    .venv/bin/python bench/night_shards.py [--members 1000000] [--lots 10] [--workers 1 2]
"""

import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import time

from _odoo import ensure_db, env_for, prepare

BASE_DB = "bench_night_shards_base"
TODAY = datetime.date(2026, 11, 25)


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def drop_indexes(cr, tables):
    cr.execute("""
        SELECT i.indexname, i.indexdef FROM pg_indexes i
         WHERE i.tablename = ANY(%s) AND i.indexname NOT LIKE '%%_pkey'
    """, [list(tables)])
    found = cr.fetchall()
    for name, _definition in found:
        cr.execute(f'DROP INDEX IF EXISTS "{name}"')
    return [definition for _name, definition in found]


def load(env, members, lots, today=TODAY, orders=True):
    """Members, lots and (``orders``) one paid order each, then a full segmentation; committed."""
    cr = env.cr
    company = env.company
    levels = env["vip.level"].search([("company_id", "=", company.id)], order="sequence")
    started = time.time()
    indexes = drop_indexes(cr, ("res_partner", "vip_points_entry", "pos_order", "pos_order_line"))
    cr.execute("""
        INSERT INTO res_partner (name, complete_name, type, active, is_company, autopost_bills, lang, company_id,
                                 vip_state, vip_card_number, vip_level_id, vip_level_since, vip_level_valid_until,
                                 vip_last_purchase_date, vip_enrol_date, vip_points_balance,
                                 create_date, write_date, create_uid, write_uid)
        SELECT 'Night member ' || g, 'Night member ' || g, 'contact', TRUE, FALSE, 'ask', 'en_US', %(company)s,
               'active', 'NS' || lpad(g::text, 9, '0'), (%(levels)s::int[])[1 + g %% %(nlevels)s],
               %(today)s::date - (g %% 700), %(today)s::date + (g %% 365) - 60, %(today)s::date - (g %% 400),
               %(today)s::date - 800, 0, now() - interval '3 days', now() - interval '3 days', 1, 1
          FROM generate_series(1, %(n)s) g
    """, {"company": company.id, "levels": levels.ids, "nlevels": len(levels), "today": today, "n": members})
    log(f"  {members:,} members in {time.time() - started:.0f} s")
    cr.execute("""
        INSERT INTO vip_points_entry (partner_id, company_id, date, points, entry_type, remaining, expiry_date,
                                      rule_description, create_uid, create_date, write_uid, write_date)
        SELECT p.id, %(company)s, %(today)s::date - 400 + k * 30, 10 + k, 'earn', 10 + k,
               %(today)s::date - 120 + k * 40, 'bench lot', 1, now() - interval '3 days', 1, now() - interval '3 days'
          FROM res_partner p, generate_series(0, %(lots)s - 1) k
         WHERE p.name LIKE 'Night member %%'
    """, {"company": company.id, "today": today, "lots": lots})
    log(f"  {members * lots:,} lots in {time.time() - started:.0f} s")
    if orders:
        load_orders(env)
    log(f"  rebuilding {len(indexes)} indexes ...")
    cr.execute("SET maintenance_work_mem = '512MB'")
    for definition in indexes:
        cr.execute(definition)
    cr.execute("""
        UPDATE res_partner p SET vip_points_balance = s.total
          FROM (SELECT partner_id, SUM(points) total FROM vip_points_entry GROUP BY partner_id) s
         WHERE s.partner_id = p.id
    """)
    cr.execute("ANALYZE")
    cr.commit()
    log(f"  loaded in {time.time() - started:.0f} s; full segmentation (as in service) ...")
    started = time.time()
    env["res.partner"]._vip_segment_company(today - datetime.timedelta(days=1), company)
    program = env["vip.program"]._get_for_company(company)
    program.rfm_refreshed_on = today - datetime.timedelta(days=1)
    # The night before was planned two days ago (the data is older): the usual look-back.
    env["vip.night.shard"].create({"company_id": company.id, "night": today - datetime.timedelta(days=1),
                                   "kind": "final", "state": "done"})
    env.flush_all()
    cr.execute("UPDATE vip_night_shard SET create_date = now() - interval '2 days'")
    cr.commit()
    log(f"  segmentation in {time.time() - started:.0f} s")


def load_orders(env):
    """One paid POS order with two lines per member, on their last purchase date."""
    cr = env.cr
    company = env.company
    config = env["pos.config"].search([], limit=1) or env["pos.config"].create({"name": "Night shop"})
    env.flush_all()
    # A session row for the orders to belong to (opening one through the UI needs a cash journal set-up).
    cr.execute("INSERT INTO pos_session (name, config_id, user_id, state, start_at, create_date, write_date,"
               " create_uid, write_uid) VALUES ('NIGHT/SESSION', %s, 2, 'opened', now(), now(), now(), 1, 1)"
               " RETURNING id", [config.id])
    session = env["pos.session"].browse(cr.fetchone()[0])
    products = env["product.product"].create([
        {"name": f"Night item {i}", "list_price": 50 + 25 * i, "available_in_pos": True, "taxes_id": [(5, 0, 0)]}
        for i in range(20)
    ])
    env.flush_all()
    cr.execute("""
        INSERT INTO pos_order (name, session_id, config_id, company_id, partner_id, user_id, date_order, state,
                               amount_total, amount_paid, amount_tax, amount_return, pricelist_id,
                               create_date, write_date, create_uid, write_uid)
        SELECT 'NIGHT/' || p.id, %(session)s, %(config)s, %(company)s, p.id, 2,
               p.vip_last_purchase_date + time '12:00', 'paid', 100 + p.id %% 900, 100 + p.id %% 900, 0, 0,
               %(pricelist)s, now() - interval '3 days', now() - interval '3 days', 1, 1
          FROM res_partner p WHERE p.name LIKE 'Night member %%'
    """, {"session": session.id, "config": config.id, "company": company.id,
          "pricelist": config.pricelist_id.id or None})
    cr.execute("""
        INSERT INTO pos_order_line (name, order_id, product_id, qty, price_unit, price_subtotal, price_subtotal_incl,
                                    discount, company_id, full_product_name, create_date, write_date,
                                    create_uid, write_uid)
        SELECT 'NL', o.id, (%(products)s::int[])[1 + (o.id * 7 + k) %% 20], 1 + (o.id + k) %% 2,
               o.amount_total / 2, o.amount_total / 2, o.amount_total / 2, 0, %(company)s, 'Night item',
               now() - interval '3 days', now() - interval '3 days', 1, 1
          FROM pos_order o, generate_series(1, 2) k WHERE o.name LIKE 'NIGHT/%%'
    """, {"products": products.ids, "company": company.id})
    log("  orders and lines loaded")


def worker(db, night):
    """One cron worker: take shards until none is left (no time slice, as one long cron run)."""
    odoo = prepare()
    env = env_for(odoo, db)
    started = time.perf_counter()
    done = env["vip.night.shard"]._vip_run_shards(deadline=float("inf"))
    env.cr.commit()
    print(json.dumps({"pid": os.getpid(), "shards": done, "seconds": time.perf_counter() - started,
                      "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)
    env.cr.close()


def copy_db(odoo, db):
    odoo.sql_db.close_all()
    with odoo.sql_db.db_connect("postgres").cursor() as cr:
        cr._cnx.autocommit = True
        cr.execute(f'DROP DATABASE IF EXISTS "{db}"')
        cr.execute(f'CREATE DATABASE "{db}" TEMPLATE "{BASE_DB}"')


def night(odoo, db, day, workers):
    """Plan as the nightly cron does, then W workers at once; returns wall seconds."""
    started = time.perf_counter()
    env = env_for(odoo, db)
    company = env.company
    program = env["vip.program"]._get_for_company(company)
    env["pos.order"]._vip_process_pending(company, program.create_date)
    shards = env["vip.night.shard"]._vip_plan_night(company, day, program)
    env.cr.commit()
    planned = time.perf_counter() - started
    procs = [subprocess.Popen([sys.executable, __file__, "--worker", db, "--night", str(day)],
                              stdout=subprocess.PIPE, text=True) for _ in range(workers)]
    results = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
    wall = time.perf_counter() - started
    env.cr.execute("""
        SELECT count(*) FILTER (WHERE state = 'done'), count(*) FILTER (WHERE state <> 'done'),
               COALESCE(sum(lots_expired), 0), COALESCE(sum(levels_changed), 0), COALESCE(sum(members), 0),
               count(DISTINCT worker)
          FROM vip_night_shard WHERE night = %s AND company_id = %s
    """, [day, company.id])
    done, left, lots, levels, segmented, distinct = env.cr.fetchone()
    env.cr.execute("SELECT count(*) FROM (SELECT reversed_entry_id FROM vip_points_entry WHERE entry_type = 'expire'"
                   " GROUP BY reversed_entry_id HAVING count(*) > 1) d")
    twice = env.cr.fetchone()[0]
    log(f"  night {day}, {workers} worker(s): {wall:.1f} s end to end (plan {planned:.1f} s, {shards} shards); "
        f"{done} shards done, {left} not; {lots:,} lots expired, {levels:,} level changes, "
        f"{segmented:,} members re-segmented; lots expired twice: {twice}; workers seen: {distinct}")
    for r in results:
        log(f"    worker pid {r['pid']}: {r['shards']} shards in {r['seconds']:.1f} s, "
            f"peak memory {r['peak_mib']:.0f} MiB")
    env.cr.close()
    return wall


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--lots", type=int, default=10)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--nights", nargs="+", default=["worst", "rerun", "next"],
                        help="worst: the first night; rerun: it again; next: the night after")
    parser.add_argument("--worker")
    parser.add_argument("--night")
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.night)
    odoo = prepare()
    ensure_db(odoo, BASE_DB, "point_of_sale,vip_loyalty", demo=False)
    env = env_for(odoo, BASE_DB)
    env.cr.execute("SELECT count(*) FROM res_partner WHERE name LIKE 'Night member %%'")
    if env.cr.fetchone()[0] != args.members:
        env.cr.execute("SELECT count(*) FROM res_partner WHERE name LIKE 'Night member %%'")
        if env.cr.fetchone()[0]:
            raise SystemExit(f"{BASE_DB} holds another size: drop it first")
        log(f"loading {args.members:,} members, {args.members * args.lots:,} lots, {args.members:,} orders ...")
        load(env, args.members, args.lots)
    env.cr.close()
    odoo.modules.registry.Registry.delete(BASE_DB)
    tomorrow = TODAY + datetime.timedelta(days=1)
    for workers in args.workers:
        db = f"bench_night_shards_{workers}"
        copy_db(odoo, db)
        log(f"{workers} worker(s), copy of the base ready")
        days = {"worst": TODAY, "rerun": TODAY, "next": tomorrow}
        scale = 1_000_000 / args.members
        for name in args.nights:
            wall = night(odoo, db, days[name], workers)
            log(f"RESULT {workers} worker(s), {args.members:,} members, {name} night: {wall:.1f} s; "
                f"linear to 1,000,000 members: {wall * scale / 60:.1f} min")
        odoo.modules.registry.Registry.delete(db)
        odoo.sql_db.close_all()
    return None


if __name__ == "__main__":
    main()
