import logging
from datetime import date

from odoo import api, fields, models

from ..engine import care as care_engine

_logger = logging.getLogger(__name__)


class VipBirthdayList(models.Model):
    """Next month's birthdays for the shop wall: generated at month end, printable on demand."""

    _name = "vip.birthday.list"
    _description = "VIP Birthday List"
    _inherit = ["mail.thread"]
    _order = "month desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    month = fields.Date(required=True, help="The first day of the month listed.")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    shop_ids = fields.Many2many("pos.config", string="Shops", check_company=True,
                                help="Shops listed; empty means every shop.")
    member_count = fields.Integer(string="Members", compute="_compute_member_count")
    member_ids = fields.Many2many("res.partner", string="Members of the Month", compute="_compute_member_count")

    _sql_constraints = [
        ("month_uniq", "unique(company_id, month)", "There is already a birthday list for this month."),
    ]

    @api.depends("month")
    def _compute_name(self):
        for rec in self:
            rec.name = self.env._("Birthdays %(month)s", month=rec.month.strftime("%Y-%m")) if rec.month else "/"

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("month"):
                vals["month"] = fields.Date.to_date(vals["month"]).replace(day=1)
        return super().create(vals_list)

    def _compute_member_count(self):
        for rec in self:
            members = [partner.id for partner, _day in rec._vip_rows()] if rec.month else []
            rec.member_count = len(members)
            rec.member_ids = [(6, 0, members)]

    def _vip_rows(self):
        """(member, birthday this year) of the month, by day and name; lost members kept off the wall."""
        self.ensure_one()
        domain = [
            ("vip_state", "in", ("active", "lapsed")), ("vip_birthday", "!=", False),
            ("vip_level_id.company_id", "=", self.company_id.id),
        ]
        if self.shop_ids:
            domain.append(("vip_enrol_shop_id", "in", self.shop_ids.ids))
        partner_model = self.env["res.partner"]
        # Month filter in SQL so the list never loads every member.
        partner_model.flush_model(["vip_birthday"])
        self.env.cr.execute(
            "SELECT id FROM res_partner WHERE vip_birthday IS NOT NULL AND EXTRACT(MONTH FROM vip_birthday) = %s",
            [self.month.month],
        )
        ids = [r[0] for r in self.env.cr.fetchall()]
        partners = partner_model.search(domain + [("id", "in", ids)])
        by_id = {p.id: p for p in partners}
        rows = care_engine.birthday_list([(p.id, p.vip_birthday) for p in partners], self.month.year, self.month.month)
        return [(by_id[pid], day) for pid, day in rows]

    def _vip_report_groups(self):
        """Rows grouped per shop, for the QWeb report."""
        self.ensure_one()
        groups = {}
        for partner, day in self._vip_rows():
            groups.setdefault(partner.vip_enrol_shop_id, []).append((partner, day))
        return sorted(groups.items(), key=lambda item: item[0].name or "")

    def action_print(self):
        return self.env.ref("vip_loyalty.action_report_vip_birthday_list").report_action(self)

    @api.model
    def _cron_month_end(self, today=None, force=False):
        """At month end: create next month's list per company and attach its PDF (re-runnable).

        The cron runs daily and acts on the month's last day (or any day with ``force``).
        """
        report = self.env.ref("vip_loyalty.action_report_vip_birthday_list")
        created = self.browse()
        for company in self.env["res.company"].sudo().search([]):
            day = today or company._vip_today()
            if not force and not care_engine.is_month_end(day):
                continue
            year, month = care_engine.next_month(day)
            first = date(year, month, 1)
            if self.sudo().search_count([("company_id", "=", company.id), ("month", "=", first)]):
                continue
            blist = self.sudo().create({"month": first, "company_id": company.id})
            pdf, _fmt = report.sudo()._render_qweb_pdf(report.report_name, blist.ids)
            blist.message_post(
                body=self.env._("%(count)s birthdays next month.", count=blist.member_count),
                attachments=[(f"{blist.name}.pdf", pdf)],
            )
            created |= blist
            _logger.info("vip: birthday list %s for %s: %s members", first, company.name, blist.member_count)
        return created
