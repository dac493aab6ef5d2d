"""The nightly cron at scale: lot expiry, level review and the balance check.

Members and ledger lots are bulk-inserted by SQL (the ORM would take hours to create a
million rows), then the cron's own methods run on them. As a plain-Odoo reference in the
same run, the script times Odoo reading the same partners through the ORM in the same
batch size, which is the least any nightly job over those members costs.

    .venv/bin/python bench/nightly.py [--members 100000] [--lots 10]
"""

import argparse
import datetime
import resource
import time

from _odoo import ensure_db, env_for, prepare

BASE_DB = "bench_nightly_base"  # populated once, copied for every run
DB = "bench_nightly"
TODAY = datetime.date(2026, 11, 25)


def columns(cr, table):
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND column_name <> 'id'",
        [table],
    )
    return [r[0] for r in cr.fetchall()]


def populate(env, members, lots):
    """Members spread over the levels, a fifth of them due for review, 30% of lots past expiry."""
    cr = env.cr
    company = env.company
    levels = env["vip.level"].search([("company_id", "=", company.id)], order="sequence")
    cr.execute("SELECT count(*) FROM res_partner WHERE name LIKE 'Nightly member %%'")
    if cr.fetchone()[0] >= members:
        return
    template = env["res.partner"].create({"name": "Nightly template", "phone": "13900000000"})
    template._vip_enrol()
    env.flush_all()
    cols = columns(cr, "res_partner")
    override = {
        "name": "'Nightly member ' || g",
        "complete_name": "'Nightly member ' || g",
        "phone": "'139' || lpad(g::text, 8, '0')",
        "vip_card_number": "'NB' || lpad(g::text, 9, '0')",
        "vip_level_id": f"(ARRAY{levels.ids})[1 + g %% {len(levels)}]",
        "vip_level_since": f"DATE '{TODAY}' - (g %% 700)",
        "vip_level_valid_until": f"DATE '{TODAY}' + (g %% 365) - 60",
        "vip_last_purchase_date": f"DATE '{TODAY}' - (g %% 400)",
        "vip_enrol_date": f"DATE '{TODAY}' - 800",
        "vip_points_balance": "0",
    }
    select = ", ".join(override.get(c, c) for c in cols)
    started = time.time()
    cr.execute(
        f"INSERT INTO res_partner ({', '.join(cols)}) "  # noqa: S608 - bench script, fixed identifiers
        f"SELECT {select} FROM res_partner, generate_series(1, %s) g WHERE res_partner.id = %s",
        [members, template.id],
    )
    cr.execute(
        """
        INSERT INTO vip_points_entry (partner_id, company_id, date, points, entry_type, remaining, expiry_date,
                                      rule_description, create_uid, create_date, write_uid, write_date)
        SELECT p.id, %(company)s, %(today)s::date - 400 + k * 30, 10 + k, 'earn', 10 + k,
               %(today)s::date - 120 + k * 40, 'bench lot', 1, now(), 1, now()
          FROM res_partner p, generate_series(0, %(lots)s - 1) k
         WHERE p.name LIKE 'Nightly member %%'
        """,
        {"company": company.id, "today": TODAY, "lots": lots},
    )
    cr.execute("ANALYZE res_partner; ANALYZE vip_points_entry")
    cr.execute(
        """
        UPDATE res_partner p SET vip_points_balance = s.total
          FROM (SELECT partner_id, SUM(points) total FROM vip_points_entry GROUP BY partner_id) s
         WHERE s.partner_id = p.id
        """
    )
    cr.commit()
    print(f"inserted {members} members and {members * lots} lots in {time.time() - started:.0f} s", flush=True)


def timed(label, func):
    started = time.perf_counter()
    result = func()
    elapsed = time.perf_counter() - started
    print(f"{label:<38} {elapsed:8.1f} s   ({result})", flush=True)
    return elapsed


def plain_reference(env, batch_size):
    """Plain Odoo: read name, email and phone of every member through the ORM, batch by batch."""
    env.cr.execute("SELECT id FROM res_partner WHERE name LIKE 'Nightly member %%' ORDER BY id")
    ids = [r[0] for r in env.cr.fetchall()]
    for start in range(0, len(ids), batch_size):
        batch = env["res.partner"].browse(ids[start:start + batch_size])
        batch.read(["name", "email", "phone"])
        batch.invalidate_recordset()
    return f"{len(ids)} partners"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=100000)
    parser.add_argument("--lots", type=int, default=10)
    args = parser.parse_args()
    odoo = prepare()
    ensure_db(odoo, BASE_DB, "point_of_sale,vip_loyalty", demo=False)
    env = env_for(odoo, BASE_DB)
    populate(env, args.members, args.lots)
    env.cr.close()
    odoo.modules.registry.Registry.delete(BASE_DB)
    odoo.sql_db.close_db(BASE_DB)
    with odoo.sql_db.db_connect("postgres").cursor() as cr:
        cr._cnx.autocommit = True
        cr.execute(f'DROP DATABASE IF EXISTS "{DB}"')
        cr.execute(f'CREATE DATABASE "{DB}" TEMPLATE "{BASE_DB}"')
    env = env_for(odoo, DB)
    # Commit per batch like the real cron does (the benchmark is not a test).
    program = env["vip.program"]._get_for_company(env.company)
    batch = program.cron_batch_size or 1000
    entries = env["vip.points.entry"].search_count([])
    print(f"members: {args.members}, ledger entries before: {entries}, batch size {batch}", flush=True)
    plain = timed("plain Odoo ORM pass over the members", lambda: plain_reference(env, batch))
    expire = timed(
        "expire lots (set-based SQL)",
        lambda: f"{env['vip.points.entry']._vip_expire_lots(TODAY, env.company, program.cron_batch_size)} lots",
    )
    levels = timed(
        "level review (validity, decay, lost)",
        lambda: f"{env['res.partner']._vip_nightly_levels(TODAY, env.company, program)} changed",
    )
    check = timed("balance check (ledger sum)", lambda: f"{len(env['res.partner']._vip_check_balances())} mismatches")
    rerun = timed(
        "re-run for the same date",
        lambda: f"{env['vip.points.entry']._vip_expire_lots(TODAY, env.company, program.cron_batch_size)} lots",
    )
    tomorrow = TODAY + datetime.timedelta(days=1)
    next_night = timed(
        "next night (expiry + levels)",
        lambda: (
            f"{env['vip.points.entry']._vip_expire_lots(tomorrow, env.company, program.cron_batch_size)} lots, "
            f"{env['res.partner']._vip_nightly_levels(tomorrow, env.company, program)} changed"
        ),
    )
    total = expire + levels + check
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    scale = 1_000_000 / args.members
    print(f"nightly total: {total:.1f} s for {args.members} members; ratio to the plain ORM pass: {total / plain:.2f}")
    print(f"re-run: {rerun:.1f} s; next night: {next_night:.1f} s; peak memory of this process: {peak:.0f} MiB")
    print(f"linear extrapolation to 1,000,000 members / {args.lots * 1_000_000:,} entries: "
          f"{total * scale / 60:.1f} min (goal <= 5 min)")
    env.cr.close()


if __name__ == "__main__":
    main()
