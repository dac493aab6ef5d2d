import logging
import secrets

from markupsafe import Markup
from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..engine import reach as reach_engine

_logger = logging.getLogger(__name__)

# No 0/O or 1/I: the code is typed at the till from a text message.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class VipVoucher(models.Model):
    """A year-end cash voucher: points converted on 1 December, used once at
    the till until 15 January. Its face value is a liability until it is used or expires."""

    _name = "vip.voucher"
    _description = "VIP Year-end Voucher"
    _order = "date_issued desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Code", required=True, readonly=True, copy=False, index=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one("res.partner", string="Member", required=True, index=True, readonly=True,
                                 ondelete="restrict")
    amount = fields.Monetary(string="Face Value", required=True, readonly=True, aggregator="sum")
    year = fields.Integer(required=True, readonly=True, aggregator=None)
    date_issued = fields.Date(required=True, readonly=True)
    valid_until = fields.Date(required=True, readonly=True, index=True)
    state = fields.Selection(
        [("open", "Outstanding"), ("used", "Used"), ("expired", "Expired")],
        required=True, default="open", readonly=True, index=True,
    )
    points_entry_id = fields.Many2one("vip.points.entry", string="Conversion Entry", readonly=True,
                                      ondelete="restrict")
    pos_order_id = fields.Many2one("pos.order", string="Used On", readonly=True, ondelete="restrict",
                                   index="btree_not_null")
    date_used = fields.Datetime(readonly=True)

    _sql_constraints = [
        ("code_uniq", "unique(name)", "A voucher code is unique."),
        ("amount_positive", "CHECK(amount > 0)", "A voucher's face value must be positive."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        # Checked before the row is written, so the user reads why (not a database error).
        for vals in vals_list:
            if (vals.get("amount") or 0) <= 0:
                raise ValidationError(self.env._(
                    "A voucher's face value must be positive, not %(amount)s.", amount=vals.get("amount") or 0))
        return super().create(vals_list)

    @api.model
    def _vip_new_code(self):
        return "V" + "".join(secrets.choice(CODE_ALPHABET) for _i in range(9))

    # -- conversion (1 December) -------------------------------------------------------------

    @api.model
    def _cron_daily(self, today=None):
        """Expire past vouchers; on (or after) the conversion date, convert each company's points."""
        for company in self.env["res.company"].sudo().search([]):
            day = today or company._vip_today()
            self.sudo().with_company(company)._vip_expire(day, company)
            program = self.env["vip.program"].sudo()._get_for_company(company)
            settings = program._vip_voucher_settings()
            conversion = reach_engine.conversion_date(settings, day.year)
            if program.voucher_enabled and conversion <= day < reach_engine.valid_until(settings, conversion):
                self.sudo().with_company(company)._vip_convert(company, day.year, day)

    @api.model
    def _vip_expire(self, today, company):
        expired = self.search([("company_id", "=", company.id), ("state", "=", "open"), ("valid_until", "<", today)])
        expired.write({"state": "expired"})
        return expired

    @api.model
    def _vip_convert(self, company, year, today, batch_size=500):
        """Convert the members' points of ``company`` into vouchers for ``year``; a second run for
        the same year finds every member converted and changes nothing. Returns the vouchers."""
        program = self.env["vip.program"].sudo()._get_for_company(company)
        settings = program._vip_voucher_settings()
        on_date = reach_engine.conversion_date(settings, year)
        until = reach_engine.valid_until(settings, on_date)
        threshold = settings.points_per_unit * settings.min_face
        self.env["res.partner"].flush_model()
        self.env.cr.execute(
            """
            SELECT p.id FROM res_partner p JOIN vip_level l ON l.id = p.vip_level_id
             WHERE l.company_id = %(company)s AND p.active AND p.vip_state IN ('active', 'lapsed')
               AND p.vip_points_balance >= %(threshold)s
               AND NOT EXISTS (SELECT 1 FROM vip_points_entry e WHERE e.partner_id = p.id
                                  AND e.company_id = %(company)s AND e.entry_type = 'voucher'
                                  AND e.date = %(date)s)
             ORDER BY p.id
            """,
            {"company": company.id, "threshold": threshold, "date": on_date},
        )
        ids = [r[0] for r in self.env.cr.fetchall()]
        vouchers = self.browse()
        for start in range(0, len(ids), batch_size):
            for partner in self.env["res.partner"].browse(ids[start:start + batch_size]):
                vouchers |= self._vip_convert_member(partner, company, settings, on_date, until, today)
            done = min(start + batch_size, len(ids))
            _logger.info("vip: year-end vouchers %s/%s members of %s", done, len(ids), company.name)
            self.env["res.partner"]._vip_commit_batch(done=done, remaining=len(ids) - done)
        return vouchers

    def _vip_convert_member(self, partner, company, settings, on_date, until, today):
        entry_model = self.env["vip.points.entry"]
        entry_model._vip_lock_partners(partner.ids)
        partner.invalidate_recordset(["vip_points_balance"])
        # Re-checked under the member's lock: a parallel run may have converted them.
        self.env.cr.execute(
            "SELECT 1 FROM vip_points_entry WHERE partner_id = %s AND company_id = %s AND entry_type = 'voucher'"
            " AND date = %s",
            [partner.id, company.id, on_date],
        )
        if self.env.cr.fetchone():
            return self.browse()
        conversion = reach_engine.convert(partner.vip_points_balance, settings)
        if not conversion.faces:
            return self.browse()
        entry = entry_model._vip_post(locked=True, vals_list=[{
            "partner_id": partner.id,
            "company_id": company.id,
            "date": on_date,
            "points": -conversion.points,
            "entry_type": "voucher",
            "rule_description": self.env._(
                "%(points)s pts converted into %(count)s year-end vouchers worth %(amount)s",
                points=conversion.points, count=len(conversion.faces), amount=sum(conversion.faces),
            ),
        }])
        vouchers = self.sudo().create([
            {
                "name": self._vip_new_code(), "company_id": company.id, "partner_id": partner.id,
                "amount": face, "year": on_date.year, "date_issued": on_date, "valid_until": until,
                "points_entry_id": entry.id,
            }
            for face in conversion.faces
        ])
        lines = Markup("").join(
            Markup("<li>%s</li>") % self.env._(
                "%(code)s: %(amount)s", code=v.name, amount=v.currency_id.format(v.amount)) for v in vouchers
        )
        body = Markup("<p>%s</p><ul>%s</ul>") % (
            self.env._(
                "Your %(points)s points became year-end vouchers, valid until %(date)s. Show a code at the till.",
                points=conversion.points, date=until,
            ),
            lines,
        )
        partner._vip_reach("voucher", f"voucher{on_date.year}", self.env._("Your year-end vouchers"), body,
                           company=company, today=today)
        return vouchers

    # -- at the till --------------------------------------------------------------------------

    @api.model
    def _vip_check_use(self, code, company, on_date, order=None):
        """The open voucher ``code`` of ``company`` on ``on_date``, locked; a clear error otherwise.

        ``order``: the order being synced again (a retry), which may already hold the voucher."""
        code = (code or "").strip().upper()
        voucher = self.sudo().search([("name", "=", code)], limit=1) if code else self.sudo()
        if not voucher:
            raise UserError(self.env._("No voucher has the code %(code)s.", code=code or "—"))
        self.env.cr.execute("SELECT id FROM vip_voucher WHERE id = %s FOR NO KEY UPDATE", [voucher.id])
        voucher.invalidate_recordset(["state", "pos_order_id"])
        if voucher.company_id != company:
            raise UserError(self.env._(
                "Voucher %(code)s belongs to %(company)s and cannot be used here.",
                code=code, company=voucher.company_id.name,
            ))
        if voucher.state == "used" and not (order and voucher.pos_order_id == order):
            raise UserError(self.env._(
                "Voucher %(code)s was already used on %(date)s.",
                code=code, date=fields.Date.to_string(voucher.date_used.date()) if voucher.date_used else "—",
            ))
        if voucher.state == "expired" or voucher.valid_until < on_date:
            raise UserError(self.env._(
                "Voucher %(code)s expired on %(date)s.", code=code, date=voucher.valid_until,
            ))
        return voucher

    @api.model
    def vip_pos_check(self, code, config_id):
        """What the till shows for a typed or scanned code: value and product, or the refusal."""
        config = self.env["res.partner"]._vip_pos_config(config_id)
        company = config.sudo().company_id or self.env.company
        try:
            voucher = self._vip_check_use(code, company, company._vip_today(config or None))
        except UserError as e:
            return {"ok": False, "message": e.args[0]}
        program = self.env["vip.program"].sudo()._get_for_company(company)
        if not program.voucher_product_id:
            return {"ok": False, "message": self.env._("No voucher product is set on the programme.")}
        return {
            "ok": True,
            "code": voucher.name,
            "amount": voucher.amount,
            "valid_until": fields.Date.to_string(voucher.valid_until),
            "product_id": program.voucher_product_id.id,
            "label": self.env._("Year-end voucher %(code)s", code=voucher.name),
        }
