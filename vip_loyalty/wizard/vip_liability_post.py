from odoo import fields, models

from ..engine import liability as liability_engine


class VipLiabilityPost(models.TransientModel):
    """Post the month-end points liability entry of one month by hand."""

    _name = "vip.liability.post"
    _description = "Post VIP Points Liability"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    month = fields.Date(
        required=True, default=lambda self: liability_engine.add_months(fields.Date.context_today(self), -1),
        help="Any day of the month to post; earlier months not yet posted are posted first.",
    )

    def action_post(self):
        self.ensure_one()
        program = self.env["vip.program"].sudo()._get_for_company(self.company_id).sudo(False)
        move = program._vip_post_liability(self.month)
        if not move:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "info",
                    "message": self.env._("%(month)s moved no points: nothing was posted.",
                                          month=self.month.strftime("%Y-%m")),
                    "next": {"type": "ir.actions.act_window_close"},
                },
            }
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": move.id,
            "view_mode": "form",
            "target": "current",
        }
