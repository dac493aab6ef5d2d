from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare


class PosOrder(models.Model):
    _inherit = "pos.order"  # pylint: disable=consider-merging-classes-inherited

    vip_voucher_ids = fields.One2many("vip.voucher", "pos_order_id", string="Vouchers Used",
                                      groups="vip_loyalty.group_vip_user")

    @api.model
    def _vip_voucher_lines(self, order, company):
        """(code, qty, price) of the order's voucher lines; returns are left alone."""
        product = self.env["vip.program"].sudo()._get_for_company(company).voucher_product_id
        found = []
        for cmd in order.get("lines") or []:
            if not (isinstance(cmd, (list, tuple)) and len(cmd) == 3 and isinstance(cmd[2], dict)):
                continue
            vals = cmd[2]
            if vals.get("refunded_orderline_id"):
                continue
            if vals.get("vip_voucher_code") or (product and vals.get("product_id") == product.id):
                found.append((vals.get("vip_voucher_code"), vals.get("qty"), vals.get("price_unit") or 0.0))
        return found

    @api.model
    def _vip_check_vouchers(self, order, existing_order):
        """The vouchers a synced order uses, each checked and locked; nothing is written here.

        Never trusts the till: the code must be an open voucher of the terminal's company, valid
        on the order's day, used once, on one line of quantity 1 whose negative price is its value."""
        session = self.env["pos.session"].browse(order.get("session_id"))
        company = session.config_id.company_id or self.env.company
        lines = self._vip_voucher_lines(order, company)
        vouchers = self.env["vip.voucher"].sudo()
        if not lines:
            return vouchers
        paid_at = fields.Datetime.to_datetime(order.get("date_order")) or fields.Datetime.now()
        on_date = company._vip_local_date(paid_at, session.config_id)
        for code, qty, price in lines:
            if not code:
                raise UserError(self.env._("A voucher line needs the voucher's code."))
            voucher = self.env["vip.voucher"]._vip_check_use(code, company, on_date, order=existing_order)
            if voucher in vouchers:
                raise UserError(self.env._("Voucher %(code)s is used once per order.", code=voucher.name))
            if qty != 1 or float_compare(-price, voucher.amount, precision_digits=2):
                raise UserError(self.env._(
                    "Voucher %(code)s is worth %(amount).2f, on one line of quantity 1.",
                    code=voucher.name, amount=voucher.amount,
                ))
            vouchers |= voucher
        return vouchers

    def _process_order(self, order, existing_order):
        paid = order.get("state") != "draft"
        vouchers = self._vip_check_vouchers(order, existing_order) if paid else self.env["vip.voucher"]
        order_id = super()._process_order(order, existing_order)
        if vouchers:
            vouchers.filtered(lambda v: v.state == "open").write({
                "state": "used", "pos_order_id": order_id, "date_used": fields.Datetime.now(),
            })
        return order_id
