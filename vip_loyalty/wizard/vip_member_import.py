import base64
import logging

from odoo import _, fields, models
from odoo.exceptions import AccessError, UserError

from ..engine import adoption
from ..engine import levels as level_engine

_logger = logging.getLogger(__name__)

# Import column -> res.partner field.
PROFILE_FIELDS = {
    "email": "email",
    "gender": "vip_gender",
    "clothing_size": "vip_clothing_size",
    "shoe_size": "vip_shoe_size",
    "body_shape": "vip_body_shape",
    "work": "vip_work",
    "family": "vip_family",
    "personality": "vip_personality",
    "consumption_habits": "vip_consumption_habits",
    "dress_preferences": "vip_dress_preferences",
    "hobbies": "vip_hobbies",
    "lifestyle": "vip_lifestyle",
    "service_style": "vip_service_style",
    "accepts_promotions": "vip_accepts_promotions",
    "values": "vip_values",
}


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
            header, rows, levels, advisors, taken_cards, taken_phones, today=fields.Date.context_today(self),
        )
        return parsed, errors, advisors

    # -- actions ---------------------------------------------------------------------

    def _vip_check_rights(self):
        if not self.env.user.has_group("vip_loyalty.group_vip_manager"):
            raise AccessError(_("Only VIP Managers can import members."))

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
        self.ensure_one()
        self._vip_check_rights()
        parsed, errors, advisors = self._vip_validate()
        if errors:
            raise UserError(_("Nothing was imported; fix these rows first:\n%s", "\n".join(str(e) for e in errors)))
        partners = self.sudo()._vip_write(parsed, advisors)
        self.write({"state": "done", "errors": False, "row_count": len(parsed),
                    "partner_ids": [fields.Command.set(partners.ids)]})
        return self._vip_reopen()

    def _vip_write(self, parsed, advisors):
        company = self.company_id
        today = fields.Date.context_today(self)
        partner_model = self.env["res.partner"].with_company(company)
        levels = {lvl.code: lvl for lvl in self.env["vip.level"].search([("company_id", "=", company.id)])}
        specs = {s.id: s for s in self.env["vip.level"]._specs_for_company(company)}
        rule = self.env["vip.points.rule"]._for_company(company)
        customers = partner_model.search([("vip_state", "=", "none"), ("phone", "!=", False)])
        by_phone = {}
        for customer in customers:
            by_phone.setdefault(adoption.phone_key(customer.phone), customer)
        result = partner_model.browse()
        ledger = []
        for row in parsed:
            vals = {"name": row.name, "phone": row.phone, "vip_card_number": row.card_number}
            if row.birthday:
                vals["vip_birthday"] = row.birthday
            for column, value in row.values.items():
                vals[PROFILE_FIELDS[column]] = value
            partner = by_phone.get(adoption.phone_key(row.phone))
            if partner:
                partner.write(vals)
            else:
                partner = partner_model.create(vals)
            advisor = self.env["res.users"].browse(advisors[row.advisor]) if row.advisor else None
            if advisor:
                partner.vip_advisor_id = advisor
            partner._vip_enrol(enrol_date=today, advisor=advisor)
            level = levels.get(row.level_code)
            if level and level != partner.vip_level_id:
                spec = specs.get(level.id)
                partner._vip_apply_decision(level_engine.Decision(
                    level_id=level.id, reason="manual",
                    rule_description=_("imported from the VIP list (%s)", self.file_name or _("file")),
                    valid_until=partner._vip_validity_end(spec, today) if spec else None,
                    level_since=today, state="active",
                ), on_date=today)
            if row.opening_points:
                ledger.append({
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "date": today,
                    "points": row.opening_points,
                    "entry_type": "adjust",
                    "expiry_date": row.points_expiry or (rule._expiry_date(today) if rule else False),
                    "rule_description": _("opening balance"),
                })
            result |= partner
        self.env["vip.points.entry"]._vip_post(ledger)
        _logger.info("vip: imported %s members (%s opening balances)", len(result), len(ledger))
        return result
