from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..engine import reach as reach_engine


class VipProgram(models.Model):
    """Reaching members and year-end vouchers (seed 003 part 6): defaults in data, editable."""

    _inherit = "vip.program"  # pylint: disable=consider-merging-classes-inherited

    reach_default_channel = fields.Selection(
        [("sms", "SMS"), ("email", "Email")], string="Default Channel", default="sms", required=True,
        help="Channel of members without a preference. A member without a mobile number gets email, "
             "one without an email gets SMS.",
    )
    voucher_enabled = fields.Boolean(string="Year-end Vouchers", default=True)
    voucher_conversion_month = fields.Integer(string="Conversion month", default=12)
    voucher_conversion_day = fields.Integer(string="Conversion day", default=1)
    voucher_valid_until_month = fields.Integer(string="Valid until month", default=1)
    voucher_valid_until_day = fields.Integer(string="Valid until day", default=15)
    voucher_points_per_unit = fields.Integer(
        string="Points per currency unit", default=10, help="Seed 003: points ÷ 10 = voucher amount.",
    )
    voucher_min_face = fields.Integer(string="Smallest face value", default=10)
    voucher_max_face = fields.Integer(string="Largest face value", default=100)
    voucher_product_id = fields.Many2one(
        "product.product", string="Voucher product",
        help="Product of the till line (negative price) by which a voucher pays part of an order.",
    )
    events_per_year = fields.Integer(
        string="VIP events per year", default=4, help="Seed 003: at least this many VIP events a year.",
    )

    @api.constrains(
        "voucher_conversion_month", "voucher_conversion_day", "voucher_valid_until_month",
        "voucher_valid_until_day", "voucher_points_per_unit", "voucher_min_face", "voucher_max_face",
        "events_per_year",
    )
    def _check_voucher_settings(self):
        for program in self:
            if program.voucher_points_per_unit <= 0:
                raise ValidationError(self.env._("Points per currency unit must be positive."))
            if not 0 < program.voucher_min_face <= program.voucher_max_face:
                raise ValidationError(self.env._(
                    "Voucher face values need 0 < smallest <= largest (%(min)s, %(max)s).",
                    min=program.voucher_min_face, max=program.voucher_max_face,
                ))
            for month, day in ((program.voucher_conversion_month, program.voucher_conversion_day),
                               (program.voucher_valid_until_month, program.voucher_valid_until_day)):
                if not (1 <= month <= 12 and 1 <= day <= 31):
                    raise ValidationError(self.env._("A voucher date needs a month 1-12 and a day 1-31."))
            if program.events_per_year < 0:
                raise ValidationError(self.env._("The number of VIP events per year cannot be negative."))

    def _vip_voucher_settings(self):
        self.ensure_one()
        return reach_engine.VoucherSettings(
            conversion_month=self.voucher_conversion_month,
            conversion_day=self.voucher_conversion_day,
            valid_until_month=self.voucher_valid_until_month,
            valid_until_day=self.voucher_valid_until_day,
            points_per_unit=self.voucher_points_per_unit,
            min_face=self.voucher_min_face,
            max_face=self.voucher_max_face,
        )
