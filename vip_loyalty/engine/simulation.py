"""What-if simulation: a programme change replayed on past orders, next to the live programme.

Pure Python: no odoo import, no I/O. A programme is a *snapshot* (a JSON-able dict: the
levels, the points rule, the bonuses, the policy); ``snapshot_config`` turns it into the
``adoption.ReplayConfig`` the history rebuild replays with, so a scenario and a rebuild
after the same change run the very same engine. ``Aggregate`` sums the two replays of
every member (scenario and live) into the figures the managers compare; it is kept as
JSON on the background job between its slices.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import fields
from datetime import date

from . import levels as level_engine
from . import points as points_engine
from .adoption import ReplayConfig, ReplayMember, ReplayResult, ReplayTexts

LEVEL_FIELDS = (
    "min_single_purchase", "min_cumulative_spend", "qualify_window", "min_points",
    "retention_annual_spend", "validity_months", "is_permanent",
)
RULE_FIELDS = (
    "amount_per_point", "points_per_step", "deep_discount_threshold", "deep_discount_factor",
    "discounted_lines_earn", "expiry_policy", "expiry_months",
)
BONUS_FIELDS = frozenset(f.name for f in fields(points_engine.Bonus))
MOST_AFFECTED = 20


def _day(value):
    return date.fromisoformat(value) if isinstance(value, str) else value


def level_specs(snapshot: Mapping) -> list[level_engine.LevelSpec]:
    return [
        level_engine.LevelSpec(id=lvl["id"], code=lvl["code"], name=lvl["name"], sequence=lvl["sequence"],
                               **{f: lvl[f] for f in LEVEL_FIELDS})
        for lvl in snapshot["levels"]
    ]


def snapshot_config(snapshot: Mapping, texts: ReplayTexts | None = None) -> ReplayConfig:
    """The replay configuration of a programme snapshot (see ``vip.simulation._vip_snapshot``)."""
    specs = tuple(level_specs(snapshot))
    rule = snapshot.get("rule")
    policy = snapshot["policy"]
    ordered = level_engine.sort_levels(specs)
    return ReplayConfig(
        specs=specs,
        policy=level_engine.Policy(decay_months=policy["decay_months"], lost_months=policy["lost_months"],
                                   evaluation_mode=policy["evaluation_mode"]),
        rule=points_engine.EarnRule(**{f: rule[f] for f in RULE_FIELDS}) if rule else None,
        bonuses=tuple(
            points_engine.Bonus(**{key: _day(value) if key in ("date_from", "date_to") else value
                                   for key, value in bonus.items() if key in BONUS_FIELDS})
            for bonus in snapshot.get("bonuses", ())
        ),
        multipliers={lvl["id"]: lvl["points_multiplier"] for lvl in snapshot["levels"]},
        permanent_ids=frozenset(lvl["id"] for lvl in snapshot["levels"] if lvl["is_permanent"]),
        enrol_level=ordered[0] if ordered else None,
        auto_enrol=snapshot["auto_enrol"],
        refund_reevaluate=snapshot["refund_reevaluate"],
        texts=texts or ReplayTexts(),
        excluded_product_ids=frozenset(rule.get("excluded_product_ids", ())) if rule else None,
    )


def discount_percents(snapshot: Mapping) -> dict[int, float]:
    return {lvl["id"]: lvl["discount_percent"] for lvl in snapshot["levels"]}


def validate(snapshot: Mapping, date_from: date | None, date_to: date | None, today: date) -> list[str]:
    """Problems that make a scenario unusable; an empty list means it can be simulated or applied."""
    errors = list(level_engine.validate_levels(level_specs(snapshot)))
    ranks = {}
    for lvl in snapshot["levels"]:
        if lvl["sequence"] in ranks:
            errors.append(f"{lvl['name']}: same rank (sequence {lvl['sequence']}) as {ranks[lvl['sequence']]}.")
        ranks.setdefault(lvl["sequence"], lvl["name"])
        if lvl["discount_percent"] < 0 or lvl["discount_percent"] > 100:
            errors.append(f"{lvl['name']}: the discount must be between 0 and 100%.")
        if lvl["points_multiplier"] < 0:
            errors.append(f"{lvl['name']}: the points multiplier must not be negative.")
    if not snapshot["levels"]:
        errors.append("The scenario has no level.")
    rule = snapshot.get("rule")
    if rule:
        if rule["amount_per_point"] <= 0 or rule["points_per_step"] < 0:
            errors.append("The earn rate must be positive (amount per step above 0, points per step 0 or more).")
        if rule["deep_discount_threshold"] < 0 or rule["deep_discount_factor"] < 0:
            errors.append("The deep discount numbers must not be negative.")
        if rule["expiry_policy"] == "rolling_months" and rule["expiry_months"] <= 0:
            errors.append("Points that expire after months need a number of months.")
        if rule.get("cash_points_block", 1) <= 0 or rule.get("cash_block_value", 0) < 0:
            errors.append("The cash value of points needs a positive block of points and a value of 0 or more.")
    for bonus in snapshot.get("bonuses", ()):
        if bonus["multiplier"] < 0 or bonus["flat_points"] < 0:
            errors.append(f"{bonus['name']}: bonus numbers must not be negative.")
    if date_from and date_to and date_from > date_to:
        errors.append("The period ends before it starts.")
    if (date_from and date_from > today) or (date_to and date_to > today):
        errors.append("The period cannot be in the future: there are no orders to replay yet.")
    return errors


def order_discounts(member: ReplayMember, result: ReplayResult, percents: Mapping[int, float]):
    """(order, discount) for every replayed order: the level the member held when the order
    was paid, its discount rate on what the order sold (returned lines give nothing)."""
    for order in member.orders:
        if order.id not in result.order_levels:
            continue
        percent = percents.get(result.order_levels[order.id]) or 0.0
        sold = sum(line.amount for line in order.lines if not line.refunded_order_id and line.amount > 0)
        yield order, round(sold * percent / 100.0, 2) if percent else 0.0


def ledger_figures(result: ReplayResult) -> dict[str, int]:
    figures = {"issued": 0, "reversed": 0, "redeemed": 0, "expired": 0}
    names = {"earn": "issued", "reverse": "reversed", "redeem": "redeemed", "expire": "expired"}
    for entry in result.entries:
        key = names.get(entry.entry_type)
        if key:
            figures[key] += abs(entry.points)
    figures["outstanding"] = result.balance
    return figures


class Aggregate:
    """The scenario and live replays of every member, summed; JSON between job slices."""

    SIDES = ("live", "scenario")

    def __init__(self, data: Mapping | None = None):
        data = data or {}
        self.matrix: dict[str, int] = dict(data.get("matrix", {}))
        self.figures = {side: dict(data.get("figures", {}).get(side, {})) for side in self.SIDES}
        self.months: dict[str, list[float]] = {k: list(v) for k, v in data.get("months", {}).items()}
        self.affected: list[list] = [list(row) for row in data.get("affected", [])]

    def to_json(self) -> dict:
        return {"matrix": self.matrix, "figures": self.figures, "months": self.months, "affected": self.affected}

    def add(self, member: ReplayMember, results: Mapping[str, ReplayResult],
            percents: Mapping[str, Mapping[int, float]], cash: Mapping[str, tuple[int, float]],
            ranks: Mapping[str, Mapping[int, int]]):
        """One member's two replays (``results``, ``percents``... keyed by side)."""
        points = {}
        for index, side in enumerate(self.SIDES):
            result = results[side]
            figures = ledger_figures(result)
            figures["members"] = 1
            figures["orders"] = len(result.order_levels)
            block, value = cash[side]
            figures["cash_value"] = points_engine.cash_value(max(result.balance, 0), block, value) if block else 0.0
            for key, amount in figures.items():
                self.figures[side][key] = round(self.figures[side].get(key, 0) + amount, 2)
            points[side] = result.balance
            for order, discount in order_discounts(member, result, percents[side]):
                key = f"{order.day.replace(day=1).isoformat()}|{order.shop_id or 0}"
                row = self.months.setdefault(key, [0.0, 0.0, 0.0])
                row[index] = round(row[index] + discount, 2)
                if index == 0:
                    row[2] = round(row[2] + sum(line.amount for line in order.lines), 2)
        live, scenario = results["live"].state.level_id or 0, results["scenario"].state.level_id or 0
        key = f"{live}|{scenario}"
        self.matrix[key] = self.matrix.get(key, 0) + 1
        moved = 0 if live == scenario else abs(ranks["scenario"].get(scenario, 0) - ranks["live"].get(live, 0))
        row = [moved, abs(points["scenario"] - points["live"]), member.id, live, scenario,
               points["live"], points["scenario"]]
        if moved or row[1]:
            if len(self.affected) < MOST_AFFECTED:
                heapq.heappush(self.affected, row)
            else:
                heapq.heappushpop(self.affected, row)

    def most_affected(self):
        """(member id, live level, scenario level, live points, scenario points), largest change first."""
        return [tuple(row[2:]) for row in sorted(self.affected, key=lambda r: (-r[0], -r[1], r[2]))]


