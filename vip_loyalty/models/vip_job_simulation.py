import logging
import time

from odoo import _, fields, models

from ..engine import simulation as simulation_engine

_logger = logging.getLogger(__name__)


class VipJobSimulation(models.Model):
    """What-if simulation steps of ``vip.job``.

    The first slice plans (the members of the period and their orders, kept on the job);
    the next ones read a chunk of members with the history rebuild's own readers
    (``_vip_replay_inputs``, in its ``fresh`` mode), replay each member twice in the engine
    (the scenario and the live programme, both from the start of the period) and add them
    to the running totals kept on the job. The last one writes the scenario's result
    tables. Nothing else is written: no partner, ledger entry, level history or order.
    """

    _inherit = "vip.job"

    kind = fields.Selection(selection_add=[("simulation", "What-if simulation")],
                            ondelete={"simulation": "cascade"})
    simulation_id = fields.Many2one("vip.simulation", string="Scenario", readonly=True, ondelete="cascade")
    simulation_totals = fields.Json(prefetch=False, copy=False)

    def _vip_simulation_query(self):
        """The period's paid orders (of its shops), each under the customer it belongs to (a
        return under the customer of the order it returns): (SQL, parameters)."""
        simulation = self.simulation_id
        self.env["pos.order"].flush_model()
        shops = simulation.shop_ids.ids
        return (
            f"""
            SELECT COALESCE(origin.partner_id, o.partner_id) AS member, o.id
              FROM pos_order o
              LEFT JOIN LATERAL (
                    SELECT oo.partner_id FROM pos_order_line l
                      JOIN pos_order_line rl ON rl.id = l.refunded_orderline_id
                      JOIN pos_order oo ON oo.id = rl.order_id
                     WHERE l.order_id = o.id AND oo.partner_id IS NOT NULL
                     LIMIT 1) origin ON TRUE
             WHERE o.company_id = %(company)s
               AND o.state IN ('paid', 'done', 'invoiced')
               AND (o.date_order AT TIME ZONE 'UTC' AT TIME ZONE {self.company_id._vip_sql_order_tz("o")})::date
                   BETWEEN %(date_from)s AND %(date_to)s
               AND (%(all_shops)s OR o.config_id = ANY(%(shops)s))
               AND COALESCE(origin.partner_id, o.partner_id) IS NOT NULL
             ORDER BY member, o.date_order, o.id
            """,
            {"company": self.company_id.id, "vip_tz": self.company_id._vip_tz(), "date_from": simulation.date_from,
             "date_to": simulation.date_to, "all_shops": not shops, "shops": shops},
        )

    def _vip_simulation_orders(self):
        """{member: [order ids]}, in the order they were paid."""
        cr = self.env.cr
        cr.execute(*self._vip_simulation_query())
        orders = {}
        while rows := cr.fetchmany(10_000):
            for member, order_id in rows:
                orders.setdefault(member, []).append(order_id)
        return orders

    def _vip_simulation_order_count(self):
        query, params = self._vip_simulation_query()
        self.env.cr.execute(f"SELECT count(*) FROM ({query.replace('ORDER BY member, o.date_order, o.id', '')}) q",
                            params)
        return self.env.cr.fetchone()[0]

    def _vip_simulation_slice(self, deadline, commit):
        simulation = self.simulation_id
        units = 0
        if not self.payload:
            orders = self._vip_simulation_orders()
            self.write({
                "payload": {"members": [[member, orders[member]] for member in sorted(orders)]},
                "progress_total": len(orders),
                "simulation_totals": {},
            })
            self._vip_append_log(_("%s members to simulate.", len(orders)))
            self._vip_commit(commit)
            units = 1
        members = self.payload["members"]
        program = self.env["vip.program"]._get_for_company(self.company_id)
        specs = self.env["vip.level"]._specs_for_company(self.company_id)
        live = self._vip_replay_config(program, specs, program._policy())
        scenario_snapshot = simulation._vip_snapshot()
        scenario = simulation_engine.snapshot_config(scenario_snapshot, live.texts)
        configs = {"live": live, "scenario": scenario}
        levels = self.env["vip.level"].sudo().with_context(active_test=False).search(
            [("company_id", "=", self.company_id.id)])
        percents = {"live": {level.id: level.discount_percent for level in levels},
                    "scenario": simulation_engine.discount_percents(scenario_snapshot)}
        rule = self.env["vip.points.rule"]._for_company(self.company_id)
        cash = {"live": (rule.cash_points_block, rule.cash_block_value) if rule else (0, 0.0),
                "scenario": (simulation.cash_points_block, simulation.cash_block_value)}
        ranks = {side: simulation_engine.ranks(config) for side, config in configs.items()}
        totals = simulation_engine.Aggregate(self.simulation_totals)
        today = simulation.date_to
        last = None
        while self.cursor < len(members) and self._vip_lock():
            chunk = dict(members[self.cursor:self.cursor + self._vip_chunk_size(deadline, self.batch_size or 1000,
                                                                                 last)])
            started = time.monotonic()
            replay_members, _slow = self._vip_replay_inputs(sorted(chunk), chunk, live, set(), fresh=True)
            for member in replay_members:
                results = {side: self._vip_simulate_member(member, config, today) for side, config in configs.items()}
                totals.add(member, results, percents, cash, ranks)
            self._vip_measure(len(chunk), time.monotonic() - started)
            self.write({"cursor": self.cursor + len(chunk), "progress_done": self.cursor + len(chunk),
                        "members_count": self.members_count + len(replay_members),
                        "simulation_totals": totals.to_json()})
            units += len(chunk)
            last = len(chunk)
            self._vip_commit(commit)
            if deadline is not None and time.monotonic() >= deadline:
                break
        if self.cursor >= len(members) and self.state == "running":
            simulation._vip_write_results(totals)
            _logger.info("vip: simulation %s of %s: %s members", simulation.id, self.company_id.name,
                         self.members_count)
            self._vip_finish("done", _("%(members)s members simulated under the scenario and the live programme.",
                                       members=self.members_count))
        return units
