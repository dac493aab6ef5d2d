from odoo import api, fields, models
from odoo.exceptions import UserError

from ..engine import care as care_engine


class VipAdvisorReassign(models.TransientModel):
    """An advisor leaves: hand all their members (and open member activities) to others."""

    _name = "vip.advisor.reassign"
    _description = "Reassign a Departing Advisor's Members"

    from_user_id = fields.Many2one("res.users", string="Departing Advisor", required=True)
    to_user_ids = fields.Many2many(
        "res.users", string="Successors", required=True,
        help="Members are shared among the successors in turn.",
    )
    move_activities = fields.Boolean(string="Move open activities too", default=True)
    member_count = fields.Integer(compute="_compute_member_count")

    @api.depends("from_user_id")
    def _compute_member_count(self):
        for wizard in self:
            wizard.member_count = self.env["res.partner"].search_count(
                [("vip_advisor_id", "=", wizard.from_user_id.id)]
            ) if wizard.from_user_id else 0

    def action_reassign(self):
        self.ensure_one()
        successors = self.to_user_ids - self.from_user_id
        if not successors:
            raise UserError(self.env._("Choose at least one successor other than the departing advisor."))
        members = self.env["res.partner"].with_context(active_test=False).search(
            [("vip_advisor_id", "=", self.from_user_id.id)], order="id"
        )
        by_user = {}
        for index, partner in enumerate(members):
            by_user.setdefault(care_engine.pick_advisor(successors.ids, index), []).append(partner.id)
        partner_model = self.env["res.partner"]
        for user_id, ids in by_user.items():
            partner_model.browse(ids).write({"vip_advisor_id": user_id})
            if self.move_activities:
                self.env["mail.activity"].sudo().search([
                    ("res_model", "=", "res.partner"), ("res_id", "in", ids),
                    ("user_id", "=", self.from_user_id.id),
                ]).write({"user_id": user_id})
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": self.env._("%(count)s members reassigned.", count=len(members)),
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