def ranks(config: ReplayConfig) -> dict[int, int]:
    """Level id -> rank from 1 (the lowest level); no level ranks 0."""
    return {spec.id: i + 1 for i, spec in enumerate(level_engine.sort_levels(config.specs))}



def describe_changes(before: Mapping, after: Mapping) -> list[str]:
    """One line per changed number or setting between two programme snapshots."""
    lines = []
    old_levels = {lvl["id"]: lvl for lvl in before["levels"]}
    new_levels = {lvl["id"]: lvl for lvl in after["levels"]}
    for level_id, lvl in new_levels.items():
        old = old_levels.get(level_id)
        if old is None:
            lines.append(f"+ level {lvl['name']}")
            continue
        lines.extend(f"{lvl['name']}: {key} {old[key]} → {value}"
                     for key, value in lvl.items() if key in old and old[key] != value)
    lines.extend(f"- level {lvl['name']}" for level_id, lvl in old_levels.items() if level_id not in new_levels)
    for section in ("rule", "policy"):
        old, new = before.get(section) or {}, after.get(section) or {}
        lines.extend(f"{key}: {old.get(key)} → {value}" for key, value in new.items() if old.get(key) != value)
    for key in ("auto_enrol", "refund_reevaluate"):
        if before.get(key) != after.get(key):
            lines.append(f"{key}: {before.get(key)} → {after.get(key)}")
    old_bonuses = {bonus["id"]: bonus for bonus in before.get("bonuses", ())}
    new_bonuses = {bonus["id"]: bonus for bonus in after.get("bonuses", ())}
    for bonus_id, bonus in new_bonuses.items():
        if bonus_id not in old_bonuses:
            lines.append(f"+ bonus {bonus['name']}")
        elif bonus != old_bonuses[bonus_id]:
            lines.append(f"bonus {bonus['name']} changed")
    lines.extend(f"- bonus {bonus['name']}" for bonus_id, bonus in old_bonuses.items() if bonus_id not in new_bonuses)
    return lines
