"""Customer segmentation: ABC classes, RFM scores, purchase types, lifecycle stages.

Plain Python, no Odoo import, no I/O. The nightly cron reads one ``MemberStats`` per
member with set-based SQL, calls these functions, and writes what changed.
"""

import math
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from dateutil.relativedelta import relativedelta

# The same few cut-off dates are asked for every member of a nightly run.


@lru_cache(maxsize=512)
def _months_before(day: date, months: int) -> date:
    # Asked for every member of a night: the same few dates.
    return day - relativedelta(months=months)

ABC_ORDER = ("A", "B", "C")
LIFECYCLE_STAGES = ("new", "active", "silent", "sleeping", "lost")
PURCHASE_TYPES = ("new_arrival", "promotion", "bulk", "frequent", "single_item", "high_price", "style")


@dataclass(frozen=True)
class SegmentParams:
    """The programme's numbers (their defaults live in data, not here)."""

    abc_a_points: int = 50
    abc_a_purchases: int = 5          # strictly more than this many purchases ...
    abc_a_months: int = 2             # ... within this many months gives A
    abc_drop_months: int = 6          # no visit for this long drops one class
    new_days: int = 30
    silent_months: int = 3
    sleeping_months: int = 6
    lost_months: int = 12
    types_min_purchases: int = 3
    new_arrival_days: int = 30
    new_arrival_share: float = 0.5
    promotion_share: float = 0.5
    bulk_units: float = 3.0
    frequent_gap_days: float = 30.0
    high_price_quantile: float = 0.8
    style_share: float = 0.6
    rfm_months: int = 12


@dataclass(frozen=True, slots=True)
class MemberStats:
    """One member's purchase figures as of the reference date."""

    partner_id: int
    order_count: int = 0                 # paid sales (refunds excluded)
    first_date: date | None = None
    last_date: date | None = None
    recent_count: int = 0                # sales within abc_a_months
    points: int = 0
    enrol_date: date | None = None
    units: float = 0.0                   # units over all sales
    lines: int = 0
    discounted_lines: int = 0
    new_arrival_lines: int = 0
    single_unit_orders: int = 0
    avg_unit_price: float = 0.0
    top_category_id: int | None = None
    top_category_share: float = 0.0
    rfm_count: int = 0                   # sales within rfm_months
    rfm_amount: float = 0.0              # net spend within rfm_months
    recent_first_date: date | None = None  # earliest sale within abc_a_months


def abc_class(stats: MemberStats, today: date, params: SegmentParams) -> str | None:
    """A, B or C, or None for a member who never bought and has few points.

    A: ≥ ``abc_a_points`` points, or more than ``abc_a_purchases`` purchases in the last
    ``abc_a_months`` months. B: bought more than once. C: bought once. No visit in
    ``abc_drop_months`` months drops one class (A→B, B→C; C stays C).
    """
    if stats.points >= params.abc_a_points or stats.recent_count > params.abc_a_purchases:
        klass = "A"
    elif stats.order_count > 1:
        klass = "B"
    elif stats.order_count == 1:
        klass = "C"
    else:
        return None
    dropped = params.abc_drop_months > 0 and stats.last_date
    if dropped and stats.last_date <= _months_before(today, params.abc_drop_months):
        klass = drop_class(klass)
    return klass


def drop_class(klass: str) -> str:
    index = ABC_ORDER.index(klass)
    return ABC_ORDER[min(index + 1, len(ABC_ORDER) - 1)]


def lifecycle_stage(stats: MemberStats, today: date, params: SegmentParams) -> str:
    """new / active / silent / sleeping / lost from the last visit (or enrolment)."""
    start = stats.first_date or stats.enrol_date
    last = stats.last_date or stats.enrol_date
    if last is None:
        return "new"
    if params.lost_months > 0 and last <= _months_before(today, params.lost_months):
        return "lost"
    if params.sleeping_months > 0 and last <= _months_before(today, params.sleeping_months):
        return "sleeping"
    if params.silent_months > 0 and last <= _months_before(today, params.silent_months):
        return "silent"
    if start and (today - start).days < params.new_days:
        return "new"
    return "active"


