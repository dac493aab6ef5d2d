import logging
import time

from odoo import _, fields, models

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


class VipImportRows(models.AbstractModel):
    """VIP list import steps of ``vip.job``: the rows, checked by the wizard before the job
    was queued, are written in chunks committed with the job's position."""

    _name = "vip.import.rows"
    _description = "VIP job steps: VIP list import"

    def _vip_import_slice(self, deadline, commit):
        rows = self.payload["rows"]
        advisors = self.payload["advisors"]
        started = time.monotonic()
        units = 0
        last = None
        while self.cursor < len(rows) and self._vip_lock():
            chunk = rows[self.cursor:self.cursor + self._vip_chunk_size(deadline, self.batch_size or 1000, last)]
            chunk_started = time.monotonic()
            with self.env.cr.savepoint():
                partners = self._vip_import_rows([adoption.import_row_from_json(row) for row in chunk], advisors)
                self.write({
                    "cursor": self.cursor + len(chunk),
                    "progress_done": self.cursor + len(chunk),
                    "members_count": self.members_count + len(partners),
                    "member_ids": [fields.Command.link(partner.id) for partner in partners],
                })
            self._vip_measure(len(chunk), time.monotonic() - chunk_started)
            units += len(chunk)
            last = len(chunk)
            self._vip_commit(commit)
            if deadline is not None and time.monotonic() >= deadline:
                break
        if units:
            self._vip_append_log(_("%(done)s/%(total)s rows imported (%(seconds).1f s)", done=self.cursor,
                                   total=len(rows), seconds=time.monotonic() - started))
        if self.cursor >= len(rows) and self.state == "running":
            self._vip_finish("done", _("%(members)s members imported from %(file)s.",
                                       members=self.members_count, file=self.file_name))
        return units

    def _vip_import_rows(self, parsed, advisors):
        company = self.company_id
        today = self.company_id._vip_today()
        partner_model = self.env["res.partner"].with_company(company)
        levels = {lvl.code: lvl for lvl in self.env["vip.level"].search([("company_id", "=", company.id)])}
        specs = {s.id: s for s in self.env["vip.level"]._specs_for_company(company)}
        rule = self.env["vip.points.rule"]._for_company(company)
        phones = [row.phone for row in parsed]
        customers = partner_model.search([("vip_state", "=", "none"), ("phone", "!=", False)]) if phones else []
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
                    valid_until=level_engine.validity_from(spec, today) if spec else None,
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
