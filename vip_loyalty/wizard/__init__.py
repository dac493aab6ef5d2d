from . import vip_complaint_compensate, vip_level_change, vip_points_adjust, vip_points_export
