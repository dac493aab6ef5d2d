from odoo import fields, models


class VipPurchaseType(models.Model):
    """A purchase type tag the nightly segmentation gives members (the brand's target)."""

    _name = "vip.purchase.type"
    _description = "VIP Purchase Type"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Selection(
        [
            ("new_arrival", "New arrivals"),
            ("promotion", "Promotion hunters"),
            ("bulk", "Bulk"),
            ("frequent", "Frequent"),
            ("single_item", "Single item"),
            ("high_price", "High price"),
            ("style", "Style"),
        ],
        required=True,
    )
    sequence = fields.Integer(default=10)
    color = fields.Integer()
    description = fields.Text(translate=True)

    _sql_constraints = [("code_uniq", "unique(code)", "Each purchase type exists once.")]
