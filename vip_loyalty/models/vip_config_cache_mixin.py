from odoo import api, models


class VipConfigCacheMixin(models.AbstractModel):
    """Configuration read on every paid POS order is cached; any change clears the cache.

    ``registry.clear_cache()`` also tells the other workers, so a manager's edit applies to
    the next order everywhere.
    """

    _name = "vip.config.cache.mixin"
    _description = "VIP configuration cache"

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
