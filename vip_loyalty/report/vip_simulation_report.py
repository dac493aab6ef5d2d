import io

import xlsxwriter
from odoo import api, models


class VipSimulationReport(models.AbstractModel):
    """A what-if scenario's results for the managers' meeting: PDF and XLSX from the same data."""

    _name = "report.vip_loyalty.report_vip_simulation"
    _description = "VIP What-if Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        simulations = self.env["vip.simulation"].browse(docids)
        simulations.check_access("read")
        return {
            "doc_ids": docids,
            "doc_model": "vip.simulation",
            "docs": [simulation._vip_report_data() for simulation in simulations],
        }

    @api.model
    def _vip_workbook(self, data):
        _ = self.env._
        buffer = io.BytesIO()
        book = xlsxwriter.Workbook(buffer, {"in_memory": True})
        bold = book.add_format({"bold": True, "bg_color": "#DDDDDD"})
        number = book.add_format({"num_format": "#,##0"})
        money = book.add_format({"num_format": "#,##0.00"})
        simulation = data["simulation"]

        sheet = book.add_worksheet(_("Summary"))
        sheet.write_row(0, 0, [simulation.name, f"{simulation.date_from} – {simulation.date_to}"], bold)
        sheet.write_row(2, 0, [_("Figure"), _("Live programme"), _("Scenario"), _("Difference")], bold)
        for row_no, (label, kind, live, scenario) in enumerate(data["figures"], start=3):
            fmt = money if kind == "money" else number
            sheet.write(row_no, 0, label)
            sheet.write_number(row_no, 1, live, fmt)
            sheet.write_number(row_no, 2, scenario, fmt)
            sheet.write_number(row_no, 3, scenario - live, fmt)
        sheet.set_column(0, 0, 40)
        sheet.set_column(1, 3, 16)

        sheet = book.add_worksheet(_("Level moves"))
        sheet.write_row(0, 0, [_("Live level \\ Scenario level"), *data["columns"], _("Total")], bold)
        for row_no, (name, cells, total) in enumerate(data["matrix"], start=1):
            sheet.write(row_no, 0, name)
            for col, count in enumerate([*cells, total], start=1):
                sheet.write_number(row_no, col, count, number)
        last = len(data["matrix"]) + 1
        sheet.write(last, 0, _("Total"), bold)
        for col, count in enumerate([*data["column_totals"], sum(data["column_totals"])], start=1):
            sheet.write_number(last, col, count, number)
        sheet.set_column(0, len(data["columns"]) + 1, 16)

        sheet = book.add_worksheet(_("Discounts"))
        sheet.write_row(0, 0, [_("Month"), _("Shop"), _("Member sales"), _("Discount (live)"),
                               _("Discount (scenario)"), _("Difference")], bold)
        for row_no, row in enumerate(data["months"], start=1):
            sheet.write(row_no, 0, row["month"].strftime("%Y-%m"))
            sheet.write(row_no, 1, row["shop"])
            for col, key in enumerate(("sales", "live", "scenario", "difference"), start=2):
                sheet.write_number(row_no, col, row[key], money)
        sheet.set_column(0, 5, 16)

        sheet = book.add_worksheet(_("Most affected"))
        sheet.write_row(0, 0, [_("Member"), _("Live level"), _("Scenario level"), _("Live points"),
                               _("Scenario points")], bold)
        for row_no, row in enumerate(data["members"], start=1):
            sheet.write_row(row_no, 0, [row["name"], row["live_level"], row["scenario_level"]])
            sheet.write_number(row_no, 3, row["live_points"], number)
            sheet.write_number(row_no, 4, row["scenario_points"], number)
        sheet.set_column(0, 4, 18)
        book.close()
        return buffer.getvalue()
