"""The steps of a paid order and of a night, each written once.

A live sale (``pos.order._vip_process_paid``), the nightly cron (``vip.points.entry`` and
``res.partner``) and the history rebuild (``adoption.replay_member`` in memory, the live
code for the members it cannot compute alone) all call these functions, so the three can
only differ in how they read and write, never in what they decide.

Pure Python: no odoo import, no I/O. Texts are templates the caller translates.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from . import levels as level_engine
from . import points as points_engine

# Negative entries that may leave the balance short: a return takes back points already spent.
MAY_GO_NEGATIVE = ("reverse",)


@dataclass(frozen=True)
class Texts:
    """Descriptions written into the ledger and the level history (English source texts;
    ``vip_loyalty`` translates them in ``res.company._vip_rule_texts``)."""

    enrolment: str = "enrolment → %s"
    refund_level: str = "return re-evaluated: %s"
    reversal: str = "return of %(amount).2f of %(origin)s (%(total).2f): -%(points)s of %(earned)s pts"
    expiry: str = "pts earned %(date)s expired after %(expiry)s"
    redeem: str = "redeemed %s pts"
    # The level and points engines' templates (``PHRASES``), English -> translated.
    phrases: Mapping[str, str] = field(default_factory=dict)

    def tr(self, text: str) -> str:
        return self.phrases.get(text, text)


TEMPLATES = ("enrolment", "refund_level", "reversal", "expiry")
PHRASES = level_engine.PHRASES + points_engine.PHRASES


# --------------------------------------------------------------------------- paid order


def enrols(state: str, auto_enrol: bool, sells: bool) -> bool:
    """A customer becomes a member on a paid order that sells something."""
    return state in (None, False, "none") and auto_enrol and sells


def enrol_level(specs: Iterable[level_engine.LevelSpec]) -> level_engine.LevelSpec | None:
    """The level a new member enters: the lowest."""
    ordered = level_engine.sort_levels(specs)
    return ordered[0] if ordered else None


def enrolment(
    on_date: date,
    lowest: level_engine.LevelSpec | None,
    has_level: bool,
    advisor_id: int | None,
    cashier_id: int | None,
    user_id: int | None,
    texts: Texts,
) -> tuple[int | None, level_engine.Decision | None]:
    """(advisor, level decision) of an enrolment on ``on_date``.

    The member keeps an advisor already set; else the order's cashier, else whoever
    runs the step. A member without a level enters the lowest one.
    """
    advisor = advisor_id or cashier_id or user_id
    decision = None
    if lowest is not None and not has_level:
        decision = level_engine.Decision(
            level_id=lowest.id, reason="upgrade", rule_description=texts.enrolment % lowest.name,
            valid_until=None, level_since=on_date, state="active",
        )
    return advisor, decision


def level_multiplier(multipliers: Mapping[int, float], level_id: int | None) -> float:
    """The level's points multiplier; an unset one (0) earns like no multiplier (1)."""
    return multipliers.get(level_id) or 1.0


def earn(
    lines: Iterable[points_engine.EarnLine],
    rule: points_engine.EarnRule,
    bonuses: Sequence[points_engine.Bonus],
    on_date: date,
    birthday: date | None,
    rank_of_day: int | None,
    multiplier: float,
    texts: Texts,
) -> tuple[int, str, date | None]:
    """(points, description, lot expiry) earned by the sold lines of a paid order."""
    ctx = points_engine.EarnContext(
        order_date=on_date, birthday=birthday, member_rank_of_day=rank_of_day, level_multiplier=multiplier,
    )
    result = points_engine.compute_earn(list(lines), rule, bonuses, ctx, texts.tr)
    if result.points <= 0:
        return 0, result.description, None
    return result.points, result.description, points_engine.expiry_date(rule, on_date)


def needs_rank_of_day(bonuses: Iterable[points_engine.Bonus]) -> bool:
    """Whether earning needs the member's rank among the day's earners (first-N bonuses)."""
    return any(bonus.condition == "first_n_of_day" for bonus in bonuses)


def reversal(
    earned: int, origin_name: str, origin_total: float, refunded: float, already: int, texts: Texts,
) -> tuple[int, str]:
    """(points, description) to take back from an earn entry after a return.

    ``refunded`` is the magnitude of every return of the origin up to this one.
    """
    refunded = max(refunded, 0.0)
    points = points_engine.reversal_points(earned, origin_total, refunded, already)
    return points, texts.reversal % {
        "amount": refunded, "origin": origin_name, "total": origin_total, "points": points, "earned": earned,
    }


