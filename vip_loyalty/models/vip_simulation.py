import base64

from dateutil.relativedelta import relativedelta
from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..engine import simulation as simulation_engine

LEVEL_COPY = (
    "name", "code", "sequence", "min_single_purchase", "min_cumulative_spend", "qualify_window", "min_points",
    "retention_annual_spend", "validity_months", "is_permanent", "discount_percent", "birthday_discount_percent",
    "member_day_discount_percent", "points_multiplier",
)
BONUS_COPY = (
    "name", "sequence", "kind", "condition", "multiplier", "flat_points", "weekday", "month_from", "month_to",
    "date_from", "date_to", "min_order_points",
)
RULE_COPY = (
    "amount_per_point", "points_per_step", "discounted_lines_earn", "deep_discount_threshold",
    "deep_discount_factor", "expiry_policy", "expiry_months", "ladder_first_points", "ladder_first_cap",
    "ladder_step_points", "ladder_step_cap", "cash_points_block", "cash_block_value",
)
PROGRAM_COPY = ("auto_enrol", "decay_months", "lost_months", "evaluation_mode", "refund_level_policy")
FIGURES = ("members", "orders", "issued", "reversed", "redeemed", "expired", "outstanding", "cash_value")


def _default_date_from(record):
    return fields.Date.context_today(record) - relativedelta(months=12)


