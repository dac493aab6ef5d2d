import base64
import io

import xlsxwriter
from odoo import fields, models

from ..engine import liability as liability_engine


def _last_month(wizard):
    return liability_engine.add_months(fields.Date.context_today(wizard), -1)


class VipLiabilityReport(models.TransientModel):
    """Print or export the points liability of a range of months."""

    _name = "vip.liability.report"
    _description = "VIP Points Liability Report"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    month_from = fields.Date(string="From Month", required=True,
                             default=lambda self: liability_engine.add_months(_last_month(self), -11))
    month_to = fields.Date(string="To Month", required=True, default=_last_month)
    file_data = fields.Binary(readonly=True, attachment=False)
    file_name = fields.Char(readonly=True)

    def _data(self):
        self.ensure_one()
        return self.env["report.vip_loyalty.report_vip_liability"]._vip_liability_data(
            self.company_id, self.month_from, self.month_to)

    def action_print_pdf(self):
        self.ensure_one()
        self._data()  # bad input raises here, before a print job starts
        data = {"company_id": self.company_id.id, "month_from": fields.Date.to_string(self.month_from),
                "month_to": fields.Date.to_string(self.month_to)}
        return self.env.ref("vip_loyalty.action_report_vip_liability").report_action(self, data=data)

    def action_export_xlsx(self):
        self.ensure_one()
        data = self._data()
        self.write({
            "file_data": base64.b64encode(self._build_workbook(data)),
            "file_name": f"vip_points_liability_{data['month_from']:%Y-%m}_{data['month_to']:%Y-%m}.xlsx",
        })
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/vip.liability.report/{self.id}/file_data/{self.file_name}?download=true",
            "target": "self",
        }

    def _build_workbook(self, data):
        _ = self.env._
        buffer = io.BytesIO()
        book = xlsxwriter.Workbook(buffer, {"in_memory": True})
        bold = book.add_format({"bold": True, "bg_color": "#DDDDDD"})
        formats = {
            "text": None,
            "points": book.add_format({"num_format": "#,##0"}),
            "money": book.add_format({"num_format": "#,##0.00"}),
            "rate": book.add_format({"num_format": "0.0%"}),
            "value": book.add_format({"num_format": "0.0000"}),
        }
        columns = [
            (_("Opening points"), "opening", "points"), (_("Earned"), "earned", "points"),
            (_("Redeemed"), "redeemed", "points"), (_("Expired"), "expired", "points"),
            (_("Closing points"), "closing", "points"), (_("Point value"), "point_value", "value"),
            (_("Breakage"), "breakage_rate", "rate"), (_("Opening balance"), "opening_amount", "money"),
            (_("Deferred"), "earned_amount", "money"), (_("Released (redeemed)"), "redeemed_amount", "money"),
            (_("Breakage revenue"), "expired_amount", "money"), (_("Catch-up"), "catchup_amount", "money"),
            (_("Closing balance"), "closing_amount", "money"),
        ]

        def table(name, scopes, extra=()):
            sheet = book.add_worksheet(name)
            cols = columns + list(extra)
            sheet.write_row(0, 0, [_("Scope"), _("Month")] + [c[0] for c in cols], bold)
            sheet.freeze_panes(1, 2)
            row_no = 1
            for scope, rows in scopes:
                for row in rows:
                    sheet.write(row_no, 0, scope)
                    sheet.write(row_no, 1, row["month"].strftime("%Y-%m"))
                    for col, (_label, key, kind) in enumerate(cols, start=2):
                        sheet.write_number(row_no, col, row[key], formats[kind])
                    row_no += 1
            sheet.set_column(0, 0, 24)
            sheet.set_column(2, len(cols) + 1, 14)

        table(_("Liability"), [(data["company"].name, data["rows"])],
              extra=[(_("Posted in accounting"), "posted_amount", "money")])
        table(_("By shop"), [(shop["name"], shop["rows"]) for shop in data["shops"]])
        sheet = book.add_worksheet(_("Breakage"))
        sheet.write_row(0, 0, [_("Month"), _("Assumed"), _("Observed (12 months)"), _("Observed (24 months)")], bold)
        sheet.freeze_panes(1, 1)
        for row_no, row in enumerate(data["breakage"], start=1):
            sheet.write(row_no, 0, row["month"].strftime("%Y-%m"))
            for col, key in enumerate(("assumed", "observed_12", "observed_24"), start=1):
                sheet.write_number(row_no, col, row[key], formats["rate"])
        sheet.set_column(0, 3, 20)
        book.close()
        return buffer.getvalue()