def average_gap_days(stats: MemberStats) -> float | None:
    if stats.order_count < 2 or not stats.first_date or not stats.last_date:
        return None
    return (stats.last_date - stats.first_date).days / (stats.order_count - 1)


def quantile(values, q: float) -> float | None:
    """The value at quantile ``q`` (0..1) by the nearest-rank method; None when empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    q = min(max(q, 0.0), 1.0)
    rank = max(1, math.ceil(q * len(ordered) - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def purchase_types(stats: MemberStats, params: SegmentParams, high_price_threshold: float | None) -> set[str]:
    """The member's purchase types, once they have ``types_min_purchases`` purchases."""
    if stats.order_count < params.types_min_purchases or stats.lines <= 0:
        return set()
    types = set()
    if stats.new_arrival_lines / stats.lines >= params.new_arrival_share:
        types.add("new_arrival")
    if stats.discounted_lines / stats.lines >= params.promotion_share:
        types.add("promotion")
    units_per_order = stats.units / stats.order_count
    if units_per_order >= params.bulk_units:
        types.add("bulk")
    if stats.single_unit_orders == stats.order_count:
        types.add("single_item")
    gap = average_gap_days(stats)
    if gap is not None and gap <= params.frequent_gap_days:
        types.add("frequent")
    if high_price_threshold is not None and stats.avg_unit_price > 0 and stats.avg_unit_price >= high_price_threshold:
        types.add("high_price")
    if stats.top_category_id and stats.top_category_share >= params.style_share:
        types.add("style")
    return types


def quintile_from_rank(first_rank: int, count: int) -> int:
    """1..5 from a 0-based rank (worst first, ties take their first rank) among ``count``.

    SQL gives the same rank as ``rank() OVER (ORDER BY worst first) - 1``.
    """
    if count <= 0:
        return 1
    return 1 + (5 * min(max(first_rank, 0), count - 1)) // count


def rfm_code(scores) -> str:
    """The usual three-digit RFM cell, e.g. (5, 4, 3) -> "543"."""
    return "".join(str(s) for s in scores)


# -- incremental segmentation ------------------------------------------------------------
# ABC class, lifecycle stage and purchase types change only when a member's inputs change
# (a sale, a return, a points movement) or when a time threshold passes. The nightly job
# recomputes a member when ``needs_recompute`` says so; the property test in
# tests/test_engine_segments.py proves it gives the full recomputation's result every night.


def months_reached(day: date, months: int) -> date:
    """The first date T with ``T - relativedelta(months=months) >= day``: when ``day`` is ``months`` old."""
    candidate = day + relativedelta(months=months)
    while candidate - relativedelta(months=months) < day:
        candidate = date.fromordinal(candidate.toordinal() + 1)
    return candidate


def segment_due_date(stats: MemberStats, today: date, params: SegmentParams) -> date | None:
    """The first night after ``today`` on which the class or the stage may change with no new
    input (a sale leaving the A window, the ABC drop, silent, sleeping, lost, end of "new")."""
    candidates = []
    if params.abc_a_months > 0 and stats.recent_first_date:
        candidates.append(months_reached(stats.recent_first_date, params.abc_a_months))
    if params.abc_drop_months > 0 and stats.last_date:
        candidates.append(months_reached(stats.last_date, params.abc_drop_months))
    last = stats.last_date or stats.enrol_date
    if last is not None:
        for months in (params.silent_months, params.sleeping_months, params.lost_months):
            if months > 0:
                candidates.append(months_reached(last, months))
        start = stats.first_date or stats.enrol_date
        if start:
            candidates.append(date.fromordinal(start.toordinal() + max(params.new_days, 0)))
    future = [d for d in candidates if d > today]
    return min(future) if future else None


def needs_recompute(segmented: bool, due: date | None, inputs_changed: bool, today: date) -> bool:
    """Whether tonight's incremental segmentation must recompute a member."""
    return not segmented or inputs_changed or (due is not None and due <= today)