class VipSimulation(models.Model):
    """A what-if scenario: a draft of the programme, replayed on a period's real orders.

    It is copied from the company's live programme when created; the manager changes
    what they want (levels, the points rule, bonuses, the redemption ladder), simulates
    (a background ``vip.job`` that replays every member of the period twice, under the
    scenario and under the live programme, and writes only the result tables), compares
    the results and may apply the scenario to the live programme from a date.
    """

    _name = "vip.simulation"
    _inherit = ["mail.thread"]
    _description = "VIP What-if Scenario"
    _order = "id desc"

    name = fields.Char(required=True, tracking=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company,
                                 readonly=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    state = fields.Selection(
        [("draft", "Draft"), ("running", "Running"), ("done", "Simulated"), ("applied", "Applied")],
        default="draft", required=True, readonly=True, tracking=True, copy=False,
    )
    date_from = fields.Date(string="Period from", required=True, default=_default_date_from, tracking=True)
    date_to = fields.Date(string="Period to", required=True, default=fields.Date.context_today, tracking=True)
    shop_ids = fields.Many2many("pos.config", string="Shops", help="Only the orders of these shops; empty for all.")
    # The programme under test.
    level_ids = fields.One2many("vip.simulation.level", "simulation_id", string="Levels", copy=True)
    bonus_ids = fields.One2many("vip.simulation.bonus", "simulation_id", string="Bonuses", copy=True)
    amount_per_point = fields.Monetary(string="Amount per step")
    points_per_step = fields.Integer(string="Points per step")
    discounted_lines_earn = fields.Boolean(string="Discounted items earn")
    deep_discount_threshold = fields.Float(string="Deep discount above (%)")
    deep_discount_factor = fields.Float(string="Deep discount earning factor")
    excluded_categ_ids = fields.Many2many("product.category", "vip_simulation_excluded_categ_rel",
                                          string="Excluded product categories")
    excluded_product_ids = fields.Many2many("product.product", "vip_simulation_excluded_product_rel",
                                            string="Excluded products")
    expiry_policy = fields.Selection(
        [("calendar_year", "Reset on 1 January"), ("rolling_months", "After a number of months"),
         ("never", "Never")],
        required=True, default="calendar_year",
    )
    expiry_months = fields.Integer()
    ladder_first_points = fields.Integer(string="Points for the first gift")
    ladder_first_cap = fields.Monetary(string="First gift price cap")
    ladder_step_points = fields.Integer(string="Further points per step")
    ladder_step_cap = fields.Monetary(string="Cap added per step")
    cash_points_block = fields.Integer(string="Points per cash block", default=100)
    cash_block_value = fields.Monetary(string="Cash value per block")
    auto_enrol = fields.Boolean(string="Enrol buyers automatically")
    decay_months = fields.Integer()
    lost_months = fields.Integer()
    evaluation_mode = fields.Selection(
        [("continuous", "Continuous (upgrade at once, nightly downgrade)"),
         ("semiannual", "June and December re-evaluation")],
        required=True, default="continuous",
    )
    refund_level_policy = fields.Selection(
        [("keep", "Keep the level until the period ends"), ("reevaluate", "Re-evaluate the level at once")],
        required=True, default="keep",
    )
    # Results.
    job_id = fields.Many2one("vip.job", string="Job", readonly=True, copy=False)
    job_state = fields.Selection(related="job_id.state", string="Job state")
    progress = fields.Float(related="job_id.progress")
    simulated_on = fields.Datetime(readonly=True, copy=False)
    result_level_ids = fields.One2many("vip.simulation.result.level", "simulation_id", readonly=True)
    result_month_ids = fields.One2many("vip.simulation.result.month", "simulation_id", readonly=True)
    result_member_ids = fields.One2many("vip.simulation.result.member", "simulation_id", readonly=True)
    live_members = fields.Integer(string="Members (live)", readonly=True, copy=False)
    scenario_members = fields.Integer(string="Members (scenario)", readonly=True, copy=False)
    live_orders = fields.Integer(string="Orders replayed", readonly=True, copy=False)
    scenario_orders = fields.Integer(string="Orders replayed (scenario)", readonly=True, copy=False)
    live_issued = fields.Integer(string="Points issued (live)", readonly=True, copy=False)
    scenario_issued = fields.Integer(string="Points issued (scenario)", readonly=True, copy=False)
    live_reversed = fields.Integer(string="Points reversed (live)", readonly=True, copy=False)
    scenario_reversed = fields.Integer(string="Points reversed (scenario)", readonly=True, copy=False)
    live_redeemed = fields.Integer(string="Points redeemed (live)", readonly=True, copy=False)
    scenario_redeemed = fields.Integer(string="Points redeemed (scenario)", readonly=True, copy=False)
    live_expired = fields.Integer(string="Points expired (live)", readonly=True, copy=False)
    scenario_expired = fields.Integer(string="Points expired (scenario)", readonly=True, copy=False)
    live_outstanding = fields.Integer(string="Points outstanding (live)", readonly=True, copy=False)
    scenario_outstanding = fields.Integer(string="Points outstanding (scenario)", readonly=True, copy=False)
    live_cash_value = fields.Monetary(string="Cash value outstanding (live)", readonly=True, copy=False)
    scenario_cash_value = fields.Monetary(string="Cash value outstanding (scenario)", readonly=True, copy=False)
    live_discount = fields.Monetary(string="Member discounts (live)", readonly=True, copy=False)
    scenario_discount = fields.Monetary(string="Member discounts (scenario)", readonly=True, copy=False)
    # Apply.
    apply_date = fields.Date(string="Apply from", default=fields.Date.context_today, copy=False,
                             help="The day the scenario becomes the live programme: a history rebuild replays "
                                  "the days before it with the programme that held then.")
    version_id = fields.Many2one("vip.program.version", string="Programme version", readonly=True, copy=False)
    results_html = fields.Html(string="Results", compute="_compute_results_html", sanitize=False)
    file_data = fields.Binary(readonly=True, attachment=False, copy=False)
    file_name = fields.Char(readonly=True, copy=False)

    @api.model_create_multi
    def create(self, vals_list):
        simulations = super().create(vals_list)
        for simulation, vals in zip(simulations, vals_list, strict=True):
            if not vals.get("level_ids"):
                simulation._vip_load_live()
        return simulations

    @api.depends("simulated_on", "result_level_ids")
    def _compute_results_html(self):
        for simulation in self:
            simulation.results_html = simulation.simulated_on and self.env["ir.qweb"]._render(
                "vip_loyalty.vip_simulation_results", {"doc": simulation._vip_report_data()})

    # -- the programme ---------------------------------------------------------------

    def _vip_load_live(self):
        """Copy the company's live programme into the scenario."""
        self.ensure_one()
        company = self.company_id
        levels = self.env["vip.level"].sudo().search([("company_id", "=", company.id)])
        bonuses = self.env["vip.points.bonus"].sudo().search([("company_id", "=", company.id),
                                                              ("condition", "!=", "first_n_of_day")])
        rule = self.env["vip.points.rule"]._for_company(company)
        program = self.env["vip.program"].sudo()._get_for_company(company)
        vals = {f: program[f] for f in PROGRAM_COPY}
        if rule:
            vals.update({f: rule[f] for f in RULE_COPY})
            vals["excluded_categ_ids"] = [fields.Command.set(rule.excluded_categ_ids.ids)]
            vals["excluded_product_ids"] = [fields.Command.set(rule.excluded_product_ids.ids)]
        vals["level_ids"] = [fields.Command.clear()] + [
            fields.Command.create(dict({f: level[f] for f in LEVEL_COPY}, source_level_id=level.id))
            for level in levels
        ]
        vals["bonus_ids"] = [fields.Command.clear()] + [
            fields.Command.create(dict({f: bonus[f] for f in BONUS_COPY}, source_bonus_id=bonus.id))
            for bonus in bonuses
        ]
        self.write(vals)

    @api.model
    def _vip_excluded_products(self, products, categories):
        """Every product the exclusions cover, sub-categories included (what a rule checks per line)."""
        if not categories:
            return sorted(products.ids)
        found = self.env["product.product"].sudo().with_context(active_test=False).search(
            ["|", ("id", "in", products.ids), ("categ_id", "child_of", categories.ids)])
        return sorted(found.ids)

    def _vip_snapshot(self):
        """The scenario as a programme snapshot (``engine.simulation``)."""
        self.ensure_one()
        return {
            "levels": [dict({f: level[f] for f in LEVEL_COPY}, id=level._vip_engine_id()) for level in self.level_ids],
            "rule": dict({f: self[f] for f in RULE_COPY}, excluded_product_ids=self._vip_excluded_products(
                self.excluded_product_ids, self.excluded_categ_ids)),
            "bonuses": [
                dict({f: bonus[f] for f in BONUS_COPY}, id=-bonus.id, first_n=0,
                     weekday=int(bonus.weekday) if bonus.weekday else None,
                     month_from=bonus.month_from or None, month_to=bonus.month_to or None,
                     date_from=bonus.date_from and bonus.date_from.isoformat() or None,
                     date_to=bonus.date_to and bonus.date_to.isoformat() or None)
                for bonus in self.bonus_ids
            ],
            "policy": {f: self[f] for f in ("decay_months", "lost_months", "evaluation_mode")},
            "auto_enrol": self.auto_enrol,
            "refund_reevaluate": self.refund_level_policy == "reevaluate",
        }

    @api.model
    def _vip_live_snapshot(self, company):
        """The company's live programme as a snapshot (kept on a programme version)."""
        levels = self.env["vip.level"].sudo().search([("company_id", "=", company.id)])
        bonuses = self.env["vip.points.bonus"].sudo().search([("company_id", "=", company.id)])
        rule = self.env["vip.points.rule"]._for_company(company)
        program = self.env["vip.program"].sudo()._get_for_company(company)
        return {
            "levels": [dict({f: level[f] for f in LEVEL_COPY}, id=level.id) for level in levels],
            "rule": rule and dict({f: rule[f] for f in RULE_COPY}, excluded_product_ids=self._vip_excluded_products(
                rule.excluded_product_ids, rule.excluded_categ_ids)) or None,
            "bonuses": [
                dict({f: bonus[f] for f in BONUS_COPY}, id=bonus.id, first_n=bonus.first_n,
                     weekday=int(bonus.weekday) if bonus.weekday else None,
                     month_from=bonus.month_from or None, month_to=bonus.month_to or None,
                     date_from=bonus.date_from and bonus.date_from.isoformat() or None,
                     date_to=bonus.date_to and bonus.date_to.isoformat() or None)
                for bonus in bonuses
            ],
            "policy": {f: program[f] for f in ("decay_months", "lost_months", "evaluation_mode")},
            "auto_enrol": program.auto_enrol,
            "refund_reevaluate": program.refund_level_policy == "reevaluate",
        }

    def _vip_check(self):
        """Refuse an unusable scenario before anything is written."""
        for simulation in self:
            errors = simulation_engine.validate(
                simulation._vip_snapshot(), simulation.date_from, simulation.date_to,
                simulation.company_id._vip_today())
            if errors:
                raise ValidationError(_("The scenario %(name)s cannot be used:\n%(errors)s",
                                        name=simulation.name, errors="\n".join(errors)))

    # -- simulate --------------------------------------------------------------------

    def action_simulate(self):
        self.ensure_one()
        if self.state == "applied" or (self.state == "running" and self.job_id.state in ("queued", "running")):
            raise UserError(_("A running or applied scenario cannot be simulated again; duplicate it."))
        self._vip_check()
        self.env.flush_all()  # a failed job drops what is not written yet
        job = self.env["vip.job"]._vip_queue({
            "kind": "simulation",
            "company_id": self.company_id.id,
            "date_from": self.date_from,
            "simulation_id": self.id,
            "batch_size": self.env["vip.program"].sudo()._get_for_company(self.company_id).cron_batch_size or 1000,
        })
        self.write({"job_id": job.id, "state": "running"})
        if job.sudo()._vip_simulation_order_count() > job._vip_inline_limit(self.company_id):
            return job._vip_start_background()
        job._vip_run_now()
        return True

    def _vip_write_results(self, aggregate):
        """Replace the results with ``aggregate`` (an ``engine.simulation.Aggregate``); the job calls it."""
        self.ensure_one()
        self.result_level_ids.unlink()
        self.result_month_ids.unlink()
        self.result_member_ids.unlink()
        scenario_levels = {level._vip_engine_id(): level for level in self.level_ids}
        live_levels = self.env["vip.level"].sudo().with_context(active_test=False).search(
            [("company_id", "=", self.company_id.id)])
        ordered = live_levels.sorted(lambda lvl: (lvl.sequence, lvl.id))
        live_rank = {level.id: rank for rank, level in enumerate(ordered, 1)}
        scenario_rank = {key: rank for rank, key in enumerate(
            sorted(scenario_levels, key=lambda k: (scenario_levels[k].sequence, k)), 1)}
        level_rows = []
        for key, count in aggregate.matrix.items():
            live, scenario = (int(x) for x in key.split("|"))
            ranks = (live_rank.get(live, 0), scenario_rank.get(scenario, 0))
            level_rows.append({
                "simulation_id": self.id, "live_level_id": live or False,
                "scenario_level_id": scenario_levels[scenario].id if scenario in scenario_levels else False,
                "live_rank": ranks[0], "scenario_rank": ranks[1], "member_count": count,
                "move": "same" if ranks[0] == ranks[1] else ("up" if ranks[1] > ranks[0] else "down"),
            })
        month_rows = []
        for key, (live, scenario, sales) in aggregate.months.items():
            month, shop = key.split("|")
            month_rows.append({
                "simulation_id": self.id, "month": month, "shop_id": int(shop) or False, "sales": sales,
                "live_discount": live, "scenario_discount": scenario, "difference": round(scenario - live, 2),
            })
        member_rows = [{
            "simulation_id": self.id, "sequence": sequence, "partner_id": partner_id,
            "live_level_id": live or False,
            "scenario_level_id": scenario_levels[scenario].id if scenario in scenario_levels else False,
            "live_points": live_points, "scenario_points": scenario_points,
            "points_change": scenario_points - live_points,
        } for sequence, (partner_id, live, scenario, live_points, scenario_points)
            in enumerate(aggregate.most_affected(), 1)]
        self.env["vip.simulation.result.level"].create(level_rows)
        self.env["vip.simulation.result.month"].create(month_rows)
        self.env["vip.simulation.result.member"].create(member_rows)
        vals = {"state": "done", "simulated_on": fields.Datetime.now(),
                "live_discount": round(sum(r["live_discount"] for r in month_rows), 2),
                "scenario_discount": round(sum(r["scenario_discount"] for r in month_rows), 2)}
        for side in aggregate.SIDES:
            for figure in FIGURES:
                vals[f"{side}_{figure}"] = aggregate.figures[side].get(figure, 0)
        self.write(vals)

    # -- apply -----------------------------------------------------------------------

    def action_apply(self):
        """Make the scenario the live programme from ``apply_date``; the past stays as it is."""
        self.ensure_one()
        if self.state == "applied":
            raise UserError(_("This scenario is already applied."))
        if not self.apply_date:
            raise UserError(_("Choose the date from which the scenario applies."))
        if self.apply_date > self.company_id._vip_today():
            raise UserError(_("A scenario applies from today or an earlier day, not from a future one."))
        self._vip_check()
        company = self.company_id
        before = self._vip_live_snapshot(company)
        levels = self.env["vip.level"].with_context(vip_level_check_later=True)
        for level in self.level_ids:
            vals = {f: level[f] for f in LEVEL_COPY}
            if level.source_level_id:
                level.source_level_id.write(dict(vals, active=True))
            else:
                level.source_level_id = levels.create(dict(vals, company_id=company.id))
        kept = self.level_ids.source_level_id
        (levels.search([("company_id", "=", company.id)]) - kept).write({"active": False})
        levels.with_context(vip_level_check_later=False).browse(kept.ids)._check_level_table()
        bonuses = self.env["vip.points.bonus"]
        for bonus in self.bonus_ids:
            vals = {f: bonus[f] for f in BONUS_COPY}
            if bonus.source_bonus_id:
                bonus.source_bonus_id.write(dict(vals, active=True))
            else:
                bonus.source_bonus_id = bonuses.create(dict(vals, company_id=company.id))
        (bonuses.search([("company_id", "=", company.id), ("condition", "!=", "first_n_of_day")])
         - self.bonus_ids.source_bonus_id).write({"active": False})
        rule = self.env["vip.points.rule"]._for_company(company)
        if rule:
            rule.sudo(False).write(dict(
                {f: self[f] for f in RULE_COPY},
                excluded_categ_ids=[fields.Command.set(self.excluded_categ_ids.ids)],
                excluded_product_ids=[fields.Command.set(self.excluded_product_ids.ids)],
            ))
        program = self.env["vip.program"]._get_for_company(company)
        program.sudo(False).write({f: self[f] for f in PROGRAM_COPY})
        after = self._vip_live_snapshot(company)
        summary = "\n".join(simulation_engine.describe_changes(before, after)) or _("No change.")
        version = self.env["vip.program.version"].sudo().create({
            "name": _("%(scenario)s from %(date)s", scenario=self.name, date=self.apply_date),
            "company_id": company.id, "date_from": self.apply_date, "user_id": self.env.uid,
            "simulation_id": self.id, "summary": summary, "snapshot": after, "snapshot_before": before,
        })
        self.write({"state": "applied", "version_id": version.id})
        self.message_post(body=_("Applied to the live programme from %(date)s by %(user)s:\n%(summary)s",
                                 date=self.apply_date, user=self.env.user.name, summary=summary))
        return True

    # -- views and exports -------------------------------------------------------------

    def _vip_report_data(self):
        """The results as plain lists, shared by the PDF and the XLSX workbook."""
        self.ensure_one()
        if self.state not in ("done", "applied") or not self.simulated_on:
            raise UserError(_("Simulate the scenario first."))
        levels = self.result_level_ids
        live_names = sorted({(r.live_rank, r.live_level_id.name or _("No level")) for r in levels})
        scenario_names = sorted({(r.scenario_rank, r.scenario_level_id.name or _("No level")) for r in levels})
        cells = {((r.live_rank, r.live_level_id.name or _("No level")),
                  (r.scenario_rank, r.scenario_level_id.name or _("No level"))): r.member_count for r in levels}
        matrix = [(name, [cells.get((row, col), 0) for col in scenario_names],
                   sum(cells.get((row, col), 0) for col in scenario_names))
                  for row in live_names for name in [row[1]]]
        labels = [
            (_("Members"), "members", "int"), (_("Orders replayed"), "orders", "int"),
            (_("Points issued"), "issued", "int"), (_("Points reversed by returns"), "reversed", "int"),
            (_("Points redeemed"), "redeemed", "int"), (_("Points expired"), "expired", "int"),
            (_("Points outstanding at the end"), "outstanding", "int"),
            (_("Cash value of the outstanding points"), "cash_value", "money"),
            (_("Member discounts"), "discount", "money"),
        ]
        figures = [(label, kind, self[f"live_{key}"], self[f"scenario_{key}"]) for label, key, kind in labels]
        return {
            "simulation": self,
            "columns": [name for _rank, name in scenario_names],
            "column_totals": [sum(cells.get((row, col), 0) for row in live_names) for col in scenario_names],
            "matrix": matrix,
            "figures": figures,
            "months": [{"month": r.month, "shop": r.shop_id.name or _("No shop"), "sales": r.sales,
                        "live": r.live_discount, "scenario": r.scenario_discount, "difference": r.difference}
                       for r in self.result_month_ids],
            "members": [{"name": r.partner_id.display_name, "live_level": r.live_level_id.name or "",
                         "scenario_level": r.scenario_level_id.name or "", "live_points": r.live_points,
                         "scenario_points": r.scenario_points} for r in self.result_member_ids],
        }

    def action_print_pdf(self):
        self.ensure_one()
        self._vip_report_data()
        return self.env.ref("vip_loyalty.action_report_vip_simulation").report_action(self)

    def action_export_xlsx(self):
        self.ensure_one()
        data = self._vip_report_data()
        self.write({
            "file_data": base64.b64encode(self.env["report.vip_loyalty.report_vip_simulation"]._vip_workbook(data)),
            "file_name": f"vip_whatif_{self.id}_{self.date_from:%Y%m%d}_{self.date_to:%Y%m%d}.xlsx",
        })
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/vip.simulation/{self.id}/file_data/{self.file_name}?download=true",
            "target": "self",
        }

    def _vip_results_action(self, model, name, view_mode):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": view_mode,
            "domain": [("simulation_id", "=", self.id)],
            "context": {"default_simulation_id": self.id},
        }

    def action_view_matrix(self):
        return self._vip_results_action("vip.simulation.result.level", _("Level moves"), "pivot,graph,list")

    def action_view_months(self):
        return self._vip_results_action("vip.simulation.result.month", _("Member discounts"), "pivot,graph,list")
