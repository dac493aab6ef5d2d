import logging
import random
import uuid
from datetime import datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.modules import module as odoo_module
from odoo.tools import config

_logger = logging.getLogger(__name__)

SURNAMES = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu"]
GIVEN = ["Fang", "Min", "Jing", "Lei", "Yan", "Xin", "Hui", "Ling", "Qian", "Yu", "Ting", "Jie", "Na", "Wei",
         "Lan", "Mei", "Hong", "Dan"]
ADVISORS = ["Guo Li (advisor)", "He Yun (advisor)", "Song Jia (advisor)"]


class VipDemo(models.AbstractModel):
    """The demo a person evaluating the module opens after `make run`: members of every level and
    advisor, three months of POS orders through the POS's own order processing (returns included),
    points redeemed and expiring, complaints in every stage, gifts, a birthday list and the analysis.

    Loaded with the demo data; skipped when tests install the module (their own data is crafted)."""

    _name = "vip.demo"
    _description = "VIP Demo Data"

    @api.model
    def _vip_generate(self):
        if config["test_enable"] or odoo_module.current_test:
            _logger.info("vip: demo activity not generated while testing")
            return
        # Odoo loads demo data inside a savepoint: nothing here may commit, so the nightly jobs
        # (which commit batch by batch) are not called; the first night expires the old lots.
        company = self.env.ref("base.main_company")
        self.with_company(company).sudo()._vip_generate_for(company)

    def _vip_generate_for(self, company):
        rng = random.Random(19)
        today = company._vip_today()
        advisors = self._vip_demo_advisors(company)
        # the XML demo members were enrolled by the superuser: give them a real advisor
        for i, xmlid in enumerate(("demo_member_lin", "demo_member_wang", "demo_member_zhao")):
            self.env.ref(f"vip_loyalty.{xmlid}").vip_advisor_id = advisors[i % len(advisors)]
        shops = self._vip_demo_shops()
        members = self._vip_demo_members(rng, advisors, shops, today)
        self._vip_demo_orders(rng, members, shops, advisors, today)
        self._vip_demo_points(rng, members, company, today)
        self._vip_demo_complaints(members, shops, today)
        self._vip_demo_gifts(members, company, today)
        blists = self.env["vip.birthday.list"]
        if not blists.search_count([("company_id", "=", company.id), ("month", "=", today.replace(day=1))]):
            blists.create({"month": today.replace(day=1), "company_id": company.id})
        snapshot = self.env["vip.analysis.snapshot"]
        for back in (3, 2, 1, 0):
            snapshot._vip_compute_month(today.replace(day=1) - relativedelta(months=back), company)
        _logger.info("vip: demo activity generated: %s members", len(members))

    def _vip_demo_advisors(self, company):
        group = self.env.ref("vip_loyalty.group_vip_advisor") | self.env.ref("point_of_sale.group_pos_user")
        users = self.env["res.users"]
        for name in ADVISORS:
            login = "demo_" + name.split(" (")[0].lower().replace(" ", "_")
            users |= users.search([("login", "=", login)]) or users.with_context(no_reset_password=True).create({
                "name": name, "login": login, "password": login,
                "groups_id": [(6, 0, (group | self.env.ref("base.group_user")).ids)],
                "company_id": company.id, "company_ids": [(6, 0, company.ids)],
            })
        return users

    def _vip_demo_shops(self):
        main = self.env.ref("point_of_sale.pos_config_main", raise_if_not_found=False)
        flagship = self.env.ref("vip_loyalty.demo_pos_config_flagship")
        shops = (main | flagship).filtered(lambda c: c.company_id == self.env.company)
        template = shops.filtered("payment_method_ids")[:1]
        for shop in (shops - template).filtered(lambda c: not c.payment_method_ids):
            # a cash method belongs to one shop: the others take the card/bank methods
            shop.payment_method_ids = template.payment_method_ids.filtered(lambda pm: not pm.is_cash_count)
        return shops.filtered("payment_method_ids")

    def _vip_demo_members(self, rng, advisors, shops, today):
        partners = self.env["res.partner"]
        for i in range(36):
            name = f"{SURNAMES[i % len(SURNAMES)]} {GIVEN[(i * 7) % len(GIVEN)]}"
            birthday = today.replace(year=today.year - 22 - (i * 3) % 40, day=1) + timedelta(days=(i * 5) % 27)
            if i % 4:
                birthday = birthday.replace(month=(today.month + i) % 12 + 1)
            vals = {
                "name": name, "phone": f"+86 138 {1000 + i:04d} {rng.randint(1000, 9999)}",
                "email": f"{name.lower().replace(' ', '.')}{i}@example.com", "vip_birthday": birthday,
                "vip_gender": "male" if i % 5 == 0 else "female",
                "vip_clothing_size": rng.choice(["S", "M", "L", "XL"]), "vip_shoe_size": str(rng.randint(35, 42)),
                "vip_advisor_id": advisors[i % len(advisors)].id,
            }
            if i % 3 == 0:
                vals.update({"vip_hobbies": rng.choice(["Tea", "Hiking", "Piano", "Travel"]),
                             "vip_work": rng.choice(["Teacher", "Doctor", "Designer", "Lawyer"])})
            partner = partners.create(vals)
            shop = shops[i % len(shops)]
            partner._vip_enrol(shop=shop, enrol_date=today - relativedelta(months=3 + i % 4), advisor=advisors[i % 3])
            partners |= partner
        return partners

    def _vip_demo_session(self, shop):
        return shop.current_session_id or self.env["pos.session"].create({"config_id": shop.id,
                                                                           "user_id": self.env.uid})

    def _vip_demo_order(self, shop, partner, lines, when, user, refund_of=None):
        """One paid order through pos.order.sync_from_ui, as the till sends it."""
        session = self._vip_demo_session(shop)
        fiscal_position = shop.default_fiscal_position_id
        order_lines, total, base = [], 0.0, 0.0
        for product, qty, refunded in lines:
            price = product.lst_price
            taxes = fiscal_position.map_tax(product.taxes_id.filtered(lambda t: t.company_id == shop.company_id))
            values = taxes.compute_all(price, shop.currency_id, qty) if taxes else {
                "total_excluded": price * qty, "total_included": price * qty}
            total += values["total_included"]
            base += values["total_excluded"]
            line = {"product_id": product.id, "qty": qty, "price_unit": price, "discount": 0.0,
                    "price_subtotal": values["total_excluded"], "price_subtotal_incl": values["total_included"],
                    "tax_ids": [(6, 0, taxes.ids)], "pack_lot_ids": []}
            if refunded:
                line["refunded_orderline_id"] = refunded.id
            order_lines.append((0, 0, line))
        cash = shop.payment_method_ids.filtered("is_cash_count")[:1] or shop.payment_method_ids[:1]
        ref = str(uuid.UUID(int=random.Random(f"{partner.id}-{when}-{total}").getrandbits(128)))
        data = {
            "amount_paid": total, "amount_return": 0, "amount_tax": total - base, "amount_total": total,
            "date_order": fields.Datetime.to_string(when), "fiscal_position_id": fiscal_position.id,
            "pricelist_id": shop.pricelist_id.id, "name": f"Order {ref}", "lines": order_lines,
            "partner_id": partner.id, "session_id": session.id, "sequence_number": 1,
            "payment_ids": [(0, 0, {"amount": total, "name": fields.Datetime.to_string(when),
                                    "payment_method_id": cash.id})],
            "uuid": ref, "user_id": user.id, "to_invoice": False, "state": "paid",
            "last_order_preparation_change": "{}",
        }
        result = self.env["pos.order"].sync_from_ui([data])
        return self.env["pos.order"].browse([o["id"] for o in result["pos.order"]])

    def _vip_demo_orders(self, rng, members, shops, advisors, today):
        products = self.env["product.product"].search([
            ("available_in_pos", "=", True), ("list_price", ">", 5), ("type", "=", "consu"),
            ("company_id", "in", (False, self.env.company.id)),
        ], limit=30)
        if not products:
            return
        start = today.replace(day=1) - relativedelta(months=2)
        days = (today - start).days
        for i, member in enumerate(members):
            # a few big spenders reach the upper levels, most buy now and then
            spend_factor = 12 if i % 9 == 0 else 5 if i % 4 == 0 else 1
            for _n in range(rng.randint(1, 3) + (2 if spend_factor > 1 else 0)):
                day = start + timedelta(days=rng.randint(0, max(days - 1, 0)))
                when = datetime.combine(day, time(rng.randint(2, 11), rng.randint(0, 59)))
                lines = [(rng.choice(products), rng.randint(1, 2) * spend_factor, None)
                         for _l in range(rng.randint(1, 3))]
                shop = shops[(i + _n) % len(shops)]
                order = self._vip_demo_order(shop, member, lines, when, advisors[i % len(advisors)])
                if i % 7 == 3 and _n == 0:
                    line = order.lines[:1]
                    self._vip_demo_order(shop, member, [(line.product_id, -line.qty, line)],
                                         when + timedelta(days=2), advisors[i % len(advisors)])

    def _vip_demo_points(self, rng, members, company, today):
        entries = self.env["vip.points.entry"]
        for i, member in enumerate(members.filtered(lambda m: m.vip_points_balance > 100)):
            if i % 3 == 0:
                try:
                    with self.env.cr.savepoint():
                        member.vip_redeem_points(min(member.vip_points_balance // 2, 500),
                                                 "Demo: points gift at the till")
                except UserError as error:
                    _logger.info("vip: demo redemption skipped: %s", error)
        # lots that expire soon, and one already expired by the nightly job
        for member in members[:6]:
            entries._vip_post([{
                "partner_id": member.id, "company_id": company.id, "date": today - relativedelta(months=11),
                "points": 120, "entry_type": "adjust", "rule_description": "Demo: welcome bonus",
                "expiry_date": today + timedelta(days=10 + member.id % 20),
            }])
        for member in members[6:9]:
            entries._vip_post([{
                "partner_id": member.id, "company_id": company.id, "date": today - relativedelta(months=13),
                "points": 80, "entry_type": "adjust", "rule_description": "Demo: old bonus",
                "expiry_date": today - timedelta(days=3),
            }])

    def _vip_demo_complaints(self, members, shops, today):
        complaint = self.env["vip.complaint"]
        stories = [
            ("The zip broke after one wash.", "A replacement dress."),
            ("The coat was sold as wool but pills badly.", "A refund."),
            ("The advisor did not call back as promised.", "An apology and a fitting appointment."),
            ("Wrong size delivered for the gift.", "The right size, shipped."),
            ("Long wait at the till on the sale day.", "Nothing, just to be heard."),
            ("Hem came loose.", "Repair while I wait."),
        ]
        made = complaint.browse()
        for i, (story, wish) in enumerate(stories):
            made |= complaint.create({
                "partner_id": members[i * 5].id, "description": story, "customer_request": wish,
                "shop_id": shops[i % len(shops)].id,
            })
        # one complaint in each stage after New
        made[1].action_start()
        made[2].promised_date = today + timedelta(days=3)
        made[2].action_escalate()
        made[3].resolution = "Exchanged for the right size."
        made[3].action_resolve()
        for c in made[4:6]:
            c.resolution = "Listened, apologised and offered a coffee voucher."
            c.action_resolve()
            c.write({"outcome": "full", "satisfaction": "4"})
            c.action_close()

    def _vip_demo_gifts(self, members, company, today):
        gifts = self.env["vip.gift.issue"]
        birthday = self.env["vip.gift.rule"].search([("company_id", "=", company.id), ("occasion", "=", "birthday")],
                                                    limit=1)
        if birthday:
            born_now = members.filtered(lambda m: m.vip_birthday and m.vip_birthday.month == today.month)[:3]
            planned = gifts.create([{"partner_id": m.id, "rule_id": birthday.id} for m in born_now])
            planned[:1].action_notify()
        rule = self.env["vip.gift.rule"].search([("company_id", "=", company.id), ("occasion", "=", "anniversary")],
                                                limit=1) or self.env["vip.gift.rule"].create({
            "name": "Membership anniversary", "occasion": "anniversary", "company_id": company.id,
            "product_id": self.env.ref("vip_loyalty.product_gift_birthday").id, "validity_days": 30,
        })
        made = gifts.browse()
        for member in members[10:14]:
            made |= gifts.create({"partner_id": member.id, "rule_id": rule.id})
        for gift in made[:2]:
            gift.signed_by = gift.partner_id.name
            gift.action_confirm_pickup()
