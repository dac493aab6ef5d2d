import pytz
from odoo import api, fields, models, tools

from ..engine import rulebook


class ResCompany(models.Model):
    _inherit = "res.company"

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        # A company created after install gets the programme's defaults, so its members earn.
        self.env["vip.program"]._vip_setup_companies(companies)
        return companies

    # -- one local day for everyone -------------------------------------------------------
    # The day an order, an expiry, a birthday or a deadline falls on is decided in the shop's
    # timezone, else the company's (its programme's), never in the timezone of whoever runs the code.

    def _vip_default_tz(self):
        """The timezone a new programme starts with: the company's address, else its working hours."""
        self.ensure_one()
        return self.partner_id.tz or self.resource_calendar_id.tz or "UTC"

    def _vip_tz(self, shop=None):
        """Timezone name deciding local days for this company, or for ``shop`` (a pos.config) of it."""
        self.ensure_one()
        if shop and shop.sudo().vip_tz:
            return shop.sudo().vip_tz
        program_model = self.env["vip.program"].sudo()
        program_id = program_model._vip_program_id(self.id)
        # Cached (read on every paid order). No programme yet (install, or just before a new
        # company gets one): the company's own zone.
        return (program_id and program_model._vip_cached_tz(program_id)) or self._vip_default_tz()

    def _vip_local_date(self, dt, shop=None):
        """Local date of ``dt`` (naive UTC, as Odoo stores datetimes) in the company's or shop's zone."""
        return pytz.utc.localize(dt).astimezone(pytz.timezone(self._vip_tz(shop))).date()

    def _vip_today(self, shop=None):
        """Today in the company's or shop's timezone."""
        return self._vip_local_date(fields.Datetime.now(), shop)

    @api.model
    def _vip_sql_order_tz(self, alias, shop_column="config_id"):
        """SQL timezone of each row ``alias`` (a pos_order, or any row with a shop column): its
        shop's, else the named parameter ``vip_tz`` (the company's, from ``_vip_tz()``), so SQL
        cuts days as ``_vip_local_date`` does."""
        return f"COALESCE((SELECT vip_tz FROM pos_config WHERE id = {alias}.{shop_column}), %(vip_tz)s)"

    @api.model
    def _vip_sql_local_day(self, alias, column="date_order", shop_column="config_id"):
        """SQL local date of the UTC timestamp ``alias.column``, in the row's shop's timezone."""
        tz = self._vip_sql_order_tz(alias, shop_column)
        return f"({alias}.{column} AT TIME ZONE 'UTC' AT TIME ZONE {tz})::date"

    # -- the history's texts ----------------------------------------------------------------

    def _vip_lang_env(self):
        """Environment in the company's language: the ledger and level history are written once,
        whoever triggers the step (a cashier, the cron, a manager's rebuild), and read by its staff."""
        self.ensure_one()
        return self.env(context=dict(self.env.context, lang=self.partner_id.sudo().lang or self.env.lang))

    def _vip_rule_texts(self):
        """The rulebook's description templates, translated in the company's language."""
        self.ensure_one()
        return self._vip_cached_rule_texts(self.partner_id.sudo().lang or self.env.lang or "en_US")

    @tools.ormcache("lang")
    def _vip_cached_rule_texts(self, lang):
        env = self.with_context(lang=lang).env
        default = rulebook.Texts()
        return rulebook.Texts(
            **{name: env._(getattr(default, name)) for name in rulebook.TEMPLATES},
            phrases={phrase: env._(phrase) for phrase in rulebook.PHRASES},
        )
