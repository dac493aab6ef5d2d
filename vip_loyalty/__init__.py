from . import models, report, wizard


def _vip_post_init(env):
    """Companies that existed before install get the programme's defaults like the main company."""
    env["vip.program"]._vip_setup_companies(env["res.company"].search([]))
