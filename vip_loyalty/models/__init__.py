from . import (
    pos_order,
    pos_order_line,
    product_template,
    res_partner,
    res_partner_pos,
    vip_config_cache_mixin,
    vip_level,
    vip_level_history,
    vip_points_bonus,
    vip_points_entry,
    vip_points_rule,
    vip_program,
)
