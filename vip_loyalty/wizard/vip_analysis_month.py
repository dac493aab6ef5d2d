import base64
import io

import xlsxwriter
from dateutil.relativedelta import relativedelta
from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..engine import analysis as analysis_engine


class VipAnalysisMonth(models.TransientModel):
    """Recompute, print (PDF per shop) or export (XLSX) the VIP analysis of any past month."""

    _name = "vip.analysis.month"
    _description = "VIP Monthly Analysis"

    month = fields.Date(
        required=True,
        default=lambda self: analysis_engine.previous_month(fields.Date.context_today(self)),
        help="Any day of the month; the analysis covers the whole calendar month.",
    )
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    shop_ids = fields.Many2many("pos.config", string="Shops",
                                help="Shops to print; empty means the company total only.")
    file_data = fields.Binary(readonly=True, attachment=False)
    file_name = fields.Char(readonly=True)

    @api.onchange("month")
    def _onchange_month(self):
        if self.month:
            self.month = analysis_engine.month_start(self.month)

    def _check_month(self):
        self.ensure_one()
        self.env["vip.job"]._vip_check_company(self.company_id)
        if analysis_engine.month_start(self.month) > self.company_id._vip_today():
            raise UserError(_("The analysis of a month that has not started cannot be computed."))
        return analysis_engine.month_start(self.month)

    def action_recompute(self):
        """Queue the month as a job: a month of up to the programme's "run at once" limit of
        orders is computed at once and its rows open; a larger one opens the job."""
        month = self._check_month()
        job = self.env["vip.job"]._vip_queue({"kind": "analysis", "company_id": self.company_id.id,
                                              "month": month, "progress_total": 1})
        self.env["pos.order"].flush_model(["company_id", "date_order"])
        self.env.cr.execute(
            "SELECT count(*) FROM pos_order WHERE company_id = %s AND date_order >= %s AND date_order < %s",
            [self.company_id.id, month - relativedelta(days=1), month + relativedelta(months=1, days=1)],
        )
        if self.env.cr.fetchone()[0] > job._vip_inline_limit(self.company_id):
            return job._vip_start_background()
        job._vip_run_now()
        action = self.env["ir.actions.act_window"]._for_xml_id("vip_loyalty.vip_analysis_snapshot_action")
        action["domain"] = [("id", "in", job.sudo().snapshot_ids.ids)]
        return action

    def action_print_pdf(self):
        month = self._check_month()
        data = {"month": fields.Date.to_string(month), "company_id": self.company_id.id,
                "shop_ids": self.shop_ids.ids}
        return self.env.ref("vip_loyalty.action_report_vip_analysis").report_action(self.shop_ids, data=data)

    def action_export_xlsx(self):
        month = self._check_month()
        self.write({
            "file_data": base64.b64encode(self._build_workbook(month)),
            "file_name": f"vip_analysis_{month.strftime('%Y-%m')}.xlsx",
        })
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/vip.analysis.month/{self.id}/file_data/{self.file_name}?download=true",
            "target": "self",
        }

    def _build_workbook(self, month):
        report = self.env["report.vip_loyalty.report_vip_analysis"]
        scopes = [self.env["pos.config"]] + list(self.shop_ids)
        sections = [report._vip_sections(month, self.company_id, shop or None) for shop in scopes]
        buffer = io.BytesIO()
        book = xlsxwriter.Workbook(buffer, {"in_memory": True})
        fmt = {
            "head": book.add_format({"bold": True, "bg_color": "#DDDDDD", "border": 1}),
            "money": book.add_format({"num_format": "#,##0.00"}),
            "rate": book.add_format({"num_format": "0.0%"}),
            "count": book.add_format({"num_format": "0"}),
            "number": book.add_format({"num_format": "0.00"}),
        }

        def table(sheet_name, headers, rows, kinds, widths=None):
            sheet = book.add_worksheet(sheet_name)
            sheet.write_row(0, 0, headers, fmt["head"])
            sheet.freeze_panes(1, 1)
            for r, row in enumerate(rows, start=1):
                for c, (value, kind) in enumerate(zip(row, kinds, strict=True)):
                    if kind == "text":
                        sheet.write_string(r, c, str(value or ""))
                    else:
                        sheet.write_number(r, c, float(value or 0), fmt[kind])
            sheet.set_column(0, 0, 28)
            sheet.set_column(1, len(headers), widths or 16)
            return sheet

        def scope_name(section):
            return section["shop"].name if section["shop"] else _("Company")

        labels = [m.strftime("%Y-%m") for m in sections[0]["months"]]
        # Each row has its own kind (money, rate, count): written cell by cell.
        sheet = book.add_worksheet(_("Summary"))
        sheet.write_row(0, 0, [_("Scope"), _("Figure"), *labels], fmt["head"])
        sheet.freeze_panes(1, 2)
        r = 1
        for section in sections:
            for line in section["summary"]:
                sheet.write_string(r, 0, scope_name(section))
                sheet.write_string(r, 1, line["label"])
                for c, value in enumerate(line["values"], start=2):
                    sheet.write_number(r, c, float(value or 0), fmt[line["kind"]])
                r += 1
        sheet.set_column(0, 1, 28)
        sheet.set_column(2, 4, 16)

        table(_("Categories"),
              [_("Scope"), _("Category"), _("Sales"), _("Units"), _("Avg. unit price"), _("Previous month"),
               _("Trend")],
              [[scope_name(s), c["category"], c["sales"], c["units"], c["avg_price"], c["previous_sales"], c["trend"]]
               for s in sections for c in s["categories"]],
              ["text", "text", "money", "count", "money", "money", "rate"])
        table(_("Age groups"),
              [_("Scope"), _("Age group"), _("Buying members"), _("Member sales"), _("Per member")],
              [[scope_name(s), a["age_group"], a["members"], a["sales"], a["average"]]
               for s in sections for a in s["age_groups"]],
              ["text", "text", "count", "money", "money"])
        table(_("Levels"),
              [_("Scope"), _("Level"), _("Members")],
              [[scope_name(s), lvl["level"], lvl["members"]] for s in sections for lvl in s["levels"]],
              ["text", "text", "count"])
        migration = sections[0]["migration"]
        sheet = book.add_worksheet(_("Level migration"))
        sheet.write_row(0, 0, [_("From \\ To"), *migration["levels"]], fmt["head"])
        sheet.freeze_panes(1, 1)
        for r, (name, cells) in enumerate(zip(migration["levels"], migration["matrix"], strict=True), start=1):
            sheet.write_string(r, 0, name, fmt["head"])
            for c, value in enumerate(cells, start=1):
                sheet.write_number(r, c, value, fmt["count"])
        sheet.set_column(0, len(migration["levels"]), 16)
        table(_("Staff"),
              [_("Scope"), _("Advisor"), _("New members"), _("Registration rate"), _("Profile completeness"),
               _("Rank"), _("Member sales")],
              [[scope_name(s), st["advisor"], st["new_members"], st["registration_rate"], st["completeness"],
                st["rank"], st["member_sales"]] for s in sections for st in s["staff"]],
              ["text", "text", "count", "rate", "number", "count", "money"])
        book.close()
        return buffer.getvalue()
