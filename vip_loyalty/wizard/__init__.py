from . import vip_points_adjust
from . import vip_level_change
from . import vip_points_export
