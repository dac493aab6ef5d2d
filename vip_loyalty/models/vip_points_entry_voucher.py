from odoo import fields, models


class VipPointsEntry(models.Model):
    _inherit = "vip.points.entry"  # pylint: disable=consider-merging-classes-inherited

    entry_type = fields.Selection(selection_add=[("voucher", "Converted to vouchers")],
                                  ondelete={"voucher": "cascade"})

    def init(self):
        res = super().init()
        # One year-end conversion per member, company and conversion date, whatever the re-runs.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS vip_points_entry_voucher_uniq
                ON vip_points_entry (partner_id, company_id, date) WHERE entry_type = 'voucher';
            """
        )
        return res
