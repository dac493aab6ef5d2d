from odoo import api, models


class VipConfigCacheMixin(models.AbstractModel):
    """Configuration read on every paid POS order is cached; any change clears the cache.

    ``registry.clear_cache()`` also tells the other workers, so a manager's edit applies to
    the next order everywhere.
    """

    _name = "vip.config.cache.mixin"
    _inherit = ["mail.thread"]
    _description = "VIP configuration cache"

    def _track_get_fields(self):
        """Every setting a manager can edit is tracked in the chatter, with who changed it and when."""
        tracked = {
            name for name, field in self._fields.items()
            if field.store and not field.readonly and not field.automatic and name not in ("sequence", "active")
            and field.type not in ("one2many", "binary", "html", "text") and not name.startswith("message_")
        }
        return (super()._track_get_fields() or set()) | set(self.fields_get(tracked, attributes=()))

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()
