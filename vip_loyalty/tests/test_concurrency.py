import copy
import threading
import uuid
from unittest.mock import patch

from odoo import SUPERUSER_ID, api, fields, sql_db
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger
from psycopg2.errors import SerializationFailure


@tagged("post_install", "-at_install")
class TestConcurrency(TransactionCase):
    """Two terminals post points for one member at the same moment: both count.

    Runs on real committed cursors (not the test transaction), as two POS syncs would.
    """

    def real_cursor(self):
        # registry.cursor() is the shared test cursor here; go to the database directly, and bind
        # the registry now (Registry(dbname) would wait for the lock module loading holds).
        cr = sql_db.db_connect(self.env.cr.dbname).cursor()
        cr.transaction = api.Transaction(self.registry)
        return cr

    def setUp(self):
        super().setUp()
        with self.real_cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            partner = env["res.partner"].create({"name": "Concurrent Member", "phone": "13800009999"})
            partner.action_vip_enrol()
            self.partner_id = partner.id
            self.company_id = env.company.id
            cr.commit()  # pylint: disable=invalid-commit  # real cursors, outside the test transaction
        self.addCleanup(self._drop_member)

    def _drop_member(self):
        with self.real_cursor() as cr:
            cr.execute("DELETE FROM vip_points_entry WHERE partner_id = %s", [self.partner_id])
            cr.execute("DELETE FROM vip_level_history WHERE partner_id = %s", [self.partner_id])
            cr.execute("DELETE FROM mail_followers WHERE res_model = 'res.partner' AND res_id = %s", [self.partner_id])
            cr.execute("DELETE FROM mail_message WHERE model = 'res.partner' AND res_id = %s", [self.partner_id])
            cr.execute("DELETE FROM res_partner WHERE id = %s", [self.partner_id])
            cr.commit()  # pylint: disable=invalid-commit  # real cursors, outside the test transaction

    def _terminal(self, points, barrier, attempts, errors):
        try:
            with self.real_cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})

                def post():
                    attempts.append(points)
                    # Both transactions take their snapshot before either writes.
                    cr.execute("SELECT vip_points_balance FROM res_partner WHERE id = %s", [self.partner_id])
                    if len(attempts) <= 2:
                        barrier.wait(timeout=10)
                    env["vip.points.entry"]._vip_post([{
                        "partner_id": self.partner_id,
                        "company_id": self.company_id,
                        "date": fields.Date.today(),
                        "points": points,
                        "entry_type": "earn",
                        "rule_description": f"terminal {points}",
                    }])

                # What odoo.service.model.retrying does for a POS sync, without its
                # registry bookkeeping (the registry is locked while tests run).
                for _attempt in range(5):
                    try:
                        post()
                        cr.commit()  # pylint: disable=invalid-commit  # real cursors, outside the test transaction
                        break
                    except SerializationFailure:
                        cr.rollback()
                        env.invalidate_all()
        except Exception as e:  # noqa: BLE001 - reported to the main thread
            errors.append(e)

    @mute_logger("odoo.sql_db")  # the expected serialization failure is logged as a bad query
    def test_two_terminals_one_member(self):
        barrier = threading.Barrier(2)
        attempts, errors = [], []
        threads = [
            threading.Thread(target=self._terminal, args=(pts, barrier, attempts, errors)) for pts in (55, 100)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertFalse(errors, errors)
        with self.real_cursor() as cr:
            cr.execute("SELECT vip_points_balance FROM res_partner WHERE id = %s", [self.partner_id])
            balance = cr.fetchone()[0]
            cr.execute("SELECT count(*), sum(points) FROM vip_points_entry WHERE partner_id = %s", [self.partner_id])
            count, total = cr.fetchone()
        self.assertEqual((count, total), (2, 155))
        self.assertEqual(balance, 155, "no update was lost")
        self.assertGreater(len(attempts), 2, "the second terminal waited, was retried, and then counted")

    # -- two tills redeem the same points --------------------------------------------------

    def _open_tills(self):
        """Two terminals of the company, a service sold at 500.00, and 1,000 points on the member."""
        with self.real_cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            admin = env.ref("base.user_admin")
            env = env(user=admin, context={"allowed_company_ids": [self.company_id]})
            bank = env["account.journal"].search([("type", "=", "bank"), ("company_id", "=", self.company_id)], limit=1)
            method = env["pos.payment.method"].create({"name": "Race card", "journal_id": bank.id})
            product = env["product.product"].create({
                "name": "Race tailoring", "type": "service", "list_price": 500.0,
                "available_in_pos": True, "taxes_id": [(5, 0, 0)],
            })
            configs = env["pos.config"].create([
                {"name": f"Race till {n}", "payment_method_ids": [(6, 0, method.ids)]} for n in (1, 2)
            ])
            sessions = env["pos.session"]
            for config in configs:  # one session per till, created one by one as a till opens
                sessions |= env["pos.session"].create({"config_id": config.id, "user_id": admin.id})
            env["vip.points.entry"].sudo()._vip_post([{
                "partner_id": self.partner_id, "company_id": self.company_id, "date": fields.Date.today(),
                "points": 1000, "entry_type": "adjust", "rule_description": "opening balance",
            }])
            rule = env["vip.points.rule"]._for_company(env.company)
            tills = {
                "admin": admin.id, "method": method.id, "product": product.id, "configs": configs.ids,
                "sessions": sessions.ids, "pricelist": configs[0].pricelist_id.id,
                "cash_product": rule.cash_product_id.id,
                "cash_value": rule.cash_block_value * 1000 / rule.cash_points_block,
            }
            cr.commit()  # pylint: disable=invalid-commit  # real cursors, outside the test transaction
        self.addCleanup(self._close_tills, tills)
        return tills

    def _close_tills(self, tills):
        with self.real_cursor() as cr:
            sessions = tuple(tills["sessions"])
            cr.execute("DELETE FROM vip_points_entry WHERE partner_id = %s", [self.partner_id])
            cr.execute("DELETE FROM mail_activity WHERE res_model = 'res.partner' AND res_id = %s", [self.partner_id])
            cr.execute("DELETE FROM pos_payment WHERE session_id IN %s", [sessions])
            cr.execute("DELETE FROM pos_order WHERE session_id IN %s", [sessions])
            cr.execute("DELETE FROM pos_session WHERE id IN %s", [sessions])
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["pos.config"].browse(tills["configs"]).unlink()
            env["pos.payment.method"].browse(tills["method"]).unlink()
            env["product.product"].browse(tills["product"]).product_tmpl_id.unlink()
            cr.commit()  # pylint: disable=invalid-commit  # real cursors, outside the test transaction

    def _order_data(self, tills, session_id, redeem):
        """What a till sends for one service at 500.00, less 1,000 points at cash value when ``redeem``."""
        lines = [(0, 0, {"product_id": tills["product"], "qty": 1, "price_unit": 500.0, "discount": 0.0,
                         "price_subtotal": 500.0, "price_subtotal_incl": 500.0, "tax_ids": [(6, 0, [])]})]
        total = 500.0
        if redeem:
            value = tills["cash_value"]
            lines.append((0, 0, {"product_id": tills["cash_product"], "qty": 1, "price_unit": -value,
                                 "discount": 0.0, "price_subtotal": -value, "price_subtotal_incl": -value,
                                 "tax_ids": [(6, 0, [])]}))
            total -= value
        ref = str(uuid.uuid4())
        return {
            "uuid": ref, "name": f"Order {ref}", "session_id": session_id, "partner_id": self.partner_id,
            "user_id": tills["admin"], "pricelist_id": tills["pricelist"], "fiscal_position_id": False,
            "date_order": fields.Datetime.to_string(fields.Datetime.now()), "sequence_number": 1,
            "amount_total": total, "amount_tax": 0.0, "amount_paid": total, "amount_return": 0.0,
            "lines": lines, "last_order_preparation_change": "{}", "to_invoice": False, "state": "paid",
            "payment_ids": [(0, 0, {"amount": total, "payment_method_id": tills["method"],
                                    "name": fields.Datetime.now()})],
            "vip_redeem_points": 1000 if redeem else 0, "vip_redeem_kind": "cash" if redeem else False,
        }

    def _till_sync(self, tills, data, barrier, outcome, errors):
        """One till syncs one order, retried on a serialization failure as odoo.service.model.retrying does."""
        try:
            with self.real_cursor() as cr:
                env = api.Environment(cr, tills["admin"], {"allowed_company_ids": [self.company_id]})
                for attempt in range(5):
                    try:
                        # Both syncs take their snapshot before either writes.
                        cr.execute("SELECT vip_points_balance FROM res_partner WHERE id = %s", [self.partner_id])
                        if barrier and not attempt:
                            barrier.wait(timeout=10)
                        result = env["pos.order"].sync_from_ui([copy.deepcopy(data)])
                        cr.commit()  # pylint: disable=invalid-commit  # real cursors, outside the test transaction
                        outcome.append(("paid", data["uuid"], result["pos.order"][0]["id"], attempt))
                        return
                    except SerializationFailure:
                        # retrying() also resets the registry, which is locked while tests run.
                        cr.rollback()
                        env.invalidate_all()
                    except UserError as e:
                        cr.rollback()
                        outcome.append(("refused", data["uuid"], str(e), attempt))
                        return
                errors.append(f"{data['uuid']} never went through")
        except Exception as e:  # noqa: BLE001 - reported to the main thread
            errors.append(e)

    @mute_logger("odoo.sql_db")  # the expected serialization failure is logged as a bad query
    def test_two_tills_redeem_the_same_points(self):
        tills = self._open_tills()
        orders = [self._order_data(tills, session, redeem=True) for session in tills["sessions"]]
        barrier = threading.Barrier(2)
        outcome, errors = [], []
        threads = [
            threading.Thread(target=self._till_sync, args=(tills, data, barrier, outcome, errors)) for data in orders
        ]
        order_class = type(self.env["pos.order"])
        mark_paid = order_class.action_pos_order_paid
        reached_payment = []

        def spy_paid(orders):
            reached_payment.extend(orders.mapped("uuid"))
            return mark_paid(orders)

        with patch.object(order_class, "action_pos_order_paid", spy_paid):
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
        self.assertFalse(errors, errors)
        by_kind = {kind: (ref, detail, attempt) for kind, ref, detail, attempt in outcome}
        self.assertEqual(sorted(by_kind), ["paid", "refused"], outcome)
        loser_ref, message, attempt = by_kind["refused"]
        self.assertGreater(attempt, 0, "the losing till was retried on a fresh snapshot, then refused")
        self.assertIn("Concurrent Member has", message)
        self.assertIn("1000 cannot be redeemed", message)
        self.assertNotIn(loser_ref, reached_payment, "no attempt of the refused order got as far as being paid")
        # The losing till takes the points line off and the customer pays in full.
        loser = next(data for data in orders if data["uuid"] == loser_ref)
        again = self._order_data(tills, loser["session_id"], redeem=False)
        outcome.clear()
        self._till_sync(tills, again, None, outcome, errors)
        self.assertFalse(errors, errors)
        self.assertEqual(outcome[0][0], "paid")

        with self.real_cursor() as cr:
            cr.execute(
                "SELECT uuid, state, vip_processed, vip_points_earned, amount_total FROM pos_order"
                " WHERE session_id IN %s ORDER BY id", [tuple(tills["sessions"])],
            )
            rows = cr.fetchall()
            cr.execute(
                "SELECT entry_type, points, pos_order_id FROM vip_points_entry WHERE partner_id = %s ORDER BY id",
                [self.partner_id],
            )
            entries = cr.fetchall()
            cr.execute("SELECT vip_points_balance FROM res_partner WHERE id = %s", [self.partner_id])
            balance = cr.fetchone()[0]
        self.assertNotIn(loser_ref, [r[0] for r in rows], "the refused order was never saved, nor paid")
        # The 500.00 item earns 50 points on each order; the points-payment line earns nothing.
        self.assertEqual(
            [(r[1], r[2], r[3], r[4]) for r in rows], [("paid", True, 50, 470.0), ("paid", True, 50, 500.0)],
        )
        self.assertEqual(
            sorted((kind, pts) for kind, pts, _order in entries),
            [("adjust", 1000), ("earn", 50), ("earn", 50), ("redeem", -1000)],
            "each order earned once, the points were redeemed once",
        )
        self.assertEqual(balance, sum(pts for _kind, pts, _order in entries), "balance == sum of the ledger")
        self.assertEqual(balance, 100)
