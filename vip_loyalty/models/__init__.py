from . import vip_program
from . import vip_level
from . import vip_level_history
from . import vip_points_rule
from . import vip_points_bonus
from . import vip_points_entry
from . import res_partner
from . import pos_order
