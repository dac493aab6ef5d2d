from . import vip_advisor_reassign, vip_level_change, vip_points_adjust, vip_points_export
