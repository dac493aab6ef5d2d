import base64
import io

import xlsxwriter
from odoo import fields, models
from odoo.exceptions import UserError


class VipPointsExport(models.TransientModel):
    """The ledger of a date range as an Excel workbook."""

    _name = "vip.points.export"
    _description = "Export VIP Points Ledger"

    date_from = fields.Date(required=True, default=lambda self: self.env.company._vip_today().replace(day=1))
    date_to = fields.Date(required=True, default=lambda self: self.env.company._vip_today())
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    file_data = fields.Binary(readonly=True, attachment=False)
    file_name = fields.Char(readonly=True)

    def _entries(self):
        return self.env["vip.points.entry"].search([
            ("company_id", "=", self.company_id.id),
            ("date", ">=", self.date_from),
            ("date", "<=", self.date_to),
        ], order="date, id")

    def _build_workbook(self, entries):
        buffer = io.BytesIO()
        workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
        sheet = workbook.add_worksheet(self.env._("Ledger"))
        bold = workbook.add_format({"bold": True, "bg_color": "#DDDDDD"})
        date_fmt = workbook.add_format({"num_format": "yyyy-mm-dd"})
        types = dict(entries._fields["entry_type"]._description_selection(self.env))
        headers = [
            self.env._("Date"), self.env._("Card"), self.env._("Member"), self.env._("Type"),
            self.env._("Points"), self.env._("Remaining"), self.env._("Expires"),
            self.env._("Order"), self.env._("Explanation"),
        ]
        sheet.write_row(0, 0, headers, bold)
        sheet.freeze_panes(1, 0)
        for row, entry in enumerate(entries, start=1):
            sheet.write_datetime(row, 0, fields.Datetime.to_datetime(entry.date), date_fmt)
            sheet.write(row, 1, entry.partner_id.vip_card_number or "")
            sheet.write(row, 2, entry.partner_id.name or "")
            sheet.write(row, 3, types.get(entry.entry_type, entry.entry_type))
            sheet.write_number(row, 4, entry.points)
            sheet.write_number(row, 5, entry.remaining)
            if entry.expiry_date:
                sheet.write_datetime(row, 6, fields.Datetime.to_datetime(entry.expiry_date), date_fmt)
            sheet.write(row, 7, entry.pos_order_id.name or "")
            sheet.write(row, 8, entry.rule_description or "")
        total_row = len(entries) + 1
        sheet.write(total_row, 3, self.env._("Total"), bold)
        sheet.write_number(total_row, 4, sum(entries.mapped("points")), bold)
        sheet.set_column(0, 0, 12)
        sheet.set_column(1, 3, 18)
        sheet.set_column(8, 8, 60)
        workbook.close()
        return buffer.getvalue()

    def action_export(self):
        self.ensure_one()
        if self.date_from > self.date_to:
            raise UserError(self.env._("The start date is after the end date."))
        data = self._build_workbook(self._entries())
        self.write({
            "file_data": base64.b64encode(data),
            "file_name": f"vip_ledger_{self.date_from}_{self.date_to}.xlsx",
        })
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/vip.points.export/{self.id}/file_data/{self.file_name}?download=true",
            "target": "self",
        }
