from . import (
    pos_order,
    res_partner,
    res_partner_segment,
    vip_analysis_snapshot,
    vip_level,
    vip_level_history,
    vip_points_bonus,
    vip_points_entry,
    vip_points_rule,
    vip_program,
    vip_program_segment,
    vip_purchase_type,
)
