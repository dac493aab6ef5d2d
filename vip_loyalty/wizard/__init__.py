from . import vip_analysis_month, vip_level_change, vip_points_adjust, vip_points_export
