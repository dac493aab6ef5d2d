from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .common import VipPosCommon

LOGGER = "odoo.addons.vip_loyalty.models.pos_order"


@tagged("post_install", "-at_install")
class TestPaidOrderSystemStep(VipPosCommon):
    """A cashier in no VIP group sells and refunds: the VIP step runs the same, at once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cashier = new_test_user(
            cls.env, login="plain_pos_cashier", groups="base.group_user,point_of_sale.group_pos_user",
            company_id=cls.env.company.id, company_ids=[(6, 0, cls.env.company.ids)],
        )
        cls.member.action_vip_enrol()

    def sync_as_cashier(self, lines, **kwargs):
        data = self.create_ui_order_data(lines, customer=self.member, **kwargs)
        data["state"] = "paid"
        result = self.env["pos.order"].with_user(self.cashier).sync_from_ui([data])
        return self.env["pos.order"].browse([o["id"] for o in result["pos.order"]])

    def entries(self, **domain):
        return self.env["vip.points.entry"].search(
            [("partner_id", "=", self.member.id)] + [(k, "=", v) for k, v in domain.items()]
        )

    def test_plain_pos_user_earns_and_reverses_at_once(self):
        self.assertFalse(self.cashier.has_group("vip_loyalty.group_vip_user"))
        with self.assertNoLogs(LOGGER, level="ERROR"), \
                self.assertNoLogs("odoo.addons.point_of_sale.models.pos_order", level="ERROR"):
            order = self.sync_as_cashier([(self.product_559, 2)])  # 1118.00 → 111 pts
            self.assertTrue(order.vip_processed)
            earn = self.entries(entry_type="earn")
            self.assertEqual(earn.points, 111)
            self.assertEqual(earn.user_id, self.cashier, "the ledger records the real cashier")
            self.assertEqual(self.member.vip_points_balance, 111)
            self.assertEqual(self.member.vip_lifetime_spend, 1118.0, "the level step counted the sale")

            refund = self.sync_as_cashier([{
                "product": self.product_559, "quantity": -1, "refunded_orderline_id": order.lines.id,
            }])
            self.assertTrue(refund.vip_processed)
            reverse = self.entries(entry_type="reverse")
            self.assertEqual(reverse.points, -56)
            self.assertEqual(reverse.user_id, self.cashier)
            self.assertEqual(self.member.vip_points_balance, 55)
        # The cashier's own rights are untouched outside the step.
        self.assertFalse(self.env["vip.points.entry"].with_user(self.cashier).has_access("read"))

    def test_failed_step_leaves_odoo_work_alone_and_is_caught_up_once(self):
        order_model = type(self.env["pos.order"])
        with patch.object(order_model, "_vip_earn", side_effect=UserError("broken earn rule")), \
                self.assertLogs(LOGGER, level="ERROR") as logs:
            order = self.sync_as_cashier([(self.product_559, 1)], is_invoiced=True)
            self.assertIn("not processed; the nightly job will retry it", logs.output[0])
            # Odoo's work on the order stands as Odoo made it.
            self.assertEqual(order.state, "invoiced")
            self.assertEqual(order.account_move.state, "posted")
            self.assertEqual(order.account_move.amount_total, 559.0)
            self.assertEqual(order.picking_ids.state, "done")
            self.assertEqual(order.picking_ids.move_ids.quantity, 1.0)
            self.assertFalse(order.vip_processed)
            self.assertFalse(self.entries())
            self.assertEqual(self.member.vip_points_balance, 0)

            # A failure forgets only what the step did: Odoo's records stay cached as they were.
            lines = order.session_id.order_ids.lines
            move_lines = order.account_move.line_ids
            order._vip_process_paid_safely()
            self.assertEqual(len(logs.output), 2)
            self.assertTrue(self.env.cache.contains(order.session_id, order.session_id._fields["order_ids"]))
            self.assertTrue(self.env.cache.contains(order.account_move, order.account_move._fields["line_ids"]))
            self.assertEqual(order.session_id.order_ids.lines, lines)
            self.assertEqual(order.account_move.line_ids, move_lines, "same lines, same order")

        program = self.env["vip.program"]._get_for_company(self.env.company)
        program._cron_nightly()
        program._cron_nightly()
        self.assertTrue(order.vip_processed)
        self.assertEqual(self.entries(entry_type="earn").points, 55)
        self.assertEqual(self.member.vip_points_balance, 55)
