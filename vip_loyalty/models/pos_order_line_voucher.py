from odoo import api, fields, models


class PosOrderLine(models.Model):
    _inherit = "pos.order.line"  # pylint: disable=consider-merging-classes-inherited

    vip_voucher_code = fields.Char(
        string="Voucher Code", copy=False,
        help="The year-end voucher this negative line redeems; checked by the server at sync.",
    )

    @api.model
    def _load_pos_data_fields(self, config_id):
        return [*super()._load_pos_data_fields(config_id), "vip_voucher_code"]
