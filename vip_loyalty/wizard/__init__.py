from . import (
    vip_advisor_reassign,
    vip_analysis_month,
    vip_card_replace,
    vip_complaint_compensate,
    vip_history_rebuild,
    vip_level_change,
    vip_liability_post,
    vip_liability_report,
    vip_member_import,
    vip_member_merge,
    vip_points_adjust,
)
