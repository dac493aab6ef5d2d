from odoo import api, fields, models


class PosOrderLine(models.Model):
    _inherit = "pos.order.line"

    vip_discount_label = fields.Char(
        string="VIP benefit", help="The member benefit the terminal applied on this line, by name."
    )
    vip_redeem_gift = fields.Boolean(
        string="Points gift", help="This item is a gift paid with points (see the order's redemption)."
    )

    @api.model
    def _load_pos_data_fields(self, config_id):
        return [*super()._load_pos_data_fields(config_id), "vip_discount_label", "vip_redeem_gift"]
