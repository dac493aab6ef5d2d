from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    vip_special_price = fields.Boolean(
        string="VIP special price",
        help="Sold at a special price: no member discount applies, but the item still earns points.",
    )
