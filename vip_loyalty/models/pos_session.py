from odoo import api, models


class PosSession(models.Model):
    _inherit = "pos.session"

    @api.model
    def _load_pos_data_models(self, config_id):
        # Gift issues load empty; the terminal reads the selected member's open gifts.
        return [*super()._load_pos_data_models(config_id), "vip.gift.issue"]

    def _load_pos_data(self, data):
        # Odoo asks an empty pos.config for the special products: ask this session's terminal.
        result = super()._load_pos_data(data)
        result["data"][0]["_pos_special_products_ids"] = self.config_id._get_special_products().ids
        return result
