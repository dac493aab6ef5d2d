import threading

from odoo import SUPERUSER_ID, api, fields
from odoo.service.model import retrying
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestConcurrency(TransactionCase):
    """Two terminals post points for one member at the same moment: both count.

    Runs on real committed cursors (not the test transaction), as two POS syncs would.
    """

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            partner = env["res.partner"].create({"name": "Concurrent Member", "phone": "13800009999"})
            partner.action_vip_enrol()
            self.partner_id = partner.id
            self.company_id = env.company.id
        self.addCleanup(self._drop_member)

    def _drop_member(self):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM vip_points_entry WHERE partner_id = %s", [self.partner_id])
            cr.execute("DELETE FROM vip_level_history WHERE partner_id = %s", [self.partner_id])
            cr.execute("DELETE FROM mail_followers WHERE res_model = 'res.partner' AND res_id = %s", [self.partner_id])
            cr.execute("DELETE FROM mail_message WHERE model = 'res.partner' AND res_id = %s", [self.partner_id])
            cr.execute("DELETE FROM res_partner WHERE id = %s", [self.partner_id])

    def _terminal(self, points, barrier, attempts, errors):
        try:
            with self.registry.cursor() as cr:
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

                retrying(post, env)
        except Exception as e:  # noqa: BLE001 - reported to the main thread
            errors.append(e)

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
        with self.registry.cursor() as cr:
            cr.execute("SELECT vip_points_balance FROM res_partner WHERE id = %s", [self.partner_id])
            balance = cr.fetchone()[0]
            cr.execute("SELECT count(*), sum(points) FROM vip_points_entry WHERE partner_id = %s", [self.partner_id])
            count, total = cr.fetchone()
        self.assertEqual((count, total), (2, 155))
        self.assertEqual(balance, 155, "no update was lost")
        self.assertGreater(len(attempts), 2, "the second terminal waited, was retried, and then counted")
