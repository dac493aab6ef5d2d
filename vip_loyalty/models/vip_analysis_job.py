from odoo import _, fields, models


class VipAnalysisJob(models.AbstractModel):
    """Monthly analysis step of ``vip.job``: one month of one company, in one step
    (a few grouped queries; the README's benchmark month takes well under the limit)."""

    _name = "vip.analysis.job"
    _description = "VIP job steps: monthly analysis"

    def _vip_analysis_slice(self, deadline, commit):
        self._vip_lock()
        with self.env.cr.savepoint():
            rows = self.env["vip.analysis.snapshot"]._vip_compute_month(self.month, self.company_id)
            self.write({"progress_done": 1, "progress_total": 1,
                        "snapshot_ids": [fields.Command.set(rows.ids)]})
        self._vip_finish("done", _("%(rows)s analysis rows computed for %(month)s.",
                                   rows=len(rows), month=self.month.strftime("%Y-%m")))
        return 1
