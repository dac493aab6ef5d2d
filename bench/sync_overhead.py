"""What vip_loyalty adds to a POS order sync, as a ratio against plain point_of_sale.

Two databases built the same way (point_of_sale with its demo data), one with vip_loyalty.
The same orders go through ``pos.order.sync_from_ui`` in both, one committed transaction
per order as a terminal's RPC does, alternating databases in rounds to share any noise.

    .venv/bin/python bench/sync_overhead.py [--orders 300] [--rounds 5]
"""

import argparse
import statistics
import time
import uuid

from _odoo import ensure_db, env_for, prepare


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


def run_batch(env, ctx, count):
    config, session, cash, product, partners = ctx
    elapsed = 0.0
    for i in range(count):
        data = order_payload(session, config, cash, product, partners[i % len(partners)], 1 + i % 3)
        start = time.perf_counter()
        env["pos.order"].sync_from_ui([data])
        env.cr.commit()
        elapsed += time.perf_counter() - start
    return elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--members", type=int, default=50)
    args = parser.parse_args()
    odoo = prepare()
    dbs = {"plain": "bench_pos_plain", "vip": "bench_pos_vip"}
    ensure_db(odoo, dbs["plain"], "point_of_sale")
    ensure_db(odoo, dbs["vip"], "point_of_sale,vip_loyalty")
    envs = {k: env_for(odoo, db) for k, db in dbs.items()}
    ctxs = {k: setup(env, args.members) for k, env in envs.items()}
    per_round = max(1, args.orders // args.rounds)
    for k, env in envs.items():  # warm caches
        run_batch(env, ctxs[k], 5)
    times = {k: [] for k in dbs}
    for _ in range(args.rounds):
        for k, env in envs.items():
            times[k].append(run_batch(env, ctxs[k], per_round) / per_round)
    plain, vip = statistics.median(times["plain"]), statistics.median(times["vip"])
    print(f"orders per database: {per_round * args.rounds} ({args.rounds} rounds), each with a member")
    print(f"plain point_of_sale sync_from_ui: {plain * 1000:.1f} ms/order")
    print(f"with vip_loyalty:                 {vip * 1000:.1f} ms/order")
    print(f"ratio vip/plain: {vip / plain:.3f}  (goal <= 1.10)")
    for env in envs.values():
        env.cr.close()


if __name__ == "__main__":
    main()
