from odoo import api, fields, models

from ..engine import analysis as analysis_engine


class VipTeamSnapshot(models.Model):
    """A staff team's month: new members against its target, and its registration rate."""

    _name = "vip.team.snapshot"
    _description = "VIP Staff Team Monthly Figures"
    _order = "month desc, company_id, team_id"

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    month = fields.Date(required=True, index=True, readonly=True)
    team_id = fields.Many2one("vip.staff.team", required=True, readonly=True, ondelete="cascade")
    new_member_count = fields.Integer(string="New Members", readonly=True)
    new_member_target = fields.Integer(readonly=True)
    new_member_target_rate = fields.Float(string="Target Reached", readonly=True, aggregator="avg")
    new_customer_count = fields.Integer(string="New Purchasing Customers", readonly=True)
    new_customer_registered = fields.Integer(string="New Customers Registered", readonly=True)
    registration_rate = fields.Float(readonly=True, aggregator="avg")

    @api.model
    def _vip_compute(self, month, company, rows):
        """The teams' rows of ``month`` from the staff rows of the snapshot (``rows``)."""
        self.sudo().search([("company_id", "=", company.id), ("month", "=", month)]).unlink()
        staff_rows = rows.filtered(lambda r: r.row_type == "advisor")
        vals_list = []
        for team in self.env["vip.staff.team"].sudo().search([("company_id", "=", company.id)]):
            mine = staff_rows.filtered(
                lambda r, team=team: r.advisor_id in team.user_ids and (not team.shop_id or r.shop_id == team.shop_id))
            new_members = sum(mine.mapped("new_member_count"))
            faces = sum(mine.mapped("new_customer_count"))
            registered = sum(mine.mapped("new_customer_registered"))
            target = team._target_for(month)
            vals_list.append({
                "company_id": company.id, "month": month, "team_id": team.id,
                "new_member_count": new_members, "new_member_target": target,
                "new_member_target_rate": analysis_engine.ratio(new_members, target),
                "new_customer_count": faces, "new_customer_registered": registered,
                "registration_rate": analysis_engine.ratio(registered, faces),
            })
        return self.sudo().create(vals_list)
