from odoo import fields, models
from odoo.addons.base.models.res_partner import _tz_get


class PosConfig(models.Model):
    _inherit = "pos.config"

    vip_tz = fields.Selection(
        _tz_get, string="Shop Timezone",
        help="Decides the day of this shop's orders, birthdays and member days for the VIP programme. "
             "Empty: the company's timezone (VIP › Configuration › Programme).",
    )

    def _get_special_products(self):
        """The points-payment product of this terminal's company is always loaded, and kept off
        the product grid; another company's never reaches this till."""
        company = self.company_id if len(self) == 1 else self.env.company
        return super()._get_special_products() | self.env["vip.points.rule"]._for_company(company).cash_product_id
