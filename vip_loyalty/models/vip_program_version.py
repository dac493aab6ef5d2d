import dataclasses

from odoo import api, fields, models

from ..engine import simulation as simulation_engine


class VipProgramVersion(models.Model):
    """A dated change of the live programme (a what-if scenario applied): who, what, when.

    ``snapshot_before`` is the programme that held until ``date_from``; a history rebuild
    from an earlier date replays those days with it (``_vip_timeline``).
    """

    _name = "vip.program.version"
    _inherit = ["mail.thread"]
    _description = "VIP Programme Version"
    _order = "company_id, date_from desc, id desc"

    name = fields.Char(required=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    date_from = fields.Date(string="In force from", required=True, readonly=True)
    user_id = fields.Many2one("res.users", string="Applied by", required=True, readonly=True)
    applied_on = fields.Datetime(readonly=True, default=fields.Datetime.now)
    simulation_id = fields.Many2one("vip.simulation", string="Scenario", readonly=True, ondelete="set null")
    summary = fields.Text(string="Changes", readonly=True)
    snapshot = fields.Json(readonly=True)
    snapshot_before = fields.Json(readonly=True)

    @api.model
    def _vip_timeline(self, company, config, date_from):
        """``config`` (the live programme) with the programmes in force before each change after ``date_from``."""
        versions = self.sudo().search([("company_id", "=", company.id), ("date_from", ">", date_from)],
                                      order="date_from, id")
        if not versions:
            return config
        earlier = tuple(
            (version.date_from, simulation_engine.snapshot_config(version.snapshot_before, config.texts))
            for version in versions
        )
        return dataclasses.replace(config, earlier=earlier)
