"""Which gifts are due for which member on which date. No odoo import, no I/O.

A gift rule fires on an *occasion* (a birthday, a dated holiday, an enrolment
anniversary, ...). The gift is planned ``lead_days`` before the occasion, is valid
``validity_days`` after it, and each member gets it at most once per *period*
(the quota): the period key is what the database constraint makes unique.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from .dates import in_year

OCCASIONS = ("birthday", "holiday", "level_upgrade", "anniversary", "points_redemption", "annual_top_spender")
# Occasions the daily cron plans from dates; the others are planned by events.
DATED_OCCASIONS = ("birthday", "holiday", "anniversary")
QUOTA_PERIODS = ("year", "month", "occasion")


@dataclass(frozen=True)
class GiftRule:
    id: int
    occasion: str
    level_ids: frozenset = field(default_factory=frozenset)  # empty: every level
    lead_days: int = 0
    validity_days: int = 30
    quota_period: str = "year"
    holiday_ids: frozenset = field(default_factory=frozenset)  # empty: every holiday


@dataclass(frozen=True)
class Holiday:
    id: int
    day: date


@dataclass(frozen=True)
class Member:
    id: int
    level_id: int | None = None
    birthday: date | None = None
    enrol_date: date | None = None


@dataclass(frozen=True)
class GiftDue:
    rule_id: int
    partner_id: int
    occasion: str
    occasion_date: date
    date_planned: date
    expiry_date: date
    period_key: str
    holiday_id: int | None = None





def next_anniversary(day: date, on_or_after: date) -> date:
    """The first recurrence of ``day``'s month/day on or after ``on_or_after``."""
    candidate = in_year(day, on_or_after.year)
    if candidate < on_or_after:
        candidate = in_year(day, on_or_after.year + 1)
    return candidate


def period_key(rule: GiftRule, occasion_date: date, holiday_id: int | None = None) -> str:
    """The quota period an occasion falls in; one gift per member, occasion and key."""
    if rule.quota_period == "month":
        key = f"{occasion_date.year}-{occasion_date.month:02d}"
    elif rule.quota_period == "occasion":
        key = occasion_date.isoformat()
    else:
        key = str(occasion_date.year)
    if rule.occasion == "holiday" and holiday_id is not None:
        key = f"{key}/h{holiday_id}"
    return key


def eligible(rule: GiftRule, member: Member) -> bool:
    return not rule.level_ids or member.level_id in rule.level_ids


def _due(rule, member, occasion_date, today, holiday_id=None):
    """A GiftDue when ``today`` lies between the planning day and the occasion."""
    planned = occasion_date - timedelta(days=max(rule.lead_days, 0))
    if not planned <= today <= occasion_date:
        return None
    return GiftDue(
        rule_id=rule.id,
        partner_id=member.id,
        occasion=rule.occasion,
        occasion_date=occasion_date,
        date_planned=planned,
        expiry_date=occasion_date + timedelta(days=max(rule.validity_days, 0)),
        period_key=period_key(rule, occasion_date, holiday_id),
        holiday_id=holiday_id,
    )


def gifts_due(rules, members, holidays, today: date) -> list[GiftDue]:
    """Every gift to plan on ``today``: the occasion is within the rule's lead days.

    A gift whose planning day was missed is still planned up to the occasion itself,
    so a night the cron did not run is caught up. The same member, occasion and
    period key appear at most once (the first matching rule wins, rules in order).
    """
    result = []
    seen = set()
    holidays = list(holidays)
    for member in members:
        for rule in rules:
            if rule.occasion not in DATED_OCCASIONS or not eligible(rule, member):
                continue
            found = []
            if rule.occasion == "birthday" and member.birthday:
                found.append(_due(rule, member, next_anniversary(member.birthday, today), today))
            elif rule.occasion == "anniversary" and member.enrol_date:
                occ = next_anniversary(member.enrol_date, today)
                if occ.year > member.enrol_date.year:
                    found.append(_due(rule, member, occ, today))
            elif rule.occasion == "holiday":
                for holiday in holidays:
                    if rule.holiday_ids and holiday.id not in rule.holiday_ids:
                        continue
                    found.append(_due(rule, member, holiday.day, today, holiday.id))
            for due in found:
                if due is None:
                    continue
                key = (due.partner_id, due.occasion, due.period_key)
                if key in seen:
                    continue
                seen.add(key)
                result.append(due)
    return result


def cost_violation(cost: float, cost_min: float, cost_max: float) -> str | None:
    """'min' or 'max' when a product's cost breaks the rule's floor or cap (0 = no bound)."""
    if cost_min and cost < cost_min:
        return "min"
    if cost_max and cost > cost_max:
        return "max"
    return None


@dataclass(frozen=True)
class Upgrade:
    partner_id: int
    to_level_id: int
    day: date


def upgrade_gifts_due(rules, upgrades, today: date) -> list[GiftDue]:
    """Level-upgrade gifts: planned on the upgrade day (caught up for ``lead_days`` after it).

    One gift per member and reached level per quota period; ``level_ids`` are the levels
    whose reaching earns the gift (empty: any upgrade).
    """
    result = []
    seen = set()
    for upgrade in upgrades:
        for rule in rules:
            if rule.occasion != "level_upgrade":
                continue
            if rule.level_ids and upgrade.to_level_id not in rule.level_ids:
                continue
            if not upgrade.day <= today <= upgrade.day + timedelta(days=max(rule.lead_days, 0)):
                continue
            key = f"{period_key(rule, upgrade.day)}/L{upgrade.to_level_id}"
            ident = (upgrade.partner_id, key)
            if ident in seen:
                continue
            seen.add(ident)
            result.append(GiftDue(
                rule_id=rule.id, partner_id=upgrade.partner_id, occasion="level_upgrade",
                occasion_date=upgrade.day, date_planned=today,
                expiry_date=upgrade.day + timedelta(days=max(rule.validity_days, 0)), period_key=key,
            ))
    return result


def top_spenders(spend_by_member, count: int) -> list[int]:
    """The ``count`` members with the highest positive spend (ties: lower id first)."""
    ranked = sorted(((-amount, mid) for mid, amount in spend_by_member if amount > 0))
    return [mid for _neg, mid in ranked[:max(count, 0)]]


def year_end_day(today: date) -> date:
    return date(today.year, 12, 31)


def top_spender_window(rule: GiftRule, today: date) -> bool:
    """The year-end gift is planned from ``lead_days`` before 31 December until that day."""
    end = year_end_day(today)
    return end - timedelta(days=max(rule.lead_days, 0)) <= today <= end
