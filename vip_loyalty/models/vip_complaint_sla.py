from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..engine import complaints as complaint_engine

UNITS = [("hours", "Hours"), ("days", "Days"), ("working_days", "Working days")]


class VipComplaintSla(models.Model):
    """Response and resolution times per severity (by default 1 h / 24 h; 1 h / 7 working days)."""

    _name = "vip.complaint.sla"
    _description = "VIP Complaint SLA Policy"
    _order = "severity, company_id, id"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    severity = fields.Selection([("small", "Small"), ("large", "Large")], required=True)
    company_id = fields.Many2one("res.company", index=True, help="Empty: the policy of every company without its own.")
    response_time = fields.Float(required=True, help="Time to the first answer to the customer.")
    response_unit = fields.Selection(UNITS, required=True, default="hours")
    resolution_time = fields.Float(required=True, help="Time to resolve the complaint.")
    resolution_unit = fields.Selection(UNITS, required=True, default="hours",
                                       help="Working days follow the company's working calendar.")
    followup_days = fields.Integer(
        string="Follow-up after (days)", default=1,
        help="Days after closing when the follow-up and the satisfaction question go out.",
    )
    escalation_user_id = fields.Many2one(
        "res.users", string="Escalate to",
        help="Manager who receives escalations. Empty: the company's first VIP Manager.",
    )

    _sql_constraints = [
        (
            "times_positive",
            "CHECK(response_time > 0 AND resolution_time > 0 AND followup_days >= 0)",
            "SLA times must be positive.",
        ),
    ]

    @api.constrains("severity", "company_id", "active")
    def _check_one_per_severity(self):
        for sla in self.filtered("active"):
            if self.search_count([
                ("id", "!=", sla.id), ("severity", "=", sla.severity), ("company_id", "=", sla.company_id.id),
            ]):
                raise ValidationError(self.env._(
                    "There is already an active SLA policy for %(severity)s complaints here.",
                    severity=dict(self._fields["severity"]._description_selection(self.env))[sla.severity],
                ))

    @api.constrains("response_unit", "response_time", "resolution_unit", "resolution_time")
    def _check_working_days_whole(self):
        for sla in self:
            for unit, amount in ((sla.response_unit, sla.response_time), (sla.resolution_unit, sla.resolution_time)):
                if unit == "working_days" and amount != int(amount):
                    raise ValidationError(self.env._("Working days must be a whole number."))

    def _to_policy(self):
        self.ensure_one()
        return complaint_engine.SlaPolicy(
            id=self.id,
            severity=self.severity,
            response_time=self.response_time,
            response_unit=self.response_unit,
            resolution_time=self.resolution_time,
            resolution_unit=self.resolution_unit,
            company_id=self.company_id.id or 0,
            followup_days=self.followup_days,
        )

    @api.model
    def _vip_policy_for(self, severity, company):
        policies = self.sudo().search(["|", ("company_id", "=", False), ("company_id", "=", company.id)])
        chosen = complaint_engine.choose_policy([p._to_policy() for p in policies], severity, company.id)
        return self.browse(chosen.id) if chosen else self.browse()
