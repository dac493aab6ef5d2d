import threading

from odoo import SUPERUSER_ID, api, fields, sql_db
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
            t.join(60)
        self.assertFalse(errors, errors)
        with self.real_cursor() as cr:
            cr.execute("SELECT vip_points_balance FROM res_partner WHERE id = %s", [self.partner_id])
            balance = cr.fetchone()[0]
            cr.execute("SELECT count(*), sum(points) FROM vip_points_entry WHERE partner_id = %s", [self.partner_id])
            count, total = cr.fetchone()
        self.assertEqual((count, total), (2, 155))
        self.assertEqual(balance, 155, "no update was lost")
        self.assertGreater(len(attempts), 2, "the second terminal waited, was retried, and then counted")
