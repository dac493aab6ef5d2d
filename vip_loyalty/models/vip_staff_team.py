from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..engine import analysis as analysis_engine


class VipStaffTeam(models.Model):
    """A staff group with its own new-member target (by default 30 a month, 20 in July–September)."""

    _name = "vip.staff.team"
    _description = "VIP Staff Team"
    _order = "company_id, name"
    _check_company_auto = True

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    shop_id = fields.Many2one(
        "pos.config", check_company=True,
        help="Count only the members enrolled and the sales rung up in this shop; empty: every shop.",
    )
    user_ids = fields.Many2many("res.users", string="Staff", required=True)
    new_member_target = fields.Integer(
        string="New members per month",
        default=lambda self: self.env["vip.program"]._get_for_company(self.env.company).new_member_target,
    )
    new_member_target_low = fields.Integer(
        string="New members in the low season",
        default=lambda self: self.env["vip.program"]._get_for_company(self.env.company).new_member_target_low,
        help="The target in the programme's low-season months (VIP › Configuration › Programme).",
    )

    _sql_constraints = [
        ("targets_positive", "CHECK(new_member_target >= 0 AND new_member_target_low >= 0)",
         "New-member targets cannot be negative."),
    ]

    @api.constrains("user_ids")
    def _check_user_ids(self):
        for team in self:
            if not team.user_ids:
                raise ValidationError(self.env._("The team %s needs at least one member of staff.", team.name))

    def _target_for(self, month):
        self.ensure_one()
        program = self.env["vip.program"]._get_for_company(self.company_id)
        return analysis_engine.new_member_target(
            month, self.new_member_target, self.new_member_target_low,
            analysis_engine.parse_months(program.new_member_low_months),
        )
