from . import vip_analysis_report
