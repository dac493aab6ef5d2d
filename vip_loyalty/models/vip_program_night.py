from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class VipProgram(models.Model):
    """Settings of the nightly job in shards and of the RFM cadence (defaults in data)."""

    _inherit = "vip.program"  # pylint: disable=consider-merging-classes-inherited

    night_shard_size = fields.Integer(
        string="Members per night shard", default=5000,
        help="The nightly job is cut into shards of this many members; Odoo's cron workers, on one "
             "server or several, each take the next free shard. A shard is one transaction.")
    rfm_refresh_days = fields.Integer(
        string="Refresh RFM every (days)", default=7,
        help="RFM scores and the high-price threshold are relative to all members: a full segmentation "
             "recomputes them on this cadence, after the night's shards (0 = only on demand). Every "
             "other night recomputes only the members whose purchases, points or thresholds changed.")
    rfm_refreshed_on = fields.Date(string="RFM refreshed on", readonly=True, copy=False)
    rfm_refresh_requested = fields.Boolean(readonly=True, copy=False)
    segment_high_price_threshold = fields.Float(
        string="High-price threshold", readonly=True, copy=False,
        help="Average unit price from which a member is 'high price', from the last full segmentation.")

    @api.constrains("night_shard_size", "rfm_refresh_days")
    def _check_night_numbers(self):
        for program in self:
            if program.night_shard_size < 1 or program.rfm_refresh_days < 0:
                raise ValidationError(_("A night shard needs at least one member, and the RFM cadence "
                                        "cannot be negative."))

    def action_vip_refresh_rfm(self):
        """On demand: a full segmentation with RFM quintiles, run by the night's cron workers."""
        self.ensure_one()
        self.write({"rfm_refresh_requested": True})
        shards = self.env["vip.night.shard"].sudo()
        today = self.company_id._vip_today()
        last = shards.search([("company_id", "=", self.company_id.id), ("night", "=", today),
                              ("kind", "=", "final")], order="shard_no desc", limit=1)
        shards.create({"company_id": self.company_id.id, "night": today, "kind": "final",
                       "shard_no": (last.shard_no + 1) if last else 1})
        shards._vip_trigger_workers()
        return {
            "type": "ir.actions.client", "tag": "display_notification",
            "params": {"type": "info", "message": _("RFM scores will be refreshed by the nightly workers shortly.")},
        }
