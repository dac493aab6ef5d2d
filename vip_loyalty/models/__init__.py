from . import (
    pos_order,
    res_partner,
    vip_config_cache_mixin,
    vip_level,
    vip_level_history,
    vip_points_bonus,
    vip_points_entry,
    vip_points_rule,
    vip_program,
)
