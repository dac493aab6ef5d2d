"""Time of a what-if simulation against the history rebuild, on the same generated past.

Generates customers and a year of paid POS orders in SQL with the rebuild benchmark's
generator (``history_rebuild.generate``), then runs, through the background job's code:

1. the what-if simulation of a scenario (Senior at 1,500, 1 point per 5) over the year:
   every member replayed twice (scenario and live programme), results tables only;
2. the history rebuild of the same orders (which writes the ledger, levels and orders).

and prints both times and their ratio.

    .venv/bin/python bench/simulation.py [--customers 100000] [--lines 2000000] [--db bench_whatif]

Use a database of its own (the default): the simulation replays every paid order of the
period, so orders left by earlier runs are simulated too, while the rebuild takes only the
orders no run has processed yet.
"""

import time

from history_rebuild import generated_year, peak_mb, run_rebuild


def main():
    args, env, company, date_from, today, tag = generated_year("bench_whatif")
    env = env(context=dict(env.context, allowed_company_ids=[company.id]))
    simulation = env["vip.simulation"].with_company(company).create({
        "name": f"Bench {tag}", "company_id": company.id, "date_from": date_from, "date_to": today,
    })
    simulation.level_ids.filtered(lambda level: level.code == "SENIOR").min_single_purchase = 1500
    simulation.amount_per_point = 5
    simulation._vip_check()
    job = env["vip.job"].create({
        "kind": "simulation", "company_id": company.id, "user_id": env.uid, "date_from": date_from,
        "simulation_id": simulation.id, "batch_size": args.batch,
    })
    simulation.write({"job_id": job.id, "state": "running"})
    env.cr.commit()
    start = time.perf_counter()
    job._vip_run_slice(deadline=None, commit=True)
    simulated = time.perf_counter() - start
    env.cr.commit()
    print(f"simulated {job.members_count} members, {simulation.live_orders} orders, twice (scenario and live) "
          f"in {simulated:.1f} s: {simulation.live_orders / simulated:.0f} orders/s; peak RSS {peak_mb():.0f} MB")
    print(f"  live: {simulation.live_outstanding} points outstanding, discounts {simulation.live_discount:.2f}; "
          f"scenario: {simulation.scenario_outstanding} points, discounts {simulation.scenario_discount:.2f}")

    job, rebuilt = run_rebuild(env, company, date_from, args.batch)
    print(f"rebuilt {job.members_count} members, {job.orders_count} orders in {rebuilt:.1f} s; "
          f"peak RSS {peak_mb():.0f} MB")
    print(f"ratio simulation / rebuild: {simulated / rebuilt:.2f}", flush=True)
    env.cr.close()


if __name__ == "__main__":
    main()
