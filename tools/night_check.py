"""Two cron workers share one night: every member done once, the same result as one worker.

    python tools/night_check.py ODOO_SRC ODOO_CONF DB [--members N] [--shard-size N]

DB is a scratch copy of the test database (tools/test.sh makes and drops it). The check loads
members with ten points lots each (bench/night_shards.py's generator: 30% of the lots past
expiry, a fifth of the members due for a level review), cuts the night into small shards and
copies the database. On each copy it starts odoo-bin with --max-cron-threads=2 (then =1), wakes
Odoo's cron with the nightly job due, and waits until the night's shards are done. It passes
when, with two cron threads, both threads took shards, no lot expired twice and no member had
two level changes, every member lies in exactly one shard, and every member's balance, level,
status, segments and ledger are the same as with one. The servers are always stopped.
"""
import argparse
import os
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

parser = argparse.ArgumentParser()
parser.add_argument("odoo_src")
parser.add_argument("conf")
parser.add_argument("db")
parser.add_argument("--members", type=int, default=2000)
parser.add_argument("--shard-size", type=int, default=100)
parser.add_argument("--timeout", type=int, default=400)
parser.add_argument("--http-port", type=int, default=int(os.environ.get("VIP_NIGHT_HTTP_PORT", 8186)))
args = parser.parse_args()

sys.path.insert(0, args.odoo_src)
sys.path.insert(0, os.path.join(ROOT, "bench"))

import odoo  # noqa: E402
from night_shards import load  # noqa: E402


def say(line):
    print(line, flush=True)


