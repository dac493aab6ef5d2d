import random
from datetime import datetime, time, timedelta
from unittest.mock import patch

from dateutil.relativedelta import relativedelta
from odoo.tests import tagged

from ..engine import adoption
from .common import VipPosCommon


@tagged("post_install", "-at_install")
class TestRulebook(VipPosCommon):
    """One rulebook: a random year of orders, synced live night by night and rebuilt from history,
    gives the same ledger, level history and member fields, texts included."""

    CUSTOMERS = 8

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Short-lived lots and a low first rung, so expiries and redemptions happen often.
        cls.rule.write({"expiry_policy": "rolling_months", "expiry_months": 2, "redemption_month_of_quarter": "0",
                        "ladder_first_points": 100, "ladder_first_cap": 200.0})
        cls.gift = cls.create_product("Silk scarf gift", cls.categ_basic, 180.0)
        cls.products = [cls.product_559, cls.product_1000, cls.product_2000, cls.product_100, cls.product_5]

    def _when(self, day, slot):
        # Within a day, customers pay in the order they were created (see _history).
        return datetime.combine(day, time(2)) + timedelta(minutes=slot)

    def _sync_event(self, event, customers, orders):
        """Sync one event for ``customers`` (a list: the live ones or their twins); ``orders`` maps
        event keys to the orders already synced for that side."""
        day, slot, key, kind, who, arg = event
        when = self._when(day, slot)
        if kind == "buy":
            order = self.sync([(self.products[p], qty) for p, qty in arg], customer=customers[who], date_order=when)
        elif kind == "refund":
            origin = orders[arg[0]]
            lines = [{"product": line.product_id, "quantity": -qty, "refunded_orderline_id": line.id}
                     for line, qty in zip(origin.lines, arg[1], strict=True) if qty]
            order = self.sync(lines, customer=customers[who], date_order=when)
        else:
            data = self.create_ui_order_data(
                [{"product": self.gift, "quantity": 1, "discount": 100.0, "vip_redeem_gift": True}],
                customer=customers[who],
            )
            data.update(state="paid", vip_redeem_points=arg, vip_redeem_kind="gift",
                        date_order=when.strftime("%Y-%m-%d %H:%M:%S"))
            result = self.env["pos.order"].sync_from_ui([data])
            order = self.env["pos.order"].browse([o["id"] for o in result["pos.order"]])
        orders[key] = order
        return order

    def _history(self, rng, start, today, live):
        """Draw a year of events and sync it live, the nightly job first each night; returns the events."""
        company, entry_model, partner_model = self.env.company, self.env["vip.points.entry"], self.env["res.partner"]
        gift_points = self.rule._vip_gift_points(self.gift.lst_price)
        events, orders, bought = [], {}, {}
        for day in adoption.replay_days(start, today):
            entry_model._vip_expire_lots(day, company)
            partner_model._vip_nightly_levels(day, company, self.program)
            if day >= today:
                continue
            for who in sorted(rng.sample(range(self.CUSTOMERS), rng.choice((0, 0, 0, 1, 1, 2)))):
                key = f"o{len(events)}"
                partner = live[who]
                recent = [k for k, (w, d, _n) in bought.items() if d > day - timedelta(days=30)]
                roll = rng.random()
                if roll < 0.15 and recent:
                    origin = rng.choice(recent)
                    owner, _d, count = bought.pop(origin)
                    # Now and then the cashier selects the wrong customer for a return.
                    buyer = who if rng.random() < 0.1 else owner
                    event = (day, who, key, "refund", buyer, (origin, [rng.choice((0, 1)) for _i in range(count)]))
                    if not any(event[5][1]):
                        event[5][1][0] = 1
                elif roll < 0.25 and partner.vip_points_balance >= gift_points:
                    event = (day, who, key, "redeem", who, gift_points)
                else:
                    lines = [(rng.randrange(len(self.products)), rng.choice((1, 1, 2)))
                             for _i in range(rng.choice((1, 2)))]
                    event = (day, who, key, "buy", who, lines)
                    bought[key] = (who, day, len(lines))
                self._sync_event(event, live, orders)
                events.append(event)
        return events, orders

    def _view(self, partner, names=None):
        """What a user sees of a member, the twin's order names read as the live ones."""
        names = names or {}

        def text(value):
            value = value or ""
            for twin, live in names.items():
                value = value.replace(twin, live)
            return value

        partner.invalidate_recordset()
        entries = self.env["vip.points.entry"].search([("partner_id", "=", partner.id)], order="date, id")
        keys = {entry.id: index for index, entry in enumerate(entries)}
        history = self.env["vip.level.history"].search([("partner_id", "=", partner.id)], order="date, id")
        return {
            "member": (partner.vip_state, partner.vip_level_id.code, partner.vip_level_since,
                       partner.vip_level_valid_until, partner.vip_points_balance, partner.vip_lifetime_spend,
                       partner.vip_purchase_count, partner.vip_last_purchase_date, partner.vip_enrol_date,
                       partner.vip_enrol_shop_id, partner.vip_advisor_id),
            "entries": [(e.date, e.entry_type, e.points, e.remaining, e.expiry_date, text(e.rule_description),
                         text(e.pos_order_id.name), keys.get(e.reversed_entry_id.id)) for e in entries],
            "history": [(h.date, h.from_level_id.code, h.to_level_id.code, h.reason, text(h.rule_description),
                         text(h.pos_order_id.name)) for h in history],
        }

    def _differential(self, seed, first_n, months=12):
        """Live history of ``CUSTOMERS`` customers, then the same orders for their twins, rebuilt;
        returns (events, the rebuild wizard, the live customers' views, twin views)."""
        if first_n:
            self.env["vip.points.bonus"].create({
                "name": "Early bird", "company_id": self.env.company.id, "kind": "flat", "condition": "first_n_of_day",
                "first_n": first_n, "flat_points": 7,
            })
        rng = random.Random(seed)
        today = self.env.company._vip_today()
        start = today - relativedelta(months=months)
        live = [self.env["res.partner"].create({"name": f"Live {i}", "phone": f"+86 139 7{seed:02d}0 00{i:02d}"})
                for i in range(self.CUSTOMERS)]
        events, live_orders = self._history(rng, start, today, live)
        expected = [self._view(partner) for partner in live]
        if first_n:
            # The twins rank among themselves as the live customers did: their day's earners go elsewhere.
            self.env.flush_all()
            self.env.cr.execute("UPDATE vip_points_entry SET company_id = %s WHERE partner_id = ANY(%s)",
                                [self.env.ref("base.main_company").id, [p.id for p in live]])
        twins = [self.env["res.partner"].create({"name": f"Past {i}", "phone": f"+86 139 8{seed:02d}0 00{i:02d}"})
                 for i in range(self.CUSTOMERS)]
        twin_orders = {}
        order_class = type(self.env["pos.order"])
        # The same orders, as paid before the programme existed (and so never refused at the till).
        with patch.object(order_class, "_vip_process_paid", lambda self: None), \
                patch.object(order_class, "_vip_check_redemption", lambda *args, **kwargs: (0, None)):
            for event in events:
                self._sync_event(event, twins, twin_orders)
        wizard = self.env["vip.history.rebuild"].create({
            "date_from": start, "company_id": self.env.company.id, "dry_run": False, "batch_size": 1000,
        })
        wizard.action_rebuild()
        self.assertEqual(wizard.failed_count, 0, wizard.log)
        names = {twin_orders[key].name: live_orders[key].name for key in live_orders}
        rebuilt = [self._view(twin, names) for twin in twins]
        return events, wizard, expected, rebuilt

    def test_a_random_year_live_equals_its_rebuild(self):
        events, wizard, expected, rebuilt = self._differential(seed=17, first_n=0)
        self.assertGreaterEqual(len(events), 200)
        self.assertEqual({event[3] for event in events}, {"buy", "refund", "redeem"})
        for index, view in enumerate(expected):
            with self.subTest(customer=index):
                self.assertEqual(rebuilt[index], view)
        seen = {row[1] for view in expected for row in view["entries"]}
        seen |= {row[3] for view in expected for row in view["history"]}
        # Decay and lost need half a year without a purchase: test_a_members_history_reads_in_the_companys_language.
        self.assertLessEqual({"earn", "reverse", "redeem", "expire", "upgrade"}, seen)
        # Redeemers and customers of a return rung up for someone else go through the live code.
        self.assertRegex(wizard.log, r"[1-9]\d* members computed in batches, [1-9]\d* replayed through the live")

    def test_random_months_with_a_first_n_bonus_live_equals_its_rebuild(self):
        events, wizard, expected, rebuilt = self._differential(seed=18, first_n=1, months=4)
        self.assertGreaterEqual(len(events), 60)
        for index, view in enumerate(expected):
            with self.subTest(customer=index):
                self.assertEqual(rebuilt[index], view)
        # The rank of the day needs every member's orders: all are replayed through the live code.
        self.assertIn(f"0 members computed in batches, {self.CUSTOMERS} replayed through the live", wizard.log)
        self.assertTrue(any("Early bird" in e[5] for view in expected for e in view["entries"]))

    def test_a_members_history_reads_in_the_companys_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search([("name", "=", "vip_loyalty")])._update_translations(["zh_CN"])
        self.env.company.partner_id.lang = "zh_CN"
        # The company's own levels, named in Chinese as its manager would.
        chinese = {"MEMBER": "会员", "SENIOR": "高级会员", "VIP": "贵宾", "SUPREME": "至尊会员"}
        for code, level in self.levels.items():
            level.with_context(lang="zh_CN").name = chinese.get(code, level.name)
        self.env.registry.clear_cache()  # level names are cached in the company's language
        level = self.levels["SENIOR"]
        level.points_multiplier = 1.5
        self.env["vip.points.bonus"].create({
            "name": "早鸟", "company_id": self.env.company.id, "kind": "flat", "condition": "first_n_of_day",
            "first_n": 5, "flat_points": 7,
        })
        today = self.env.company._vip_today()
        start = today - relativedelta(months=14)
        company, entry_model, partner_model = self.env.company, self.env["vip.points.entry"], self.env["res.partner"]
        orders = {}
        plan = {3: "buy", 5: "buy", 8: "refund", 9: "redeem", 20: "buy"}
        for offset, day in enumerate(adoption.replay_days(start, today)):
            entry_model._vip_expire_lots(day, company)
            partner_model._vip_nightly_levels(day, company, self.program)
            kind = plan.get(offset)
            if kind == "buy":
                orders[offset] = self.sync([(self.product_1000, 2)], date_order=self._when(day, 0))
            elif kind == "refund":
                self._sync_event((day, 0, offset, "refund", 0, (5, [1])), [self.member], orders)
            elif kind == "redeem":
                self._sync_event((day, 0, offset, "redeem", 0, self.rule._vip_gift_points(self.gift.lst_price)),
                                 [self.member], orders)
        entries = self.member.vip_points_entry_ids
        history = self.member.vip_level_history_ids
        self.assertLessEqual({"earn", "reverse", "redeem", "expire"}, set(entries.mapped("entry_type")))
        self.assertLessEqual({"upgrade", "downgrade", "lost"}, set(history.mapped("reason")))
        # What the programme writes, not the shop's own data (order and product names).
        names = self.env["pos.order"].search([("partner_id", "=", self.member.id)]).mapped("name")
        names += [self.gift.name]
        for text in entries.mapped("rule_description") + history.mapped("rule_description"):
            for name in names:
                text = text.replace(name, "")
            with self.subTest(text=text):
                self.assertNotRegex(text, r"[A-Za-z]{2,}", "no English word in the member's history")

    def test_the_nightly_expiry_goes_through_every_batch(self):
        company, entry_model = self.env.company, self.env["vip.points.entry"]
        today = company._vip_today()
        members = [self.env["res.partner"].create({"name": f"Lots {i}", "phone": f"+86 139 6600 00{i:02d}"})
                   for i in range(3)]
        for member in members:
            member._vip_enrol(enrol_date=today - timedelta(days=90))
            entry_model._vip_post([{
                "partner_id": member.id, "company_id": company.id, "date": today - timedelta(days=90),
                "points": points, "entry_type": "adjust", "expiry_date": today - timedelta(days=1),
                "rule_description": "opening lot",
            } for points in (10, 20)])
        self.assertEqual(entry_model._vip_expire_lots(today, company, batch_size=2), 6)
        self.assertEqual([member.vip_points_balance for member in members], [0, 0, 0])
        self.assertEqual(entry_model._vip_expire_lots(today, company, batch_size=2), 0, "nothing left for a re-run")
