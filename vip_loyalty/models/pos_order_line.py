from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_is_zero


class PosOrderLine(models.Model):
    _inherit = "pos.order.line"

    vip_discount_label = fields.Char(
        string="VIP benefit", help="The member benefit the terminal applied on this line, by name."
    )
    vip_cashier_discount = fields.Float(
        string="Cashier discount (%)", digits=(16, 2),
        help="The discount the cashier typed on this line. Member benefits never overwrite it: "
             "the higher of the two applies and the VIP benefit label says which.",
    )
    vip_benefit_kind = fields.Char(
        string="VIP benefit kind", help="level, stack, birthday, member_day, best_price, qualifying, cashier...",
    )
    vip_redeem_gift = fields.Boolean(
        string="Points gift", help="This item is a gift paid with points (see the order's redemption)."
    )

    # Every paid return looks up the returns of its original order (points reversal, history
    # rebuild); point_of_sale leaves this column unindexed, so each would scan all POS lines.
    refunded_orderline_id = fields.Many2one(index="btree_not_null")

    vip_gift_issue_id = fields.Many2one(
        "vip.gift.issue", string="VIP Gift", index="btree_not_null", copy=False, ondelete="restrict",
        help="The planned gift this zero-price line hands over.",
    )
    vip_voucher_code = fields.Char(
        string="Voucher Code", copy=False,
        help="The year-end voucher this negative line redeems; checked by the server at sync.",
    )

    @api.model
    def _load_pos_data_fields(self, config_id):
        return [
            *super()._load_pos_data_fields(config_id), "vip_discount_label", "vip_cashier_discount", "vip_redeem_gift",
            "vip_benefit_kind",
            "vip_gift_issue_id",
            "vip_voucher_code",
        ]

    @api.constrains("vip_gift_issue_id", "price_subtotal_incl", "product_id")
    def _check_vip_gift_issue(self):
        for line in self.filtered("vip_gift_issue_id"):
            issue = line.vip_gift_issue_id
            if line.refunded_orderline_id:
                continue
            rounding = line.order_id.currency_id.rounding or 0.01
            if not float_is_zero(line.price_subtotal_incl, precision_rounding=rounding):
                raise ValidationError(self.env._("The gift %(gift)s is handed over at zero price.", gift=issue.name))
            if line.order_id.partner_id != issue.partner_id:
                raise ValidationError(self.env._(
                    "The gift %(gift)s belongs to %(member)s, not to this order's customer.",
                    gift=issue.name, member=issue.partner_id.display_name,
                ))
            if line.product_id != issue.product_id:
                raise ValidationError(self.env._(
                    "The gift %(gift)s is %(product)s.", gift=issue.name, product=issue.product_id.display_name,
                ))
            # A gift on another paid order is taken, even before the care job marks it delivered.
            taken = issue.state not in ("planned", "notified") or issue.pos_order_id
            if taken and issue.pos_order_id != line.order_id:
                raise ValidationError(self.env._("The gift %(gift)s is no longer open.", gift=issue.name))