def prepare():
    odoo.tools.config.parse_config(["-c", args.conf, "-d", args.db, "--log-level=warn"])
    registry = odoo.modules.registry.Registry.new(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        company = env.ref("base.main_company")
        env = env(context={"allowed_company_ids": company.ids})
        today = company._vip_today()
        load(env, args.members, 10, today=today, orders=False)
        program = env["vip.program"]._get_for_company(company)
        program.night_shard_size = args.shard_size
        # Only the VIP night runs: the other crons wait a day; the nightly one is due now.
        cr.execute("UPDATE ir_cron SET nextcall = now() AT TIME ZONE 'UTC' + interval '1 day'")
        env.ref("vip_loyalty.ir_cron_vip_nightly").nextcall = odoo.fields.Datetime.now()
        cr.commit()
    odoo.sql_db.close_all()
    return today


def copy(target):
    with odoo.sql_db.db_connect("postgres").cursor() as cr:
        cr._cnx.autocommit = True
        cr.execute(f'DROP DATABASE IF EXISTS "{target}"')
        cr.execute(f'CREATE DATABASE "{target}" TEMPLATE "{args.db}"')
    odoo.sql_db.close_all()


def run_night(db, threads, today):
    """A server with ``threads`` cron threads until the night's shards are all done."""
    logfile = os.path.join(os.path.dirname(os.path.abspath(args.conf)), "test", f"night_{threads}.log")
    server = subprocess.Popen(
        [sys.executable, os.path.join(args.odoo_src, "odoo-bin"), "-c", args.conf, "-d", db, f"--db-filter=^{db}$",
         f"--max-cron-threads={threads}", "--http-interface=127.0.0.1", f"--http-port={args.http_port}",
         f"--logfile={logfile}", "--log-level=info"],
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = time.monotonic()
    try:
        registry = odoo.modules.registry.Registry.new(db)
        while time.monotonic() - started < args.timeout:
            time.sleep(2)
            if server.poll() is not None:
                raise SystemExit(f"FAILED: the server stopped; see {logfile}")
            # Cron threads sleep up to a minute: wake them as a trigger does (they listen on "postgres").
            with odoo.sql_db.db_connect("postgres").cursor() as cr:
                cr.execute("SELECT pg_notify('cron_trigger', %s)", [db])
            with registry.cursor() as cr:
                cr.execute("SELECT count(*), count(*) FILTER (WHERE state = 'done') FROM vip_night_shard "
                           "WHERE night = %s", [today])
                total, done = cr.fetchone()
                cr.commit()
            if total and total == done:
                break
        else:
            raise SystemExit(f"FAILED: the night was not done in {args.timeout} s; see {logfile}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
    elapsed = time.monotonic() - started
    with registry.cursor() as cr:
        cr.execute("SELECT kind, id_from, id_to, worker FROM vip_night_shard WHERE night = %s AND company_id = "
                   "(SELECT company_id FROM res_partner WHERE name LIKE 'Night member %%' LIMIT 1)", [today])
        shards = cr.fetchall()
        cr.execute("""
            SELECT p.id, p.vip_points_balance, p.vip_level_id, p.vip_state, p.vip_level_valid_until,
                   p.vip_abc_class, p.vip_lifecycle_stage, p.vip_rfm_score, p.vip_segment_due,
                   (SELECT count(*) FROM vip_points_entry e WHERE e.partner_id = p.id AND e.entry_type = 'expire'),
                   (SELECT count(*) FROM vip_level_history h WHERE h.partner_id = p.id)
              FROM res_partner p WHERE p.name LIKE 'Night member %%' ORDER BY p.id
        """)
        members = cr.fetchall()
        cr.execute("SELECT count(*) FROM (SELECT reversed_entry_id FROM vip_points_entry WHERE entry_type = 'expire'"
                   " GROUP BY reversed_entry_id HAVING count(*) > 1) d")
        twice = cr.fetchone()[0]
        cr.execute("SELECT count(*) FROM (SELECT partner_id FROM vip_level_history WHERE date = %s"
                   " GROUP BY partner_id HAVING count(*) > 1) d", [today])
        moved_twice = cr.fetchone()[0]
    odoo.modules.registry.Registry.delete(db)
    odoo.sql_db.close_all()
    workers = {w for _k, _f, _t, w in shards}
    say(f"--max-cron-threads={threads}: {len(shards)} shards done in {elapsed:.0f} s by {len(workers)} cron "
        f"thread(s) ({', '.join(sorted(w.rsplit(':', 1)[-1] for w in workers))}); lots expired twice: {twice}, "
        f"members moved twice: {moved_twice}")
    return shards, members, workers, twice, moved_twice


def main():
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit("FAILED: the check was stopped"))
    today = prepare()
    say(f"data: {args.members} members with 10 lots each, shards of {args.shard_size}, night {today}")
    one_db, two_db = f"{args.db}_1", f"{args.db}_2"
    copy(one_db)
    copy(two_db)
    problems = []
    try:
        shards, two, workers, twice, moved = run_night(two_db, 2, today)
        _shards1, one, _workers1, twice1, moved1 = run_night(one_db, 1, today)
    finally:
        for db in (one_db, two_db):
            with odoo.sql_db.db_connect("postgres").cursor() as cr:
                cr._cnx.autocommit = True
                cr.execute(f'DROP DATABASE IF EXISTS "{db}"')
    ranges = [(lo, hi) for kind, lo, hi, _w in shards if kind == "members"]
    outside = [m for m in two if sum(lo <= m[0] <= hi for lo, hi in ranges) != 1]
    expired = sum(m[9] for m in two)
    say(f"two threads: {len(two)} members, {expired} lots expired, "
        f"{sum(1 for a, b in zip(one, two, strict=True) if a != b)} members differ from one thread")
    if len(workers) < 2:
        problems.append("only one cron thread took shards")
    if twice or moved or twice1 or moved1:
        problems.append("a lot expired twice or a member moved twice")
    if outside:
        problems.append(f"{len(outside)} members not in exactly one shard")
    if one != two:
        problems.append("the result differs from one worker's")
    if not expired:
        problems.append("no lot expired: the check proves nothing")
    if problems:
        raise SystemExit("FAILED: " + "; ".join(problems))
    say("ok: two cron workers did every member once, as one worker does")


main()
