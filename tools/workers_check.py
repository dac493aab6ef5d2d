"""A history rebuild longer than the request limit finishes on a server started with --workers.

    python tools/workers_check.py ODOO_SRC ODOO_CONF DB [--customers N] [--limit SECONDS]

DB is a scratch copy of the test database (tools/test.sh makes and drops it). The check
adds customers with a year of paid POS orders from before the module (the generator of
bench/history_rebuild.py), postpones Odoo's other crons (so only the VIP job's time
counts against the cron worker's limit), creates a VIP manager, and starts odoo-bin with
--workers=2 --max-cron-threads=1 and a low --limit-time-real (the request limit; the cron
worker keeps Odoo's default 120 s) on 127.0.0.1. As the manager, over XML-RPC, it queues
the rebuild through the wizard and polls the job's record, printing the progress the user
sees on it. It passes when the job is done with every customer rebuilt, the rebuild took
longer than the request limit, every cron call stayed within its share, and no worker was
killed. The server is always stopped; every wait is bounded.
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import time
import uuid
import xmlrpc.client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

parser = argparse.ArgumentParser()
parser.add_argument("odoo_src")
parser.add_argument("conf")
parser.add_argument("db")
parser.add_argument("--customers", type=int, default=12000)
parser.add_argument("--limit", type=int, default=6, help="limit_time_real (the request limit), seconds")
# The cron worker keeps Odoo's default limit (120 s), written out because -1 would give it the
# low request limit: it sleeps up to SLEEP_INTERVAL + 10 s (70 s) between polls and pings its
# watchdog only before sleeping, so a cron limit under 70 s kills it while idle, jobs or not.
parser.add_argument("--cron-limit", type=int, default=120, help="limit_time_real_cron, seconds")
parser.add_argument("--http-port", type=int, default=int(os.environ.get("VIP_WORKERS_HTTP_PORT", 8184)))
parser.add_argument("--gevent-port", type=int, default=int(os.environ.get("VIP_WORKERS_GEVENT_PORT", 8185)))
parser.add_argument("--timeout", type=int, default=780, help="longest wait for the job, seconds")
args = parser.parse_args()

sys.path.insert(0, args.odoo_src)
sys.path.insert(0, os.path.join(ROOT, "bench"))

import odoo  # noqa: E402
from history_rebuild import generate  # noqa: E402

LOGIN, PASSWORD = "vip_workers_manager", "vip-workers-check"


def say(line):
    print(line, flush=True)


def prepare():
    """Past customers and orders, the other crons postponed, a VIP manager: committed."""
    odoo.tools.config.parse_config(["-c", args.conf, "-d", args.db, "--log-level=warn"])
    registry = odoo.modules.registry.Registry.new(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        admin_env = odoo.api.Environment(cr, env.ref("base.user_admin").id, {}, su=True)
        today = odoo.fields.Date.context_today(admin_env["res.partner"])
        date_from = today.replace(year=today.year - 1)
        tag = uuid.uuid4().hex[:6]
        company, orders, _lines, _returns = generate(
            admin_env, args.customers, args.customers * 4, 2, date_from, tag, 0.0)
        cron = env.ref("vip_loyalty.ir_cron_vip_jobs")
        cr.execute("UPDATE ir_cron SET nextcall = now() AT TIME ZONE 'UTC' + interval '1 day' WHERE id <> %s",
                   [cron.id])
        env["res.users"].create({
            "name": "Workers Check Manager", "login": LOGIN, "password": PASSWORD,
            "company_id": company.id, "company_ids": [(6, 0, company.ids)],
            "groups_id": [(6, 0, [env.ref("base.group_user").id, env.ref("vip_loyalty.group_vip_manager").id])],
        })
        cr.commit()
    odoo.sql_db.close_all()
    return tag, date_from, company.id, orders


def start_server(logfile):
    cmd = [
        sys.executable, os.path.join(args.odoo_src, "odoo-bin"), "-c", args.conf, "-d", args.db,
        f"--db-filter=^{args.db}$", "--workers=2", "--max-cron-threads=1",
        f"--limit-time-real={args.limit}", f"--limit-time-real-cron={args.cron_limit}",
        "--http-interface=127.0.0.1", f"--http-port={args.http_port}", f"--gevent-port={args.gevent_port}",
        f"--logfile={logfile}", "--log-level=info",
    ]
    say(f"server: odoo-bin --workers=2 --max-cron-threads=1 --limit-time-real={args.limit} "
        f"--limit-time-real-cron={args.cron_limit} on 127.0.0.1:{args.http_port}")
    return subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_server(server):
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)


def login(deadline):
    url = f"http://127.0.0.1:{args.http_port}/xmlrpc/2"
    while True:
        try:
            uid = xmlrpc.client.ServerProxy(f"{url}/common").authenticate(args.db, LOGIN, PASSWORD, {})
            if uid:
                return uid, xmlrpc.client.ServerProxy(f"{url}/object", allow_none=True)
        except (OSError, xmlrpc.client.Error):
            pass
        if time.monotonic() > deadline:
            raise SystemExit("FAILED: the server did not answer")
        time.sleep(1)


def main():
    # `timeout` stops the check with SIGTERM: unwind, so the server is stopped too.
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit("FAILED: the check was stopped"))
    tag, date_from, company_id, orders = prepare()
    say(f"data: {args.customers} customers with {orders} paid POS orders since {date_from}, not yet processed")
    logfile = os.path.join(os.path.dirname(os.path.abspath(args.conf)), "test", "workers_server.log")
    os.makedirs(os.path.dirname(logfile), exist_ok=True)
    if os.path.exists(logfile):
        os.unlink(logfile)
    server = start_server(logfile)
    pressed, job, elapsed, left = 0, {}, 0.0, None
    try:
        uid, models = login(time.monotonic() + 120)

        def call(model, method, *params, **kw):
            return models.execute_kw(args.db, uid, PASSWORD, model, method, list(params), kw)

        for _warm in range(6):  # each HTTP worker builds its routing map on its first request
            try:
                call("res.partner", "search_count", [])
            except (OSError, xmlrpc.client.Error):
                time.sleep(1)
        pressed = os.path.getsize(logfile)
        wizard = call("vip.history.rebuild", "create",
                      {"date_from": str(date_from), "company_id": company_id, "dry_run": False})
        asked = time.monotonic()
        action = call("vip.history.rebuild", "action_rebuild", [wizard])
        say(f"button: answered in {time.monotonic() - asked:.1f} s with the {action['res_model']} form "
            f"(record {action['res_id']})")
        assert action["res_model"] == "vip.job", action
        job_id = action["res_id"]
        seen = None
        while time.monotonic() - asked < args.timeout:
            job = call("vip.job", "read", [job_id], ["state", "progress_done", "progress_total", "members_count",
                                                     "failed_count", "result_summary"])[0]
            # Every state, and the progress each time it passes another tenth.
            tenth = 10 * job["progress_done"] // job["progress_total"] if job["progress_total"] else -1
            shown = (job["state"], tenth)
            if shown != seen:
                say(f"  {time.monotonic() - asked:6.1f} s  {job['state']:<9} {job['progress_done']}/"
                    f"{job['progress_total']} members")
                seen = shown
            if job["state"] in ("done", "failed", "cancelled"):
                break
            time.sleep(0.5)
        elapsed = time.monotonic() - asked
        left = call("res.partner", "search_count", [("name", "like", f"Rebuild {tag} %"), ("vip_state", "=", "none")])
    finally:
        stop_server(server)
    with open(logfile, encoding="utf-8", errors="replace") as log:
        log.seek(pressed)
        text = log.read()  # from the button on: a worker killed while starting up is not the job's
    calls = [float(s) for s in re.findall(r"Job 'VIP: background jobs[^']*' \(\d+\) done in ([\d.]+)s", text)]
    killed = re.findall(r"Worker\w* \(\d+\) timeout after", text)
    say(f"result: {job.get('state')} in {elapsed:.1f} s (request limit {args.limit} s, cron limit "
        f"{args.cron_limit} s); {len(calls)} cron calls, "
        f"longest {max(calls, default=0):.1f} s; workers killed: {len(killed)}; "
        f"{job.get('members_count')} members rebuilt, {job.get('failed_count')} failed, {left} left untouched")
    say(f"summary: {(job.get('result_summary') or '').splitlines()[0] if job.get('result_summary') else '-'}")
    problems = []
    if job.get("state") != "done":
        problems.append(f"the job ended {job.get('state')!r} (waited {args.timeout} s)")
    if job.get("members_count") != args.customers or job.get("failed_count") or left:
        problems.append("not every customer was rebuilt")
    if elapsed <= args.limit:
        problems.append("the rebuild was shorter than the limit: the check proves nothing; raise --customers")
    if max(calls, default=0) >= (args.cron_limit - 70) / 5:
        problems.append("a cron call took more than its share of the cron limit")
    if killed:
        problems.append("a worker was killed for exceeding the limit")
    if problems:
        raise SystemExit("FAILED: " + "; ".join(problems))
    say("ok: the rebuild outlived the request limit and finished in the background")


main()
