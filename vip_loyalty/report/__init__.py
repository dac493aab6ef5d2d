from . import vip_analysis_report, vip_liability_report, vip_simulation_report
