from odoo import fields, models


class VipHoliday(models.Model):
    """A dated holiday: moving feasts such as Spring Festival are entered per year."""

    _name = "vip.holiday"
    _description = "VIP Holiday"
    _order = "date, id"

    name = fields.Char(required=True, translate=True)
    date = fields.Date(required=True, index=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("name_date_uniq", "unique(company_id, name, date)", "This holiday is already entered for that date."),
    ]
