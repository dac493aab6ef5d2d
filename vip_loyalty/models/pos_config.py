from odoo import models


class PosConfig(models.Model):
    _inherit = "pos.config"

    def _get_special_products(self):
        """The points-payment product is always loaded, and kept off the product grid."""
        return super()._get_special_products() | self.env["vip.points.rule"].sudo().search([]).cash_product_id
