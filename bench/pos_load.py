"""POS start-up data with 1,000 and 100,000 members: the size and time of ``pos.session.load_data``.

DESIGN §8: loading the POS must not grow with the number of members. The terminal loads a
bounded set of partners (Odoo's own limit) with two small VIP columns, and fetches a member's
VIP data only when the cashier selects them. This script measures that: it bulk-inserts
members by SQL (with points ledger rows) up to each size, then times ``load_data`` as the
terminal calls it at start and prints the JSON size of the answer.

    .venv/bin/python bench/pos_load.py [--sizes 1000 100000] [--repeat 5] [--db bench_pos_vip]
"""

import argparse
import json
import statistics
import time

from _odoo import ensure_db, env_for, prepare


def member_count(env):
    env.cr.execute("SELECT COUNT(*) FROM res_partner WHERE vip_state <> 'none'")
    return env.cr.fetchone()[0]


def grow_members(env, target):
    """Insert members (and one earn lot each) by SQL until ``target`` members exist."""
    have = member_count(env)
    if have >= target:
        return have
    company = env.ref("base.main_company")
    level = env["vip.level"].search([("company_id", "=", company.id)], limit=1)
    start = have
    batch = 20000
    while start < target:
        stop = min(start + batch, target)
        env.cr.execute(
            """
            WITH new AS (
                INSERT INTO res_partner (name, complete_name, phone, active, type, vip_state, vip_level_id,
                                         vip_card_number, vip_points_balance, vip_enrol_date, create_date, write_date,
                                         is_company, autopost_bills)
                SELECT 'Bench member ' || g, 'Bench member ' || g, '+86 139 ' || lpad(g::text, 8, '0'), true,
                       'contact', 'active', %(level)s, 'BENCH' || lpad(g::text, 8, '0'), 100, CURRENT_DATE,
                       now(), now(), false, 'ask'
                  FROM generate_series(%(start)s, %(stop)s - 1) g
                RETURNING id
            )
            INSERT INTO vip_points_entry (partner_id, company_id, date, points, remaining, entry_type,
                                          expiry_date, rule_description, create_date, write_date)
            SELECT id, %(company)s, CURRENT_DATE, 100, 100, 'earn', CURRENT_DATE + 200, 'bench', now(), now()
              FROM new
            """,
            {"level": level.id or None, "start": start, "stop": stop, "company": company.id},
        )
        env.cr.commit()
        start = stop
    env.cr.execute("ANALYZE res_partner; ANALYZE vip_points_entry")
    return member_count(env)


def measure(env, session, repeat):
    models = env["pos.session"]._load_pos_data_models(session.config_id.id)
    times, core, size, partners = [], [], 0, 0
    for _i in range(repeat):
        # Odoo's own choice of partners to load (most orders first): it sorts every partner.
        start = time.perf_counter()
        session.config_id.get_limited_partners_loading()
        core.append(time.perf_counter() - start)
        env.invalidate_all()
        start = time.perf_counter()
        data = session.load_data(models)
        payload = json.dumps(data, default=str)
        times.append(time.perf_counter() - start)
        size = len(payload.encode())
        partners = len(data["res.partner"]["data"])
    return statistics.median(times), statistics.median(core), size, partners


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", default="bench_pos_vip")
    args = parser.parse_args()
    odoo = prepare()
    ensure_db(odoo, args.db, "point_of_sale,vip_loyalty")
    env = env_for(odoo, args.db)
    env = env(user=env.ref("base.user_admin").id)  # as a POS user would call it
    config = env.ref("point_of_sale.pos_config_main")
    if not config.current_session_id:
        config.open_ui()
        env.cr.commit()
    session = config.current_session_id
    print(f"{'members':>9} {'load_data (median)':>19} {'bytes':>10} {'partners loaded':>16}"
          f" {'of which Odoo partner query':>28}")
    for size in sorted(args.sizes):
        members = grow_members(env, size)
        seconds, core, nbytes, partners = measure(env, session, args.repeat)
        print(f"{members:>9} {seconds * 1000:>16.0f} ms {nbytes:>10} {partners:>16} {core * 1000:>25.0f} ms",
              flush=True)
    env.cr.close()


if __name__ == "__main__":
    main()
