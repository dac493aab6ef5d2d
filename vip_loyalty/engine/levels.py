"""VIP level rules as plain Python.

No Odoo import and no I/O: the models build the dataclasses below from records,
call ``evaluate_order`` when an order is paid and ``evaluate_nightly`` from the
cron, then write the returned ``Decision`` (and a history row) back.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

WINDOWS = ("rolling_12m", "rolling_3m", "rolling_1m", "calendar_year", "quarter", "lifetime")
STATES = ("none", "active", "lapsed", "lost")
REASONS = ("upgrade", "downgrade", "renewal", "lapse", "lost")
EVALUATION_MODES = ("continuous", "semiannual")
# The semiannual review runs on these (month, day) dates.
SEMIANNUAL_DATES = ((6, 30), (12, 31))


@dataclass(frozen=True)
class LevelSpec:
    id: int
    code: str
    name: str
    sequence: int  # rank: higher sequence = higher level
    min_single_purchase: float = 0.0
    min_cumulative_spend: float = 0.0
    qualify_window: str = (
        "rolling_12m"  # rolling_12m | calendar_year | quarter | lifetime
    )
    min_points: int = 0
    retention_annual_spend: float = (
        0.0  # spend needed during validity to renew; 0 = free
    )
    validity_months: int = 0  # 0 = no expiry
    is_permanent: bool = False  # once reached, never drops
    year_end_next_year: bool = False  # calendar year: 31 December counts in the next year


@dataclass(frozen=True)
class Purchase:
    date: date
    amount: float  # signed: refunds are negative
    order_id: int = 0


@dataclass(frozen=True)
class MemberState:
    level_id: int | None
    level_since: date | None
    valid_until: date | None
    state: str = "active"  # none | active | lapsed | lost


@dataclass(frozen=True)
class Policy:
    decay_months: int = 6  # no purchase for this long -> drop one level (0 = off)
    lost_months: int = 12  # no purchase for this long -> state 'lost' (0 = off)
    evaluation_mode: str = "continuous"  # continuous | semiannual


@dataclass(frozen=True)
class Decision:
    level_id: int | None  # the new level (may equal current for renewal)
    reason: str  # upgrade | downgrade | renewal | lapse | lost
    rule_description: str  # human text shown in the level history
    valid_until: date | None
    level_since: date | None
    state: str  # resulting vip_state


# --------------------------------------------------------------------------- helpers


def _same(text: str) -> str:
    return text


# The texts of the level history, as templates: callers pass ``tr`` to translate them.
PHRASES = (
    "single purchase %(amount)s ≥ %(threshold)s → %(level)s",
    "cumulative spend (%(window)s) %(amount)s ≥ %(threshold)s → %(level)s",
    "points %(points)s ≥ %(threshold)s → %(level)s",
    "any purchase → %(level)s",
    "purchase reactivates membership",
    "no purchase since %(date)s: lost customer",
    "%(level)s no longer expires",
    "spend during validity %(spend)s ≥ %(need)s renews %(level)s until %(until)s",
    "spend during validity %(spend)s < %(need)s: %(level)s lapsed",
    "spend during validity %(spend)s < %(need)s: %(level)s → %(lower)s",
    "no purchase since %(date)s: %(level)s → %(lower)s",
    "no threshold met",
    "re-evaluation: %(why)s",
    "re-evaluation: %(why)s: %(level)s → %(target)s",
    "rolling 12 months",
    "rolling 3 months",
    "rolling 1 month",
    "calendar year",
    "quarter",
    "lifetime",
)
WINDOW_LABELS = {
    "rolling_12m": "rolling 12 months", "rolling_3m": "rolling 3 months", "rolling_1m": "rolling 1 month",
    "calendar_year": "calendar year", "quarter": "quarter", "lifetime": "lifetime",
}


def _money(x: float) -> str:
    return f"{x:,.2f}"


def _ge(a: float, b: float) -> bool:
    # Money is compared at cent precision so float sums such as 0.1 + 0.2 do not
    # miss a threshold by 1e-16.
    return round(a, 2) >= round(b, 2)


def _rank(ordered: Sequence[LevelSpec], level_id: int | None) -> int:
    """Index in ascending order; no level (or an unknown one) ranks lowest (-1)."""
    for i, lvl in enumerate(ordered):
        if lvl.id == level_id:
            return i
    return -1


def validity_from(level: LevelSpec, start: date) -> date | None:
    if level.validity_months > 0 and not level.is_permanent:
        return start + relativedelta(months=level.validity_months)
    return None


def _last_purchase(purchases: Iterable[Purchase], today: date) -> date | None:
    dates = [p.date for p in purchases if p.amount > 0 and p.date <= today]
    return max(dates) if dates else None


# --------------------------------------------------------------------------- levels


def sort_levels(levels: Iterable[LevelSpec]) -> list[LevelSpec]:
    """Ascending by (sequence, id): the last one is the top level."""
    return sorted(levels, key=lambda lvl: (lvl.sequence, lvl.id))


_THRESHOLDS = (
    ("min_single_purchase", "single purchase"),
    ("min_cumulative_spend", "cumulative spend"),
    ("min_points", "points"),
)
_NON_NEGATIVE = (
    "min_single_purchase",
    "min_cumulative_spend",
    "min_points",
    "retention_annual_spend",
    "validity_months",
)


def validate_levels(levels: Iterable[LevelSpec]) -> list[str]:
    """Human error messages for a level table; an empty list means it is usable."""
    ordered = sort_levels(levels)
    errors: list[str] = []
    seen: dict[str, LevelSpec] = {}
    for lvl in ordered:
        for field in _NON_NEGATIVE:
            value = getattr(lvl, field)
            if value < 0:
                errors.append(f"{lvl.name}: {field} must not be negative ({value}).")
        if lvl.qualify_window not in WINDOWS:
            errors.append(
                f"{lvl.name}: unknown qualify window {lvl.qualify_window!r} "
                f"(expected one of {', '.join(WINDOWS)})."
            )
        if lvl.code in seen:
            errors.append(
                f"{lvl.name}: code {lvl.code!r} is already used by {seen[lvl.code].name}."
            )
        else:
            seen[lvl.code] = lvl
    # Only thresholds set on both sides are compared: 0 means "not used".
    for i, low in enumerate(ordered):
        for high in ordered[i + 1 :]:
            for field, label in _THRESHOLDS:
                lo, hi = getattr(low, field), getattr(high, field)
                if lo > 0 and hi > 0 and hi < lo:
                    fmt = (lambda v: f"{int(v):,}") if field == "min_points" else _money
                    errors.append(
                        f"{high.name}: {label} threshold {fmt(hi)} is lower than "
                        f"{fmt(lo)} of the lower level {low.name}."
                    )
    return errors


ROLLING_MONTHS = {"rolling_12m": 12, "rolling_3m": 3, "rolling_1m": 1}


def window_start(window: str, on_date: date) -> date | None:
    """First day counted by a qualify window ending on ``on_date``; None = no limit."""
    if window in ROLLING_MONTHS:
        return on_date + relativedelta(months=-ROLLING_MONTHS[window]) + timedelta(days=1)
    if window == "calendar_year":
        return date(on_date.year, 1, 1)
    if window == "quarter":
        return date(on_date.year, 3 * ((on_date.month - 1) // 3) + 1, 1)
    if window == "lifetime":
        return None
    raise ValueError(f"unknown qualify window {window!r}")


def counted_date(day: date, window: str, year_end_next_year: bool = False) -> date:
    """The day a purchase counts on: with ``year_end_next_year`` (a pharmacy chain's rule),
    a purchase on 31 December counts in the next calendar year."""
    if year_end_next_year and window == "calendar_year" and (day.month, day.day) == (12, 31):
        return day + timedelta(days=1)
    return day


def _in_window(
    purchases: Iterable[Purchase], window: str, on_date: date, year_end_next_year: bool = False
) -> list[Purchase]:
    start = window_start(window, on_date)
    counted = ((p, counted_date(p.date, window, year_end_next_year)) for p in purchases)
    return [p for p, day in counted if (start is None or start <= day) and day <= on_date]


def qualifies(
    level: LevelSpec,
    purchases: Sequence[Purchase],
    points: int,
    on_date: date,
    single_amount: float | None = None,
    tr=_same,
) -> str | None:
    """Description of the first threshold met (single, cumulative, points), else None."""
    in_window = _in_window(purchases, level.qualify_window, on_date, level.year_end_next_year)
    if level.min_single_purchase > 0:
        if single_amount is not None:
            single = single_amount
        else:
            single = max((p.amount for p in in_window), default=None)
        if single is not None and _ge(single, level.min_single_purchase):
            return tr("single purchase %(amount)s ≥ %(threshold)s → %(level)s") % {
                "amount": _money(single), "threshold": _money(level.min_single_purchase), "level": level.name,
            }
    if level.min_cumulative_spend > 0:
        spend = sum(p.amount for p in in_window)
        if _ge(spend, level.min_cumulative_spend):
            return tr("cumulative spend (%(window)s) %(amount)s ≥ %(threshold)s → %(level)s") % {
                "window": tr(WINDOW_LABELS.get(level.qualify_window, level.qualify_window)),
                "amount": _money(spend), "threshold": _money(level.min_cumulative_spend), "level": level.name,
            }
    if level.min_points > 0 and points >= level.min_points:
        return tr("points %(points)s ≥ %(threshold)s → %(level)s") % {
            "points": f"{int(points):,}", "threshold": f"{int(level.min_points):,}", "level": level.name,
        }
    if (
        level.min_single_purchase <= 0
        and level.min_cumulative_spend <= 0
        and level.min_points <= 0
    ):
        # Entry level ("Member: any purchase").
        if any(p.amount > 0 and p.date <= on_date for p in purchases) or (
            single_amount is not None and single_amount > 0
        ):
            return tr("any purchase → %(level)s") % {"level": level.name}
    return None


def best_qualifying(
    levels: Iterable[LevelSpec],
    purchases: Sequence[Purchase],
    points: int,
    on_date: date,
    single_amount: float | None = None,
    tr=_same,
) -> tuple[LevelSpec, str] | None:
    """Highest level that qualifies, with the rule that fired."""
    for lvl in reversed(sort_levels(levels)):
        why = qualifies(lvl, purchases, points, on_date, single_amount, tr)
        if why is not None:
            return lvl, why
    return None


# --------------------------------------------------------------------------- on order


def evaluate_order(
    levels: Iterable[LevelSpec],
    member: MemberState,
    purchases: Sequence[Purchase],
    points: int,
    on_date: date,
    order_amount: float,
    policy: Policy,
    tr=_same,
) -> Decision | None:
    """Decision for a paid order (``purchases`` already include it). Never lowers."""
    ordered = sort_levels(levels)
    current_rank = _rank(ordered, member.level_id)
    no_level = member.level_id is None or member.state == "none"
    best = best_qualifying(ordered, purchases, points, on_date, single_amount=order_amount, tr=tr)
    if best is not None:
        target, why = best
        target_rank = _rank(ordered, target.id)
        is_top = target_rank == len(ordered) - 1
        # Semiannual: only the top level applies at once. A member with
        # no level still enters now, because the nightly run ignores level-less
        # members and would otherwise never give them one.
        allowed = policy.evaluation_mode != "semiannual" or is_top or no_level
        if target_rank > current_rank and allowed:
            return Decision(
                level_id=target.id,
                reason="upgrade",
                rule_description=why,
                valid_until=validity_from(target, on_date),
                level_since=on_date,
                state="active",
            )
    if (
        member.level_id is not None
        and member.state in ("lapsed", "lost")
        and order_amount > 0
    ):
        valid_until = member.valid_until
        current = ordered[current_rank] if current_rank >= 0 else None
        if current is not None and valid_until is not None and valid_until < on_date:
            valid_until = validity_from(current, on_date)
        return Decision(
            level_id=member.level_id,
            reason="renewal",
            rule_description=tr("purchase reactivates membership"),
            valid_until=valid_until,
            level_since=member.level_since,
            state="active",
        )
    return None


# --------------------------------------------------------------------------- nightly


def _nightly_step(
    ordered: list[LevelSpec],
    member: MemberState,
    purchases: Sequence[Purchase],
    points: int,
    today: date,
    policy: Policy,
    tr=_same,
) -> Decision | None:
    """First applicable nightly rule (order 2, 3, 5, 4, 6), or None."""
    # 1. Nothing to manage.
    if member.level_id is None or member.state == "none":
        return None
    rank = _rank(ordered, member.level_id)
    if rank < 0:
        return None  # level archived / not in this table: leave it to a human
    level = ordered[rank]
    lower = ordered[rank - 1] if rank > 0 else None
    last = _last_purchase(purchases, today)

    def lost_rule() -> Decision | None:
        ref = last if last is not None else member.level_since
        if (
            policy.lost_months > 0
            and member.state != "lost"
            and ref is not None
            and ref <= today + relativedelta(months=-policy.lost_months)
        ):
            return Decision(
                level_id=member.level_id,
                reason="lost",
                rule_description=tr("no purchase since %(date)s: lost customer") % {"date": ref.isoformat()},
                valid_until=member.valid_until,
                level_since=member.level_since,
                state="lost",
            )
        return None

    # 2. Permanent levels never move; they can still become lost customers.
    if level.is_permanent:
        return lost_rule()

    # 3. Validity ended: renew on spend during validity, else lapse one step.
    # A lowest level that already lapsed (or is lost) has nothing left to lose;
    # skipping it keeps the rule from firing every night.
    lowest_done = lower is None and member.state in ("lapsed", "lost")
    if (
        member.valid_until is not None
        and member.valid_until < today
        and not lowest_done
    ):
        months = level.validity_months
        if months <= 0:
            # Validity was switched off on the level after this member got a date.
            return Decision(
                level_id=level.id,
                reason="renewal",
                rule_description=tr("%(level)s no longer expires") % {"level": level.name},
                valid_until=None,
                level_since=member.level_since,
                state="active" if member.state == "lapsed" else member.state,
            )
        start = member.valid_until + relativedelta(months=-months)
        spend = sum(p.amount for p in purchases if start < p.date <= member.valid_until)
        need = level.retention_annual_spend
        if need <= 0 or _ge(spend, need):
            # Add whole periods from the old date (not step by step) so month-end
            # clamping does not drift 31 Jan -> 28 Feb -> 28 Mar.
            k = 1
            while member.valid_until + relativedelta(months=k * months) < today:
                k += 1
            new_until = member.valid_until + relativedelta(months=k * months)
            return Decision(
                level_id=level.id,
                reason="renewal",
                rule_description=tr(
                    "spend during validity %(spend)s ≥ %(need)s renews %(level)s until %(until)s"
                ) % {"spend": _money(spend), "need": _money(max(need, 0.0)), "level": level.name,
                     "until": new_until.isoformat()},
                valid_until=new_until,
                level_since=member.level_since,
                state="active" if member.state == "lapsed" else member.state,
            )
        if lower is None:
            # Expired date is kept so that a later purchase renews from that day.
            return Decision(
                level_id=level.id,
                reason="lapse",
                rule_description=tr("spend during validity %(spend)s < %(need)s: %(level)s lapsed") % {
                    "spend": _money(spend), "need": _money(need), "level": level.name,
                },
                valid_until=member.valid_until,
                level_since=member.level_since,
                state="lapsed",
            )
        return Decision(
            level_id=lower.id,
            reason="lapse",
            rule_description=tr("spend during validity %(spend)s < %(need)s: %(level)s → %(lower)s") % {
                "spend": _money(spend), "need": _money(need), "level": level.name, "lower": lower.name,
            },
            valid_until=validity_from(lower, today),
            level_since=today,
            state=member.state,
        )

    # 5. Lost, checked before decay: a lost member is not decayed as well.
    decision = lost_rule()
    if decision is not None:
        return decision

    # 4. Decay. level_since counts too, so after a drop (level_since = today) the
    # next drop needs another full decay period.
    if policy.decay_months > 0 and member.state != "lost" and lower is not None:
        ref = member.level_since if last is None else last
        if member.level_since is not None and ref is not None:
            ref = max(ref, member.level_since)
        if ref is not None and ref <= today + relativedelta(months=-policy.decay_months):
            since = last if last is not None else ref
            return Decision(
                level_id=lower.id,
                reason="downgrade",
                rule_description=tr("no purchase since %(date)s: %(level)s → %(lower)s") % {
                    "date": since.isoformat(), "level": level.name, "lower": lower.name,
                },
                valid_until=validity_from(lower, today),
                level_since=today,
                state=member.state,
            )

    # 6. Semiannual: full re-evaluation on 30 June and 31 December.
    if (
        policy.evaluation_mode == "semiannual"
        and (today.month, today.day) in SEMIANNUAL_DATES
    ):
        best = best_qualifying(ordered, purchases, points, today, tr=tr)
        target, why = best if best is not None else (ordered[0], tr("no threshold met"))
        target_rank = _rank(ordered, target.id)
        if target_rank > rank:
            return Decision(
                level_id=target.id,
                reason="upgrade",
                rule_description=tr("re-evaluation: %(why)s") % {"why": why},
                valid_until=validity_from(target, today),
                level_since=today,
                state="lost" if member.state == "lost" else "active",
            )
        # Benefits stay until the validity ends.
        validity_over = member.valid_until is None or member.valid_until < today
        if target_rank < rank and validity_over:
            return Decision(
                level_id=target.id,
                reason="downgrade",
                rule_description=tr("re-evaluation: %(why)s: %(level)s → %(target)s") % {
                    "why": why, "level": level.name, "target": target.name,
                },
                valid_until=validity_from(target, today),
                level_since=today,
                state=member.state,
            )
    return None


def evaluate_nightly(
    levels: Iterable[LevelSpec],
    member: MemberState,
    purchases: Sequence[Purchase],
    points: int,
    today: date,
    policy: Policy,
    tr=_same,
) -> Decision | None:
    """One Decision for tonight, or None.

    Rules run in the order 2, 3, 5, 4, 6. When one rule's result makes another
    apply the same night (say a renewal for a member who is also lost), the steps
    are chained and merged into one Decision. That is what makes the call
    idempotent: applying the result and calling again on the same day gives None.
    """
    ordered = sort_levels(levels)
    steps: list[Decision] = []
    state = member
    # Every rule disables itself once applied, so this ends after a few steps; the
    # bound only guards against a pathological level table.
    for _ in range(4 * len(ordered) + 8):
        step = _nightly_step(ordered, state, purchases, points, today, policy, tr)
        if step is None:
            break
        steps.append(step)
        state = apply(state, step)
    if not steps:
        return None
    if len(steps) == 1:
        return steps[0]
    return Decision(
        level_id=state.level_id,
        reason=_merged_reason(ordered, member, state, steps),
        rule_description="; ".join(s.rule_description for s in steps),
        valid_until=state.valid_until,
        level_since=state.level_since,
        state=state.state,
    )


def _merged_reason(
    ordered: list[LevelSpec],
    before: MemberState,
    after: MemberState,
    steps: list[Decision],
) -> str:
    old, new = _rank(ordered, before.level_id), _rank(ordered, after.level_id)
    if new > old:
        return "upgrade"
    if new < old:
        return next(s.reason for s in steps if s.reason in ("lapse", "downgrade"))
    if after.state == "lost" and before.state != "lost":
        return "lost"
    if after.state == "lapsed" and before.state != "lapsed":
        return "lapse"
    return "renewal"


@functools.lru_cache(maxsize=4096)
def _months_before(day: date, months: int) -> date:
    # A replay asks this for every member and every night: the same few hundred dates.
    return day + relativedelta(months=-months)


def nightly_candidate(
    member: MemberState,
    last_purchase: date | None,
    today: date,
    policy: Policy,
    lowest_id: int | None,
    permanent: bool,
) -> bool:
    """Whether a rule of ``evaluate_nightly`` can fire for this member tonight.

    The nightly cron reads only these members (the same test in SQL, in
    ``res.partner._vip_nightly_levels``); a history replay asks the same question
    day by day, so a member who already lapsed, decayed or was lost is left alone
    exactly as the cron leaves it alone.
    """
    if member.level_id is None or member.state == "none":
        return False
    if policy.evaluation_mode == "semiannual" and (today.month, today.day) in SEMIANNUAL_DATES:
        return True
    if member.state != "lost" and policy.lost_months > 0:
        ref = last_purchase or member.level_since
        if ref is not None and ref <= _months_before(today, policy.lost_months):
            return True
    if permanent:
        return False
    if member.valid_until is not None and member.valid_until < today and not (
        member.level_id == lowest_id and member.state in ("lapsed", "lost")
    ):
        return True
    if member.state != "lost" and member.level_id != lowest_id and policy.decay_months > 0:
        known = [d for d in (last_purchase, member.level_since) if d is not None]
        if known and max(known) <= _months_before(today, policy.decay_months):
            return True
    return False


def evaluate_refund(
    levels: Iterable[LevelSpec],
    member: MemberState,
    purchases: Sequence[Purchase],
    points: int,
    on_date: date,
    reevaluate: bool,
    label: str = "return re-evaluated: %s",
    tr=_same,
) -> Decision | None:
    """After a return: with the ``reevaluate`` policy, drop to the best level still earned.

    Never raises a level, never touches a permanent one; ``label`` (translated by the
    caller) gets the rule that still qualifies.
    """
    if not reevaluate or member.level_id is None:
        return None
    ordered = sort_levels(levels)
    current = next((lvl for lvl in ordered if lvl.id == member.level_id), None)
    best = best_qualifying(ordered, purchases, points, on_date, tr=tr)
    if not current or current.is_permanent or not best or best[0].sequence >= current.sequence:
        return None
    return Decision(
        level_id=best[0].id,
        reason="downgrade",
        rule_description=label % best[1],
        valid_until=validity_from(best[0], on_date),
        level_since=on_date,
        state="active",
    )


def apply(member: MemberState, decision: Decision) -> MemberState:
    """The member state after writing ``decision``."""
    return dataclasses.replace(
        member,
        level_id=decision.level_id,
        level_since=decision.level_since,
        valid_until=decision.valid_until,
        state=decision.state,
    )
