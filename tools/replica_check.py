"""Reports read from a streaming read replica: its statistics show the reads, the primary's none.

    python tools/replica_check.py ODOO_SRC ODOO_CONF DB --replica-port PORT

Run by tools/replica_test.sh (``make replica-test``), which makes the replica with
``pg_basebackup -R`` and starts it. Odoo is configured with db_replica_host/db_replica_port as
a server would be. The check computes last month's analysis snapshot, renders the analysis
(HTML of the PDF report) and its XLSX workbook and reads the points liability, and compares the
scans of the tables these reports read (orders, order lines, the ledger, level history) on both
servers before and after: they must have grown on the replica and not on the primary.
"""
import argparse
import sys
import time
from datetime import date, timedelta

import psycopg2

parser = argparse.ArgumentParser()
parser.add_argument("odoo_src")
parser.add_argument("conf")
parser.add_argument("db")
parser.add_argument("--replica-port", type=int, required=True)
args = parser.parse_args()
sys.path.insert(0, args.odoo_src)

import odoo  # noqa: E402

TABLES = ("pos_order", "pos_order_line", "vip_points_entry", "vip_level_history")


def say(line):
    print(line, flush=True)


def scans(host, port, user):
    """Scans (sequential + index) of the report tables on one server, as its statistics say."""
    cnx = psycopg2.connect(host=host, port=port, user=user, dbname=args.db)
    try:
        with cnx.cursor() as cr:
            cr.execute("SELECT pg_is_in_recovery()")
            standby = cr.fetchone()[0]
            cr.execute("SELECT relname, seq_scan + COALESCE(idx_scan, 0) FROM pg_stat_user_tables "
                       "WHERE relname = ANY(%s)", [list(TABLES)])
            return standby, dict(cr.fetchall())
    finally:
        cnx.close()


def main():
    odoo.tools.config.parse_config(["-c", args.conf, "-d", args.db, "--log-level=warn"])
    config = odoo.tools.config
    config["db_replica_host"] = config["db_host"]
    config["db_replica_port"] = args.replica_port
    host, port, user = config["db_host"], config["db_port"], config["db_user"]
    primary_standby, primary_before = scans(host, port, user)
    replica_standby, replica_before = scans(host, args.replica_port, user)
    assert not primary_standby and replica_standby, "the replica must be a standby of the primary"
    say(f"primary on port {port}, streaming replica on port {args.replica_port} (in recovery: {replica_standby})")
    registry = odoo.modules.registry.Registry.new(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        company = env.ref("base.main_company")
        month = (date.today().replace(day=1) - timedelta(days=1)).replace(day=1)
        rows = env["vip.analysis.snapshot"]._vip_compute_month(month, company)
        html, _fmt = env["ir.actions.report"]._render_qweb_html(
            "vip_loyalty.action_report_vip_analysis", [], data={"month": str(month), "company_id": company.id})
        wizard = env["vip.analysis.month"].create({"month": month, "company_id": company.id})
        book = wizard._build_workbook(month)
        liability = env["report.vip_loyalty.report_vip_liability"]._vip_liability_data(company, month, month)
        cr.commit()
    say(f"analysis of {month:%Y-%m}: {len(rows)} snapshot rows, HTML {len(html):,} bytes, XLSX {len(book):,} bytes, "
        f"liability {len(liability['rows'])} month(s)")
    registry.delete(args.db)
    odoo.sql_db.close_all()  # the backends end, so their statistics are flushed
    time.sleep(2)
    _s, primary_after = scans(host, port, user)
    _s, replica_after = scans(host, args.replica_port, user)
    problems = []
    for table in TABLES:
        on_primary = primary_after.get(table, 0) - primary_before.get(table, 0)
        on_replica = replica_after.get(table, 0) - replica_before.get(table, 0)
        say(f"  {table:<20} scans on the primary: {on_primary:4d}   on the replica: {on_replica:4d}")
        if on_primary:
            problems.append(f"{table} was read on the primary")
    if not any(replica_after.get(t, 0) - replica_before.get(t, 0) for t in TABLES):
        problems.append("nothing was read on the replica")
    if problems:
        raise SystemExit("FAILED: " + "; ".join(problems))
    say("ok: the reports' reads ran on the replica, none on the primary")


main()
