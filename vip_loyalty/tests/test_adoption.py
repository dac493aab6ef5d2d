import base64
import io
from datetime import datetime, timedelta
from unittest.mock import patch

import xlsxwriter
from dateutil.relativedelta import relativedelta
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..engine import adoption
from .common import VipPosCommon


@tagged("post_install", "-at_install")
class TestAdoption(VipPosCommon):
    """Adopting the programme on a database that already has customers and POS orders."""

    # -- helpers ---------------------------------------------------------------------

    def _without_vip(self):
        """Orders synced in here look like orders taken before the module was installed."""
        return patch.object(type(self.env["pos.order"]), "_vip_process_paid", lambda self: None)

    def _sync_event(self, event, customer, created, group):
        day, key, kind, arg = event
        when = datetime.combine(day, datetime.min.time()).replace(hour=12)
        if kind == "buy":
            order = self.sync([(getattr(self, prod), qty) for prod, qty in arg], customer=customer, date_order=when)
        else:
            origin, returns = created[group, arg[0]], arg[1]
            lines = [
                {"product": line.product_id, "quantity": -returns[name], "refunded_orderline_id": line.id}
                for name in returns for line in origin.lines if line.product_id == getattr(self, name)
            ]
            order = self.sync(lines, customer=customer, date_order=when)
        created[group, key] = order
        return order

    def _schedule(self, start):
        """(day, event key, kind, what) for five customers over twelve months."""
        d = lambda offset: start + timedelta(days=offset)  # noqa: E731
        events = [
            (d(-30), "ret0", "buy", [("product_1000", 1), ("product_559", 1)]),  # before the start date
            (d(0), "old0", "buy", [("product_559", 1)]),  # a year-old purchase, then nothing
            (d(10), "big0", "buy", [("product_2000", 1)]),
            (d(15), "ret1", "buy", [("product_559", 1)]),
            (d(20), "big1", "refund", ("big0", {"product_2000": 1})),
            (d(30), "par0", "buy", [("product_1000", 2)]),
            (d(40), "par1", "refund", ("par0", {"product_1000": 1})),
            (d(200), "big2", "buy", [("product_1000", 1)]),
            (d(250), "par2", "buy", [("product_100", 1)]),
        ]
        for i, offset in enumerate((5, 65, 125, 185, 185, 245, 305)):
            events.append((d(offset), f"st{i}", "buy", [("product_559", 1)]))
        return sorted(events, key=lambda e: (e[0], e[1]))

    def _snapshot(self, partner):
        partner.invalidate_recordset()
        entries = self.env["vip.points.entry"].search([("partner_id", "=", partner.id)], order="date, id")
        history = self.env["vip.level.history"].search([("partner_id", "=", partner.id)], order="date, id")
        return {
            "level": partner.vip_level_id.code,
            "state": partner.vip_state,
            "since": partner.vip_level_since,
            "until": partner.vip_level_valid_until,
            "balance": partner.vip_points_balance,
            "spend": partner.vip_lifetime_spend,
            "count": partner.vip_purchase_count,
            "last": partner.vip_last_purchase_date,
            "entries": [(e.date, e.entry_type, e.points, e.remaining, e.expiry_date) for e in entries],
            "lots": sorted((e.points, e.remaining, e.expiry_date) for e in entries if e.remaining > 0),
            "history": [(h.date, h.from_level_id.code, h.to_level_id.code, h.reason) for h in history],
        }

    # -- rebuild ---------------------------------------------------------------------

    def test_rebuild_equals_live_sync_and_runs_once(self):
        today = self.env.company._vip_today()
        start = today - relativedelta(months=12)
        company = self.env.company
        keys = ("old", "big", "ret", "par", "st")
        live = {k: self.env["res.partner"].create({"name": f"Live {k}", "phone": f"+86 139 1000 00{i:02d}"})
                for i, k in enumerate(keys)}
        rebuilt = {k: self.env["res.partner"].create({"name": f"Past {k}", "phone": f"+86 139 2000 00{i:02d}"})
                   for i, k in enumerate(keys)}
        intruder = self.env["res.partner"].create({"name": "Already live", "phone": "+86 139 3000 0001"})
        owner = lambda key: next(k for k in keys if key.startswith(k))  # noqa: E731
        schedule = self._schedule(start)
        created = {}
        with self._without_vip():
            for event in schedule:
                self._sync_event(event, rebuilt[owner(event[1])], created, "past")
                if event[0] < start:
                    self._sync_event(event, live[owner(event[1])], created, "live")
            self._sync_event((start + timedelta(days=60), "in1", "buy", [("product_100", 1)]), intruder, created, "x")
        # The same orders, synced live one by one, with the nightly job run every night.
        entry_model, partner_model = self.env["vip.points.entry"], self.env["res.partner"]
        by_day = {}
        for event in schedule:
            by_day.setdefault(event[0], []).append(event)
        for day in adoption.replay_days(start, today):
            entry_model._vip_expire_lots(day, company)
            partner_model._vip_nightly_levels(day, company, self.program)
            for event in by_day.get(day, []):
                self._sync_event(event, live[owner(event[1])], created, "live")
            if day == start + timedelta(days=50):
                self._sync_event((day, "in0", "buy", [("product_100", 1)]), intruder, created, "x")
        intruder_before = self._snapshot(intruder)
        self.assertEqual(live["big"].vip_level_id, self.levels["SENIOR"], "re-qualified by the later 1000")
        self.assertEqual(live["old"].vip_state, "lost", "a year-old purchase and nothing since")
        self.assertEqual(live["old"].vip_points_balance, 0, "its points expired on 1 January")
        self.assertIn((start + timedelta(days=15), "MEMBER", "SENIOR", "upgrade"),
                      self._snapshot(live["ret"])["history"],
                      "the order before the start date counts in the rolling window")
        self.assertEqual(live["ret"].vip_level_id, self.levels["MEMBER"], "six months without a purchase")

        # Dry run: counts, and nothing written.
        wizard = self.env["vip.history.rebuild"].create({"date_from": start, "company_id": company.id,
                                                          "dry_run": True, "batch_size": 2})
        wizard.action_rebuild()
        self.assertEqual(wizard.members_count, 5)
        self.assertEqual(wizard.skipped_count, 1, "the member with live entries is left alone")
        self.assertEqual(wizard.points_outstanding, sum(p.vip_points_balance for p in live.values()))
        expected = {}
        for partner in live.values():
            expected[partner.vip_level_id.name] = expected.get(partner.vip_level_id.name, 0) + 1
        self.assertEqual(wizard.level_summary, "\n".join(f"{k}: {v}" for k, v in sorted(expected.items())))
        self.assertEqual(set(wizard.member_ids.ids), {p.id for p in rebuilt.values()})
        self.assertFalse(entry_model.search_count([("partner_id", "in", [p.id for p in rebuilt.values()])]))
        self.assertTrue(all(p.vip_state == "none" for p in rebuilt.values()))

        wizard = self.env["vip.history.rebuild"].create({"date_from": start, "company_id": company.id,
                                                          "dry_run": False, "batch_size": 2})
        wizard.action_rebuild()
        self.assertEqual(wizard.members_count, 5)
        self.assertIn("5/5 members rebuilt", wizard.log)
        self.assertIn("5 members computed in batches, 0 replayed through the live order code", wizard.log)
        seen = [self._snapshot(p) for p in live.values()]
        self.assertLessEqual({"earn", "reverse", "expire"}, {e[1] for snap in seen for e in snap["entries"]})
        self.assertLessEqual({"upgrade", "downgrade", "lost"}, {h[3] for snap in seen for h in snap["history"]})
        for key in keys:
            with self.subTest(customer=key):
                self.assertEqual(self._snapshot(rebuilt[key]), self._snapshot(live[key]))
        self.assertEqual(self._snapshot(intruder), intruder_before)
        past_entries = entry_model.search([("partner_id", "in", [p.id for p in rebuilt.values()])])
        self.assertTrue(past_entries and all(past_entries.mapped("is_history_rebuild")))
        self.assertFalse(entry_model.search([("partner_id", "in", [p.id for p in live.values()]),
                                             ("is_history_rebuild", "=", True)]))
        self.assertEqual(partner_model._vip_check_balances(), [])

        # Running it again writes nothing.
        counts = (entry_model.search_count([]), self.env["vip.level.history"].search_count([]))
        again = self.env["vip.history.rebuild"].create({"date_from": start, "company_id": company.id,
                                                         "dry_run": False})
        again.action_rebuild()
        self.assertEqual(again.members_count, 0)
        self.assertEqual((entry_model.search_count([]), self.env["vip.level.history"].search_count([])), counts)

    def test_a_member_failing_halfway_is_left_untouched_and_resumed(self):
        today = self.env.company._vip_today()
        start = today - relativedelta(months=3)
        first = self.env["res.partner"].create({"name": "Crash one", "phone": "+86 139 4000 0001"})
        second = self.env["res.partner"].create({"name": "Crash two", "phone": "+86 139 4000 0002"})
        with self._without_vip():
            for partner in (first, second):
                for offset in (3, 40):
                    when = datetime.combine(start + timedelta(days=offset), datetime.min.time()).replace(hour=12)
                    self.sync([(self.product_1000, 1)], customer=partner, date_order=when)
        wizard_class = type(self.env["vip.job"])
        original = wizard_class._vip_simulate_member

        def crash_on_first(wizard, member, *args):
            result = original(wizard, member, *args)
            if member.id == first.id:
                raise RuntimeError("power cut")
            return result

        with patch.object(wizard_class, "_vip_simulate_member", crash_on_first), \
                mute_logger("odoo.addons.vip_loyalty.models.vip_history_replay"):
            wizard = self.env["vip.history.rebuild"].create({"date_from": start, "dry_run": False})
            wizard.action_rebuild()
        self.assertEqual((wizard.members_count, wizard.failed_count), (1, 1))
        self.assertIn("power cut", wizard.log)
        first.invalidate_recordset()
        self.assertEqual((first.vip_state, first.vip_points_balance), ("none", 0))
        self.assertFalse(first.vip_points_entry_ids or first.vip_level_history_ids)
        self.assertEqual(second.vip_points_balance, 200)
        again = self.env["vip.history.rebuild"].create({"date_from": start, "dry_run": False})
        again.action_rebuild()
        self.assertEqual((again.members_count, again.failed_count), (1, 0))
        self.assertEqual(self._snapshot(first)["entries"], self._snapshot(second)["entries"])

    def test_a_return_rung_up_for_another_customer_reverses_the_buyer(self):
        today = self.env.company._vip_today()
        start = today - relativedelta(months=2)
        cashier_pick = self.env["res.partner"].create({"name": "Selected by mistake", "phone": "+86 139 5000 0001"})
        buyer = self.env["res.partner"].create({"name": "Real buyer", "phone": "+86 139 5000 0002"})
        created = {}
        with self._without_vip():
            self._sync_event((start + timedelta(days=1), "b0", "buy", [("product_1000", 1)]), buyer, created, "x")
            self._sync_event((start + timedelta(days=2), "b1", "refund", ("b0", {"product_1000": 1})),
                             cashier_pick, created, "x")
            self._sync_event((start + timedelta(days=3), "c0", "buy", [("product_100", 1)]), cashier_pick, created, "x")
        wizard = self.env["vip.history.rebuild"].create({"date_from": start, "dry_run": False, "batch_size": 1})
        wizard.action_rebuild()
        buyer.invalidate_recordset()
        self.assertEqual(buyer.vip_points_balance, 0, "the return takes back what the buyer earned")
        self.assertEqual(cashier_pick.vip_points_balance, 10)
        self.assertEqual(sorted(buyer.vip_points_entry_ids.mapped("entry_type")), ["earn", "reverse"])
        self.assertIn("0 members computed in batches, 2 replayed through the live order code", wizard.log)

    def test_a_batch_that_cannot_be_written_is_replayed_member_by_member(self):
        today = self.env.company._vip_today()
        start = today - relativedelta(months=3)
        customers = [self.env["res.partner"].create({"name": f"Batch {i}", "phone": f"+86 139 6000 000{i}"})
                     for i in range(2)]
        with self._without_vip():
            for partner in customers:
                for offset in (3, 40):
                    when = datetime.combine(start + timedelta(days=offset), datetime.min.time()).replace(hour=12)
                    self.sync([(self.product_1000, 1)], customer=partner, date_order=when)
        wizard_class = type(self.env["vip.job"])
        with patch.object(wizard_class, "_vip_write_replays", side_effect=RuntimeError("disk full")), \
                mute_logger("odoo.addons.vip_loyalty.models.vip_history_replay"):
            wizard = self.env["vip.history.rebuild"].create({"date_from": start, "dry_run": False})
            wizard.action_rebuild()
        self.assertEqual((wizard.members_count, wizard.failed_count), (2, 0))
        self.assertIn("0 members computed in batches, 2 replayed through the live order code", wizard.log)
        for partner in customers:
            self.assertEqual((partner.vip_points_balance, partner.vip_level_id), (200, self.levels["SENIOR"]))

    def test_rebuild_refuses_a_future_start(self):
        wizard = self.env["vip.history.rebuild"].create({
            "date_from": self.env.company._vip_today() + timedelta(days=1), "company_id": self.env.company.id,
        })
        with self.assertRaises(UserError):
            wizard.action_rebuild()

    # -- import ----------------------------------------------------------------------

    def _csv(self, rows):
        header = "card_number,name,phone,birthday,level,opening_points,points_expiry,advisor,hobbies,accepts_promotions"
        return base64.b64encode("\n".join([header, *rows]).encode())

    def test_import_rejects_a_bad_row_then_accepts_the_corrected_file(self):
        expiry = (self.env.company._vip_today() + relativedelta(months=6)).isoformat()
        login = self.env.user.login
        good = [
            f"VL-0001,Wang Fang,+86 137 0000 0001,1985-03-08,SENIOR,1200,{expiry},{login},tennis,yes",
            "VL-0002,Li Mei,13700000002,,Member,0,,,,",
        ]
        bad = [good[0], "VL-0003,Zhao Lei,not-a-phone,1990-01-01,Member,10,,,,", good[1]]
        wizard = self.env["vip.member.import"].create({"file": self._csv(bad), "file_name": "vip.csv"})
        wizard.action_validate()
        self.assertEqual(wizard.state, "invalid")
        self.assertIn("line 3: malformed phone", wizard.errors)
        self.assertNotIn("line 2", wizard.errors)
        with self.assertRaises(UserError):
            wizard.action_import()
        self.assertFalse(self.env["res.partner"].search([("vip_card_number", "in", ["VL-0001", "VL-0002"])]))

        wizard = self.env["vip.member.import"].create({"file": self._csv(good), "file_name": "vip.csv"})
        wizard.action_validate()
        self.assertEqual(wizard.state, "valid", wizard.errors)
        wizard.action_import()
        self.assertEqual(wizard.state, "done")
        wang = self.env["res.partner"].search([("vip_card_number", "=", "VL-0001")])
        self.assertEqual(wang.vip_level_id, self.levels["SENIOR"])
        self.assertEqual(wang.vip_points_balance, 1200)
        self.assertEqual(wang.vip_advisor_id, self.env.user)
        self.assertEqual(wang.vip_hobbies, "tennis")
        self.assertEqual(wang.vip_accepts_promotions, "yes")
        opening = wang.vip_points_entry_ids
        self.assertEqual(opening.mapped("entry_type"), ["adjust"])
        self.assertEqual(opening.rule_description, "opening balance")
        self.assertEqual(opening.expiry_date.isoformat(), expiry)
        li = self.env["res.partner"].search([("vip_card_number", "=", "VL-0002")])
        self.assertEqual((li.vip_level_id, li.vip_points_balance), (self.levels["MEMBER"], 0))
        # The same file again: the cards are taken now.
        again = self.env["vip.member.import"].create({"file": self._csv(good), "file_name": "vip.csv"})
        again.action_validate()
        self.assertIn("line 2: card VL-0001 already belongs", again.errors)

    def test_import_xlsx_and_existing_customer_by_phone(self):
        customer = self.env["res.partner"].create({"name": "Sun Li", "phone": "138 5555 0001"})
        buffer = io.BytesIO()
        book = xlsxwriter.Workbook(buffer, {"in_memory": True})
        sheet = book.add_worksheet()
        for row, values in enumerate([["卡号", "姓名", "手机", "积分"], ["VX-77", "Sun Li", "13855550001", 300]]):
            sheet.write_row(row, 0, values)
        book.close()
        wizard = self.env["vip.member.import"].create({
            "file": base64.b64encode(buffer.getvalue()), "file_name": "members.xlsx",
        })
        wizard.action_validate()
        self.assertEqual(wizard.state, "valid", wizard.errors)
        wizard.action_import()
        customer.invalidate_recordset()
        self.assertEqual(wizard.partner_ids, customer, "the customer already in the database becomes the member")
        self.assertEqual((customer.vip_card_number, customer.vip_points_balance), ("VX-77", 300))

    # -- merge -----------------------------------------------------------------------

    def test_merge_keeps_the_ledger_sum_and_records_the_old_card(self):
        first = self.env["res.partner"].create({"name": "Zhou Min", "phone": "+86 136 0000 0009"})
        second = self.env["res.partner"].create({"name": "Zhou Min (2)", "phone": "136-0000-0009"})
        self.sync([(self.product_559, 1)], customer=first)
        self.sync([(self.product_559, 1), (self.product_1000, 1)], customer=second)
        spent = second.vip_points_entry_ids.filtered(lambda e: e.entry_type == "earn")
        second.vip_redeem_points(20, "scarf")
        total = first.vip_points_balance + second.vip_points_balance
        old_card = second.vip_card_number
        moved_points = second.vip_points_balance
        before = {e.id: (e.points, e.entry_type) for e in self.env["vip.points.entry"].search([])}
        self.assertEqual(first.vip_level_id, self.levels["MEMBER"])
        groups = self.env["vip.member.merge"]._vip_duplicate_groups()
        self.assertIn([first.id, second.id], groups)

        merge = self.env["vip.member.merge"].with_context(
            active_model="res.partner", active_ids=[second.id, first.id]
        ).create({})
        self.assertEqual((merge.partner_id, merge.duplicate_id), (first, second))
        merge.action_merge()
        first.invalidate_recordset()
        second.invalidate_recordset()
        self.assertEqual(first.vip_points_balance, total)
        self.assertEqual(second.with_context(active_test=False).vip_points_balance, 0)
        self.assertEqual(self.env["res.partner"]._vip_check_balances(), [])
        self.assertEqual(first.vip_level_id, self.levels["SENIOR"], "the combined purchases qualify")
        self.assertFalse(second.active)
        # No entry was edited; the moves are new reversal and adjustment entries.
        after = {e.id: (e.points, e.entry_type) for e in self.env["vip.points.entry"].search([])}
        self.assertEqual({k: after[k] for k in before}, before)
        moved = self.env["vip.points.entry"].browse(sorted(set(after) - set(before)))
        self.assertEqual(set(moved.mapped("entry_type")), {"reverse", "adjust"})
        self.assertEqual(sum(moved.mapped("points")), 0)
        new_lot = moved.filtered(lambda e: e.partner_id == first and e.points > 0)
        self.assertEqual(new_lot.expiry_date, spent.expiry_date, "the moved lot keeps its expiry")
        replacement = self.env["vip.card.replacement"].search([("old_card_number", "=", old_card)])
        self.assertEqual((replacement.partner_id, replacement.new_card_number), (first, first.vip_card_number))
        self.assertEqual(replacement.points_moved, moved_points)

    def test_merge_needs_the_same_phone(self):
        first = self.env["res.partner"].create({"name": "A", "phone": "+86 135 0000 0001"})
        second = self.env["res.partner"].create({"name": "B", "phone": "+86 135 0000 0002"})
        self.sync([(self.product_100, 1)], customer=first)
        self.sync([(self.product_100, 1)], customer=second)
        merge = self.env["vip.member.merge"].create({"partner_id": first.id, "duplicate_id": second.id})
        with self.assertRaises(UserError):
            merge.action_merge()
        self.assertTrue(second.active)
