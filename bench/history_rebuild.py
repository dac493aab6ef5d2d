"""Time and peak memory of the "Rebuild from history" wizard on a large past.

Creates customers and a year of paid POS orders directly in SQL (as a database that ran
point_of_sale before vip_loyalty was installed would hold them), then runs the rebuild
(``vip.job``'s rebuild, committed chunks of ``--batch`` members, as the background job does) and prints
the elapsed time, the throughput and the peak resident memory of the process.

    .venv/bin/python bench/history_rebuild.py [--customers 100000] [--lines 2000000]

Every run adds its own customers and orders (tagged with the run), so runs can be repeated
in the same database; orders already processed are never replayed again.
"""

import argparse
import resource
import time
import uuid

from _odoo import ensure_db, env_for, prepare


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def generate(env, customers, lines, lines_per_order, date_from, tag, refund_rate):
    """Customers with 1 to 2n-1 orders each (n on average), a few returned within two weeks."""
    config = env.ref("point_of_sale.pos_config_main")
    if not config.current_session_id:
        config.with_user(env.ref("base.user_admin")).open_ui()
    session = config.current_session_id
    product = env["product.product"].search([("available_in_pos", "=", True)], limit=1)
    cr = env.cr
    per_customer = max(1, lines // (customers * lines_per_order))
    cr.execute(
        """
        CREATE TEMP TABLE bench_partner ON COMMIT DROP AS
        WITH ins AS (
            INSERT INTO res_partner (name, complete_name, active, type, vip_state, vip_points_balance,
                                     autopost_bills, phone, create_date, write_date)
            SELECT 'Rebuild ' || %(tag)s || ' ' || g, 'Rebuild ' || %(tag)s || ' ' || g, TRUE, 'contact', 'none', 0,
                   'ask', '139' || lpad(g::text, 8, '0'), now(), now()
              FROM generate_series(1, %(customers)s) g
            RETURNING id)
        SELECT id, 1 + floor(random() * (2 * %(per)s - 1))::int AS orders FROM ins
        """,
        {"tag": tag, "customers": customers, "per": per_customer},
    )
    params = {"tag": tag, "session": session.id, "config": config.id, "company": config.company_id.id,
              "uid": env.uid, "pricelist": config.pricelist_id.id or None, "date_from": date_from,
              "product": product.id, "n": lines_per_order, "refund_rate": refund_rate}
    cr.execute(
        """
        CREATE TEMP TABLE bench_order ON COMMIT DROP AS
        WITH ins AS (
            INSERT INTO pos_order (name, pos_reference, session_id, config_id, company_id, partner_id, user_id,
                                   pricelist_id, date_order, state, amount_total, amount_paid, amount_tax,
                                   amount_return, vip_processed, create_date, write_date)
            SELECT 'RB/' || %(tag)s || '/' || p.id || '/' || k, 'RB-' || %(tag)s || '-' || p.id || '-' || k,
                   %(session)s, %(config)s, %(company)s, p.id, %(uid)s, %(pricelist)s,
                   (%(date_from)s::date + (floor(random() * 350) || ' days')::interval + interval '12 hours'),
                   'paid', a.amount, a.amount, 0, 0, FALSE, now(), now()
              FROM bench_partner p CROSS JOIN LATERAL generate_series(1, p.orders) k
              CROSS JOIN LATERAL (SELECT round((50 + random() * 1450)::numeric, 0) * %(n)s AS amount
                                   WHERE k > 0) a
            RETURNING id, name, partner_id, date_order, amount_total)
        SELECT * FROM ins
        """,
        params,
    )
    cr.execute(
        """
        CREATE TEMP TABLE bench_line ON COMMIT DROP AS
        WITH ins AS (
            INSERT INTO pos_order_line (name, full_product_name, order_id, product_id, qty, price_unit, discount,
                                        price_subtotal, price_subtotal_incl, create_date, write_date)
            SELECT o.name || '-' || j, 'Bench item', o.id, %(product)s, 1, o.amount_total / %(n)s, 0,
                   o.amount_total / %(n)s, o.amount_total / %(n)s, now(), now()
              FROM bench_order o CROSS JOIN generate_series(1, %(n)s) j
            RETURNING id, order_id, price_subtotal_incl)
        SELECT * FROM ins
        """,
        params,
    )
    # Returns: one line of a few orders, brought back within two weeks.
    cr.execute(
        """
        CREATE TEMP TABLE bench_return ON COMMIT DROP AS
        SELECT o.*, first_line.line_id
          FROM bench_order o
          JOIN (SELECT order_id, min(id) AS line_id FROM bench_line GROUP BY order_id) first_line
            ON first_line.order_id = o.id
         WHERE random() < %(refund_rate)s;
        WITH ins AS (
            INSERT INTO pos_order (name, pos_reference, session_id, config_id, company_id, partner_id, user_id,
                                   pricelist_id, date_order, state, amount_total, amount_paid, amount_tax,
                                   amount_return, vip_processed, create_date, write_date)
            SELECT r.name || ' REFUND', 'RF-' || r.id, %(session)s, %(config)s, %(company)s, r.partner_id,
                   %(uid)s, %(pricelist)s, r.date_order + (1 + floor(random() * 14)) * interval '1 day', 'paid',
                   -r.amount_total / %(n)s, -r.amount_total / %(n)s, 0, 0, FALSE, now(), now()
              FROM bench_return r
            RETURNING id, name, amount_total)
        INSERT INTO pos_order_line (name, full_product_name, order_id, product_id, qty, price_unit, discount,
                                    price_subtotal, price_subtotal_incl, refunded_orderline_id,
                                    create_date, write_date)
        SELECT ins.name, 'Bench item', ins.id, %(product)s, -1, -ins.amount_total, 0,
               ins.amount_total, ins.amount_total, r.line_id, now(), now()
          FROM ins JOIN bench_return r ON ins.name = r.name || ' REFUND'
        """,
        params,
    )
    cr.execute("SELECT (SELECT count(*) FROM bench_order), (SELECT count(*) FROM bench_line),"
               " (SELECT count(*) FROM bench_return)")
    orders, order_lines, returns = cr.fetchone()
    cr.commit()
    return config.company_id, orders + returns, order_lines + returns, returns


def plain_orm_read(env, company, tag, batch=10_000):
    """Plain Odoo reference: read the same paid orders and their lines through the ORM, in batches."""
    env.cr.execute("SELECT id FROM pos_order WHERE company_id = %s AND name LIKE %s ORDER BY id",
                   [company.id, f"RB/{tag}/%"])  # the run's sales and their returns
    ids = [r[0] for r in env.cr.fetchall()]
    start = time.perf_counter()
    for i in range(0, len(ids), batch):
        orders = env["pos.order"].browse(ids[i:i + batch])
        orders.read(["partner_id", "date_order", "amount_total", "state"])
        orders.lines.read(["product_id", "price_subtotal_incl", "discount", "refunded_orderline_id"])
        env.invalidate_all()
    return time.perf_counter() - start


def generated_year(default_db):
    """Parse the options shared with bench/simulation.py, then generate a year of customers and
    paid orders in the database; returns (args, env, company, first day, today, run tag)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--lines-per-order", type=int, default=2)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--refund-rate", type=float, default=0.03)
    parser.add_argument("--db", default=default_db)
    args = parser.parse_args()
    odoo = prepare()
    ensure_db(odoo, args.db, "point_of_sale,vip_loyalty")
    env = env_for(odoo, args.db)
    today = odoo.fields.Date.context_today(env["res.partner"])
    date_from = today.replace(year=today.year - 1)
    tag = uuid.uuid4().hex[:6]
    start = time.perf_counter()
    company, orders, lines, returns = generate(env, args.customers, args.lines, args.lines_per_order, date_from,
                                               tag, args.refund_rate)
    print(f"generated {args.customers} customers, {orders} paid orders ({returns} of them returns), "
          f"{lines} order lines in {time.perf_counter() - start:.1f} s", flush=True)
    return args, env, company, date_from, today, tag


def run_rebuild(env, company, date_from, batch):
    """The rebuild job over the company's unprocessed orders, committed; returns (job, seconds)."""
    job = env["vip.job"].create({
        "kind": "rebuild", "company_id": company.id, "user_id": env.uid, "date_from": date_from,
        "dry_run": False, "batch_size": batch,
    })
    start = time.perf_counter()
    job._vip_run_slice(deadline=None, commit=True)  # the cron's code, without its time slices
    elapsed = time.perf_counter() - start
    env.cr.commit()
    return job, elapsed


def main():
    args, env, company, date_from, _today, tag = generated_year("bench_rebuild")
    before = peak_mb()
    job, elapsed = run_rebuild(env, company, date_from, args.batch)
    print(f"rebuilt {job.members_count} members, {job.orders_count} orders "
          f"({job.failed_count} failed) in {elapsed:.1f} s: "
          f"{job.orders_count / elapsed:.0f} orders/s, {job.members_count / elapsed:.1f} members/s")
    print(f"points outstanding {job.points_outstanding}; levels: " + ", ".join(job.level_summary.splitlines()))
    print(f"peak memory (RSS) {peak_mb():.0f} MB (before the rebuild {before:.0f} MB)", flush=True)
    # The reference afterwards, so the peak above is the rebuild's own.
    plain = plain_orm_read(env, company, tag)
    print(f"plain Odoo ORM read of the same orders and lines: {plain:.1f} s")
    print(f"ratio rebuild / plain ORM read: {elapsed / plain:.2f}")
    env.cr.execute("SELECT count(*), count(*) FILTER (WHERE remaining > 0) FROM vip_points_entry"
                   " WHERE is_history_rebuild AND partner_id = ANY(%s)", [job.member_ids.ids])
    entries, lots = env.cr.fetchone()
    mismatches = env["res.partner"]._vip_check_balances()
    print(f"ledger: {entries} rebuilt entries, {lots} open lots; members whose balance differs from "
          f"their ledger: {len(mismatches)}")
    env.cr.close()


if __name__ == "__main__":
    main()
