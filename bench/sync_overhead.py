"""What vip_loyalty adds to a POS order sync, as a ratio against plain point_of_sale.

Two databases built the same way (point_of_sale with its demo data), one with vip_loyalty.
The same orders go through ``pos.order.sync_from_ui`` in both, one committed transaction
per order as a terminal's RPC does, alternating databases in rounds to share any noise.
Each round's figures are printed; the verdict is the median of the rounds' ratios and of
the milliseconds added per order. The care job that follows the sales (off the till) is
timed on its own at the end.

    .venv/bin/python bench/sync_overhead.py [--orders 300] [--rounds 5] [--update] [--profile FILE]

``--update`` upgrades vip_loyalty in the existing benchmark database first; ``--profile FILE``
writes cProfiles of the rounds' syncs to FILE.plain and FILE.vip (read them with
``python -m pstats``; the profiler slows both down, so the ratio is not the verdict then).
"""

import argparse
import cProfile
import os
import statistics
import subprocess
import time
import uuid

from _odoo import CONF, ODOO_SRC, PY, ensure_db, env_for, prepare


def setup(env, members):
    config = env.ref("point_of_sale.pos_config_main")
    if not config.current_session_id:
        config.open_ui()
    session = config.current_session_id
    cash = config.payment_method_ids.filtered("is_cash_count")[:1]
    product = env["product.product"].search([("name", "=", "Bench dress")], limit=1) or env["product.product"].create({
        "name": "Bench dress", "list_price": 559.0, "available_in_pos": True, "taxes_id": [(5, 0, 0)],
    })
    partners = env["res.partner"].search([("name", "like", "Bench member %")], limit=members)
    if len(partners) < members:
        partners |= env["res.partner"].create([
            {"name": f"Bench member {i}", "phone": f"1380000{i:04d}"} for i in range(len(partners), members)
        ])
    env.cr.commit()
    return config, session, cash, product, partners


def order_payload(session, config, cash, product, partner, qty):
    amount = product.list_price * qty
    return {
        "uuid": str(uuid.uuid4()),
        "name": f"Bench {uuid.uuid4().hex[:8]}",
        "session_id": session.id,
        "pricelist_id": config.pricelist_id.id,
        "partner_id": partner.id,
        "user_id": session.user_id.id,
        "sequence_number": 1,
        "fiscal_position_id": False,
        "amount_paid": amount, "amount_total": amount, "amount_tax": 0.0, "amount_return": 0.0,
        "state": "paid",
        "to_invoice": False,
        "last_order_preparation_change": "{}",
        "lines": [(0, 0, {
            "product_id": product.id, "qty": qty, "price_unit": product.list_price, "discount": 0.0,
            "price_subtotal": amount, "price_subtotal_incl": amount, "tax_ids": [(6, 0, [])], "pack_lot_ids": [],
        })],
        "payment_ids": [(0, 0, {"amount": amount, "payment_method_id": cash.id, "name": "bench"})],
    }


def run_batch(env, ctx, count, profiler=None):
    config, session, cash, product, partners = ctx
    elapsed = cpu = 0.0
    for i in range(count):
        data = order_payload(session, config, cash, product, partners[i % len(partners)], 1 + i % 3)
        start, start_cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        env["pos.order"].sync_from_ui([data])
        env.cr.commit()
        if profiler:
            profiler.disable()
        elapsed += time.perf_counter() - start
        cpu += time.process_time() - start_cpu
    return elapsed, cpu


def run_care(env):
    """The care cron over the orders the rounds flagged: its cost per order, off the till."""
    env.cr.execute("SELECT count(*) FROM pos_order WHERE vip_care_pending")
    pending = env.cr.fetchone()[0]
    start = time.perf_counter()
    done = env["pos.order"]._cron_vip_care()
    env.cr.commit()
    return pending, done, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--update", action="store_true", help="upgrade vip_loyalty in the vip database first")
    parser.add_argument("--profile", help="write cProfiles of the syncs to PROFILE.plain and PROFILE.vip")
    args = parser.parse_args()
    odoo = prepare()
    dbs = {"plain": "bench_pos_plain", "vip": "bench_pos_vip"}
    ensure_db(odoo, dbs["plain"], "point_of_sale")
    ensure_db(odoo, dbs["vip"], "point_of_sale,vip_loyalty")
    if args.update:
        subprocess.run([PY, os.path.join(ODOO_SRC, "odoo-bin"), "-c", CONF, "-d", dbs["vip"], "-u", "vip_loyalty",
                        "--stop-after-init", "--log-level=warn"], check=True)
    envs = {k: env_for(odoo, db) for k, db in dbs.items()}
    ctxs = {k: setup(env, args.members) for k, env in envs.items()}
    run_care(envs["vip"])  # whatever earlier runs left waiting
    per_round = max(1, args.orders // args.rounds)
    for k, env in envs.items():  # warm caches
        run_batch(env, ctxs[k], 5)
    profilers = {k: cProfile.Profile() if args.profile else None for k in dbs}
    times = {k: [] for k in dbs}
    cpus = {k: [] for k in dbs}
    print(f"{per_round} orders per round and database, each with a member, one commit per order")
    print("round   plain ms/order   vip ms/order   ratio   ms added   (Odoo process CPU ms: plain  vip)")
    for n in range(args.rounds):
        for k, env in envs.items():
            elapsed, cpu = run_batch(env, ctxs[k], per_round, profilers[k])
            times[k].append(elapsed / per_round)
            cpus[k].append(cpu / per_round)
        plain, vip = times["plain"][-1] * 1000, times["vip"][-1] * 1000
        print(f"{n + 1:5d}   {plain:14.1f}   {vip:12.1f}   {vip / plain:5.3f}   {vip - plain:8.1f}"
              f"   {cpus['plain'][-1] * 1000:30.1f}  {cpus['vip'][-1] * 1000:5.1f}", flush=True)
    ratios = [v / p for p, v in zip(times["plain"], times["vip"], strict=True)]
    added = [(v - p) * 1000 for p, v in zip(times["plain"], times["vip"], strict=True)]
    plain, vip = statistics.median(times["plain"]), statistics.median(times["vip"])
    print(f"median plain point_of_sale sync_from_ui: {plain * 1000:.1f} ms/order")
    print(f"median with vip_loyalty:                 {vip * 1000:.1f} ms/order")
    print(f"median ratio vip/plain over {args.rounds} rounds: {statistics.median(ratios):.3f}  (goal <= 1.05)")
    print(f"median ms added per order: {statistics.median(added):.1f} ms  (goal <= 4 ms)")
    print(f"median Odoo process CPU per order: plain {statistics.median(cpus['plain']) * 1000:.1f} ms, "
          f"vip {statistics.median(cpus['vip']) * 1000:.1f} ms")
    pending, done, elapsed = run_care(envs["vip"])
    print(f"care job after the rounds (off the till): {done} of {pending} flagged orders in {elapsed:.2f} s, "
          f"{elapsed * 1000 / max(done, 1):.1f} ms/order")
    if args.profile:
        for k, profiler in profilers.items():
            profiler.dump_stats(f"{args.profile}.{k}")
        print(f"profiles written to {args.profile}.plain and {args.profile}.vip")
    for env in envs.values():
        env.cr.close()


if __name__ == "__main__":
    main()