def after_order(
    specs: Sequence[level_engine.LevelSpec],
    member: level_engine.MemberState,
    purchases: Sequence[level_engine.Purchase],
    balance: int,
    on_date: date,
    order_amount: float,
    policy: level_engine.Policy,
    only_returns: bool,
    reevaluate: bool,
    texts: Texts,
) -> level_engine.Decision | None:
    """The level check after a paid order (``purchases`` include it): an upgrade or a
    renewal on a sale, the programme's return policy on an order of returns only."""
    if only_returns:
        return level_engine.evaluate_refund(
            specs, member, purchases, balance, on_date, reevaluate, texts.refund_level, texts.tr,
        )
    return level_engine.evaluate_order(specs, member, purchases, balance, on_date, order_amount, policy, texts.tr)


def purchase_figures(purchases: Iterable[level_engine.Purchase]) -> tuple[float, date | None, int]:
    """(lifetime spend, last purchase day, number of purchases); returns lower the spend only."""
    purchases = list(purchases)
    sales = [p for p in purchases if p.amount > 0]
    return sum(p.amount for p in purchases), max((p.date for p in sales), default=None), len(sales)


# --------------------------------------------------------------------------- ledger


def burn(lots: Iterable[points_engine.Lot], points: int, entry_type: str, first_lot_id: int | None = None):
    """(lot id, taken) pairs a negative entry of ``points`` consumes.

    First-expiring-first, the named lot (a reversal's earn) first; an expiry takes its own
    lot only. Raises ``InsufficientPoints`` when the lots cannot cover it, except for a
    reversal, which may leave the member short (the points were already spent).
    """
    ordered = points_engine.burn_order(lots)
    if entry_type == "expire":
        ordered = [lot for lot in ordered if lot.id == first_lot_id]
    else:
        ordered.sort(key=lambda lot: lot.id != first_lot_id)  # stable: the named lot first
    need = -points
    available = sum(lot.remaining for lot in ordered)
    if need > available and entry_type not in MAY_GO_NEGATIVE:
        raise points_engine.InsufficientPoints(f"Not enough points: {need} requested, {available} available.")
    taken, left = [], min(need, available)
    for lot in ordered:
        if left <= 0:
            break
        take = min(lot.remaining, left)
        taken.append((lot.id, take))
        left -= take
    return taken


# --------------------------------------------------------------------------- night


def expire(lots: Iterable[points_engine.Lot], day: date, texts: Texts) -> list[tuple[int, int, str]]:
    """(lot id, points, description) of the expiries the night of ``day`` posts, in lot order."""
    lots = list(lots)
    by_id = {lot.id: lot for lot in lots}
    return [
        (lot_id, -remaining,
         points_engine.expiry_description(texts.expiry, remaining, by_id[lot_id].date, by_id[lot_id].expiry_date))
        for lot_id, remaining in sorted(points_engine.expired_lots(lots, day))
    ]


def purchases_before(purchases: Sequence[level_engine.Purchase], day: date) -> Sequence[level_engine.Purchase]:
    """The purchases (sorted by day) a night of ``day`` sees when later ones are known: those before it."""
    days = [p.date for p in purchases]
    return purchases[: bisect.bisect_left(days, day)]


def review(
    specs: Sequence[level_engine.LevelSpec],
    member: level_engine.MemberState,
    last_purchase: date | None,
    purchases,
    balance: int,
    day: date,
    policy: level_engine.Policy,
    lowest_id: int | None,
    permanent: bool,
    texts: Texts,
) -> level_engine.Decision | None:
    """Tonight's level review of one member: validity, renewal, decay, lost, the half-year review.

    ``purchases`` is the member's purchases or a callable returning them, called only for
    a member a rule can move tonight (``levels.nightly_candidate``). ``lowest_id`` is the
    lowest level of ``specs``.
    """
    if not level_engine.nightly_candidate(member, last_purchase, day, policy, lowest_id, permanent):
        return None
    if callable(purchases):
        purchases = purchases()
    return level_engine.evaluate_nightly(specs, member, purchases, balance, day, policy, texts.tr)
