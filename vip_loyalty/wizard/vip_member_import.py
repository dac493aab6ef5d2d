import base64

from odoo import _, fields, models
from odoo.exceptions import AccessError, UserError

from ..engine import adoption


class VipMemberImport(models.TransientModel):
    """Import an existing VIP list (CSV, XLSX, XLS, ODS) with levels and opening balances.

    The file is read by base_import (encoding and separator detection, spreadsheets); the
    rows are checked by ``engine.adoption.validate_import``. Nothing is written until every
    row is clean. An existing customer with the same phone becomes the member rather than
    a new contact, so past POS orders stay with the person.
    """

    _name = "vip.member.import"
    _description = "Import VIP Members"

    file = fields.Binary(required=True, attachment=False)
    file_name = fields.Char()
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    state = fields.Selection(
        [("draft", "Draft"), ("invalid", "Errors found"), ("valid", "Ready to import"), ("done", "Imported")],
        default="draft", required=True,
        string="Status",
    )
    errors = fields.Text(readonly=True)
    row_count = fields.Integer(readonly=True)
    partner_ids = fields.Many2many("res.partner", string="Imported members", readonly=True)

    # -- reading -------------------------------------------------------------------

    def _vip_read_rows(self):
        """Header and data rows through base_import's readers."""
        self.ensure_one()
        if not self.file:
            raise UserError(_("Choose a file to import."))
        reader = self.env["base_import.import"].create({
            "res_model": "res.partner",
            "file": base64.b64decode(self.file),
            "file_name": self.file_name or "members.csv",
            "file_type": "text/csv" if (self.file_name or "").lower().endswith(".csv") else False,
        })
        options = {"quoting": '"', "separator": "", "encoding": "", "has_headers": True}
        try:
            _count, rows = reader._read_file(options)
        except (ValueError, UnicodeDecodeError) as exc:
            raise UserError(_("The file cannot be read: %s", exc)) from exc
        rows = list(rows)
        if not rows:
            raise UserError(_("The file is empty."))
        return rows[0], rows[1:]

    def _vip_validate(self):
        self.ensure_one()
        header, rows = self._vip_read_rows()
        company = self.company_id
        levels = {}
        for level in self.env["vip.level"].sudo().search([("company_id", "=", company.id)]):
            levels[level.code.lower()] = level.code
            levels[level.name.lower()] = level.code
        advisors = {}
        for user in self.env["res.users"].sudo().search([("share", "=", False)]):
            advisors[user.login.lower()] = user.id
            advisors[user.name.lower()] = user.id
        partner_model = self.env["res.partner"].sudo().with_context(active_test=False)
        taken_cards = set(partner_model.search([("vip_card_number", "!=", False)]).mapped("vip_card_number"))
        members = partner_model.search([("vip_state", "!=", "none"), ("phone", "!=", False)])
        taken_phones = {adoption.phone_key(p.phone) for p in members}
        parsed, errors = adoption.validate_import(
            header, rows, levels, advisors, taken_cards, taken_phones, today=self.company_id._vip_today(),
        )
        return parsed, errors, advisors

    # -- actions ---------------------------------------------------------------------

    def _vip_check_rights(self):
        if not self.env.user.has_group("vip_loyalty.group_vip_manager"):
            raise AccessError(_("Only VIP Managers can import members."))
        self.env["vip.job"]._vip_check_company(self.company_id)

    def _vip_reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_validate(self):
        self.ensure_one()
        self._vip_check_rights()
        parsed, errors, _advisors = self._vip_validate()
        self.write({
            "state": "invalid" if errors else "valid",
            "errors": "\n".join(str(e) for e in errors) or False,
            "row_count": len(parsed),
        })
        return self._vip_reopen()

    def action_import(self):
        """Queue the checked rows as a job; up to the programme's "run at once" limit of rows
        it runs at once and the imported members show here, otherwise the job opens."""
        self.ensure_one()
        self._vip_check_rights()
        parsed, errors, advisors = self._vip_validate()
        if errors:
            raise UserError(_("Nothing was imported; fix these rows first:\n%s", "\n".join(str(e) for e in errors)))
        job = self.env["vip.job"]._vip_queue({
            "kind": "import",
            "company_id": self.company_id.id,
            "file_name": self.file_name or _("file"),
            "payload": {
                "rows": [adoption.import_row_to_json(row) for row in parsed],
                "advisors": {row.advisor: advisors[row.advisor] for row in parsed if row.advisor},
            },
            "progress_total": len(parsed),
        })
        if len(parsed) > job._vip_inline_limit(self.company_id):
            return job._vip_start_background()
        job._vip_run_now()
        self.write({"state": "done", "errors": False, "row_count": len(parsed),
                    "partner_ids": [fields.Command.set(job.sudo().member_ids.ids)]})
        return self._vip_reopen()
