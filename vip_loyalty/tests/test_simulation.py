import base64
import io
from datetime import datetime, timedelta
from unittest.mock import patch

import openpyxl
from dateutil.relativedelta import relativedelta
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import VipPosCommon


class _Rollback(Exception):
    pass


@tagged("post_install", "-at_install")
class TestSimulation(VipPosCommon):
    """What-if: a programme change replayed on last year's real orders, as a VIP manager."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env, login="vip_whatif_manager", groups="vip_loyalty.group_vip_manager",
            company_id=cls.env.company.id, company_ids=[(6, 0, [cls.env.company.id])],
        )
        cls.today = cls.env.company._vip_today()
        cls.start = cls.today - relativedelta(months=12)

    # -- helpers ---------------------------------------------------------------------

    def _past(self, day, lines, customer):
        """A paid order of ``day`` taken before the programme existed (no points, no level)."""
        with patch.object(type(self.env["pos.order"]), "_vip_process_paid", lambda self: None):
            return self.sync(lines, customer=customer,
                             date_order=datetime.combine(day, datetime.min.time()).replace(hour=12))

    def _past_refund(self, day, order, qty_by_product):
        lines = [{"product": line.product_id, "quantity": -qty_by_product[line.product_id],
                  "refunded_orderline_id": line.id} for line in order.lines if line.product_id in qty_by_product]
        return self._past(day, lines, order.partner_id)

    def _history(self):
        """Six customers over the year: thresholds around 1,000 and 1,500, returns, a year-end expiry."""
        d = lambda offset: self.start + timedelta(days=offset)  # noqa: E731
        names = ("single", "big", "two", "pair", "small", "late")
        members = {name: self.env["res.partner"].create({"name": f"What-if {name}", "phone": f"+86 137 0000 00{i:02d}"})
                   for i, name in enumerate(names)}
        self._past(d(2), [(self.product_1000, 1)], members["single"])  # Senior at 1,000, not at 1,500
        self._past(d(100), [(self.product_559, 1)], members["single"])
        big = self._past(d(5), [(self.product_2000, 1)], members["big"])  # Senior either way...
        self._past_refund(d(15), big, {self.product_2000: 1})  # ...then returned
        self._past(d(30), [(self.product_559, 1)], members["big"])
        self._past(d(1), [(self.product_559, 1)], members["two"])
        self._past(d(10), [(self.product_1000, 1)], members["two"])
        pair = self._past(d(20), [(self.product_1000, 2)], members["pair"])  # 2,000 in one order
        self._past_refund(d(25), pair, {self.product_1000: 1})
        self._past(d(200), [(self.product_559, 1)], members["pair"])
        self._past(d(3), [(self.product_100, 1)], members["small"])
        self._past(d(330), [(self.product_1000, 1), (self.product_100, 1)], members["late"])  # 1,100 lately
        return members

    def _scenario(self, **vals):
        simulation = self.env["vip.simulation"].with_user(self.manager).create(dict(
            {"name": "Senior at 1,500, 1 point per 5", "date_from": self.start, "date_to": self.today}, **vals))
        senior = simulation.level_ids.filtered(lambda level: level.code == "SENIOR")
        senior.min_single_purchase = 1500
        simulation.amount_per_point = 5
        return simulation

    def _counts(self):
        self.env.flush_all()
        cr = self.env.cr
        counts = []
        for table in ("res_partner", "vip_points_entry", "vip_level_history", "pos_order"):
            cr.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed table names
            counts.append(cr.fetchone()[0])
        cr.execute("SELECT md5(string_agg(concat_ws(',', id, vip_state, vip_level_id, vip_points_balance),"
                   " ';' ORDER BY id)) FROM res_partner")
        counts.append(cr.fetchone()[0])
        cr.execute("SELECT md5(string_agg(concat_ws(',', id, vip_processed, vip_points_earned), ';' ORDER BY id))"
                   " FROM pos_order")
        counts.append(cr.fetchone()[0])
        return counts

    def _rebuild(self):
        wizard = self.env["vip.history.rebuild"].with_user(self.manager).create(
            {"date_from": self.start, "company_id": self.env.company.id, "dry_run": False})
        wizard.action_rebuild()
        self.env.invalidate_all()

    def _rebuilt_figures(self, members):
        """What a rebuild wrote: members per level, ledger sums, and the level discount of each order."""
        partners = self.env["res.partner"].browse([p.id for p in members.values()])
        per_level = {}
        for partner in partners:
            per_level[partner.vip_level_id.name or "No level"] = per_level.get(partner.vip_level_id.name or "No level",
                                                                                0) + 1
        entries = self.env["vip.points.entry"].search([("partner_id", "in", partners.ids)])
        figure = lambda kind: sum(abs(e.points) for e in entries if e.entry_type == kind)  # noqa: E731
        discounts = {}
        for partner in partners:
            history = self.env["vip.level.history"].search([("partner_id", "=", partner.id)], order="id")
            orders = self.env["pos.order"].search([("partner_id", "=", partner.id)], order="date_order, id")
            for order in orders:
                day = order._vip_order_date()
                level = self.env["vip.level"]
                for row in history:
                    if row.pos_order_id == order:
                        break
                    before = row.date < day or (row.date == day and (
                        not row.pos_order_id or row.pos_order_id.date_order < order.date_order))
                    if before:
                        level = row.to_level_id
                sold = sum(line.price_subtotal_incl for line in order.lines
                           if not line.refunded_orderline_id and line.price_subtotal_incl > 0)
                key = day.replace(day=1)
                discounts[key] = round(discounts.get(key, 0.0) + round(sold * level.discount_percent / 100, 2), 2)
        return {
            "levels": per_level,
            "outstanding": sum(partners.mapped("vip_points_balance")),
            "issued": figure("earn"), "reversed": figure("reverse"), "expired": figure("expire"),
            "discounts": {k: v for k, v in discounts.items() if v},
            "members": {p.id: (p.vip_level_id.id, p.vip_points_balance) for p in partners},
        }

    def _simulated_figures(self, simulation, side):
        per_level, discounts = {}, {}
        for row in simulation.result_level_ids:
            level = row.live_level_id if side == "live" else row.scenario_level_id
            per_level[level.name or "No level"] = per_level.get(level.name or "No level", 0) + row.member_count
        for row in simulation.result_month_ids:
            amount = row.live_discount if side == "live" else row.scenario_discount
            discounts[row.month] = round(discounts.get(row.month, 0.0) + amount, 2)
        return {
            "levels": per_level,
            "outstanding": simulation[f"{side}_outstanding"],
            "issued": simulation[f"{side}_issued"], "reversed": simulation[f"{side}_reversed"],
            "expired": simulation[f"{side}_expired"],
            "discounts": {k: v for k, v in discounts.items() if v},
        }

    # -- tests -----------------------------------------------------------------------

    def test_simulation_matches_a_rebuild_both_ways_and_writes_nothing(self):
        members = self._history()
        simulation = self._scenario()
        before = self._counts()
        simulation.action_simulate()
        self.assertEqual(self._counts(), before, "partners, ledger, level history and orders untouched")
        self.assertEqual(simulation.state, "done")
        self.assertEqual(simulation.live_members, 6)
        self.assertEqual(simulation.job_id.kind, "simulation")
        self.assertIn("Senior", simulation.results_html)

        # The live side is what a rebuild under the unchanged programme writes.
        try:
            with self.env.cr.savepoint():
                self._rebuild()
                live = self._rebuilt_figures(members)
                raise _Rollback
        except _Rollback:
            self.env.invalidate_all()
        self.assertEqual(self._counts(), before)
        self.assertEqual(self._simulated_figures(simulation, "live"), {k: v for k, v in live.items() if k != "members"})
        self.assertGreater(live["expired"], 0, "points of the first December expired on 1 January")
        self.assertGreater(live["reversed"], 0)

        # The scenario side is what a rebuild writes once the scenario is the live programme.
        simulation.apply_date = self.start
        simulation.action_apply()
        self.assertEqual(self.levels["SENIOR"].min_single_purchase, 1500)
        self.assertEqual(self.rule.amount_per_point, 5)
        version = simulation.version_id
        self.assertEqual((version.user_id, version.date_from), (self.manager, self.start))
        self.assertIn("min_single_purchase 1000.0 → 1500", version.summary)
        self._rebuild()
        scenario = self._rebuilt_figures(members)
        self.assertEqual(self._simulated_figures(simulation, "scenario"),
                         {k: v for k, v in scenario.items() if k != "members"})
        # ... and member by member, for the ones the change moves most.
        self.assertTrue(simulation.result_member_ids)
        for row in simulation.result_member_ids:
            self.assertEqual(scenario["members"][row.partner_id.id],
                             (row.scenario_level_id.source_level_id.id or False, row.scenario_points))
            self.assertEqual(live["members"][row.partner_id.id], (row.live_level_id.id or False, row.live_points))
        late = members["late"].id
        self.assertEqual((live["members"][late][0], scenario["members"][late][0]),
                         (self.levels["SENIOR"].id, self.levels["MEMBER"].id))
        self.assertIn(("Senior", "Member", 1), [(r.live_level_id.name, r.scenario_level_id.name, r.member_count)
                                                for r in simulation.result_level_ids])
        self.assertGreater(simulation.scenario_issued, simulation.live_issued)
        self.assertLess(simulation.scenario_discount, simulation.live_discount)

        # Exports of the results.
        self.assertEqual(simulation.action_print_pdf()["report_name"], "vip_loyalty.report_vip_simulation")
        html = self.env["ir.actions.report"].with_user(self.manager)._render_qweb_html(
            "vip_loyalty.action_report_vip_simulation", simulation.ids)[0].decode()
        self.assertIn("Most affected members", html)
        simulation.action_export_xlsx()
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(simulation.file_data)))
        self.assertEqual(book.sheetnames, ["Summary", "Level moves", "Discounts", "Most affected"])
        outstanding = [row for row in book["Summary"].iter_rows(values_only=True)
                       if row[0] == "Points outstanding at the end"]
        self.assertEqual(outstanding[0][1:3], (simulation.live_outstanding, simulation.scenario_outstanding))

    def test_a_rebuild_uses_the_programme_in_force_on_each_day(self):
        buyer = self.env["res.partner"].create({"name": "Before and after", "phone": "+86 137 0000 0100"})
        change = self.today - timedelta(days=30)
        self._past(change - timedelta(days=20), [(self.product_559, 1)], buyer)
        self._past(change + timedelta(days=5), [(self.product_559, 1)], buyer)
        simulation = self._scenario()
        simulation.action_simulate()
        simulation.apply_date = change
        simulation.action_apply()
        self._rebuild()
        earned = self.env["vip.points.entry"].search([("partner_id", "=", buyer.id), ("entry_type", "=", "earn")],
                                                     order="date")
        self.assertEqual(earned.mapped("points"), [55, 111], "1 point per 10 before the change, per 5 after")

    def test_bad_scenarios_are_refused_and_nothing_is_written(self):
        self._history()
        jobs = self.env["vip.job"].search_count([])
        cases = {
            "overlapping levels": lambda s: s.level_ids.filtered(lambda lv: lv.code == "VIP").write(
                {"min_single_purchase": 1200}),
            "negative rate": lambda s: s.write({"amount_per_point": -5}),
            "period in the future": lambda s: s.write({"date_from": self.today + timedelta(days=1),
                                                       "date_to": self.today + timedelta(days=30)}),
        }
        for case, change in cases.items():
            with self.subTest(case=case):
                simulation = self._scenario()
                change(simulation)
                before = self._counts()
                with self.assertRaises(ValidationError):
                    simulation.action_simulate()
                self.assertEqual(self._counts(), before)
                self.assertEqual((simulation.state, self.env["vip.job"].search_count([])), ("draft", jobs))
                self.assertFalse(simulation.result_level_ids)
                with self.assertRaises(UserError):  # ValidationError is a UserError
                    simulation.write({"state": "done", "simulated_on": datetime.now()})
                    simulation.action_apply()
                self.assertEqual(self.levels["SENIOR"].min_single_purchase, 1000)
                self.assertEqual(self.rule.amount_per_point, 10)

    def test_only_managers_see_scenarios(self):
        clerk = new_test_user(self.env, login="vip_whatif_clerk", groups="vip_loyalty.group_vip_advisor",
                              company_id=self.env.company.id)
        with self.assertRaises(AccessError):
            self.env["vip.simulation"].with_user(clerk).create({"name": "No"})
        simulation = self._scenario()
        with self.assertRaises(AccessError):
            simulation.with_user(clerk).read(["name"])
