"""Shards of the nightly job and incremental segmentation (engine/night.py, engine/segments.py)."""

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from vip_loyalty.engine import night
from vip_loyalty.engine import segments as seg


@given(st.lists(st.integers(1, 10_000), max_size=300), st.integers(1, 50))
def test_shards_cover_every_id_once(ids, size):
    shards = night.plan_shards(ids, size)
    assert shards[0][0] == 1 and shards[-1][1] == night.ID_MAX
    for (_lo, hi), (lo2, _hi2) in zip(shards, shards[1:], strict=False):
        assert lo2 == hi + 1
    for member in set(ids):
        assert sum(lo <= member <= hi for lo, hi in shards) == 1
    for lo, hi in shards:
        assert len({m for m in ids if lo <= m <= hi}) <= size


@given(st.dates(date(2020, 1, 1), date(2030, 12, 31)), st.integers(1, 24))
def test_months_reached_is_the_first_day_that_old(day, months):
    reached = seg.months_reached(day, months)
    assert reached - relativedelta(months=months) >= day
    assert reached - timedelta(days=1) - relativedelta(months=months) < day


START = date(2025, 1, 1)
PARAMS = seg.SegmentParams()
THRESHOLD = 60.0  # the high-price threshold, frozen between two full refreshes


def stats_as_of(member_id, enrol, orders, points_moves, today, params=PARAMS):
    """What the nightly SQL reads for one member on ``today`` (orders up to that day)."""
    paid = [o for o in orders if o[0] <= today]
    days = [o[0] for o in paid]
    recent_cut = today - relativedelta(months=params.abc_a_months)
    recent = [d for d in days if d > recent_cut]
    lines = sum(o[2] for o in paid)
    units = sum(o[3] for o in paid)
    amount = sum(o[1] for o in paid)
    return seg.MemberStats(
        partner_id=member_id, order_count=len(paid), first_date=min(days, default=None),
        last_date=max(days, default=None), recent_count=len(recent),
        recent_first_date=min(recent, default=None),
        points=sum(p for d, p in points_moves if d <= today), enrol_date=enrol,
        units=float(units), lines=lines, discounted_lines=sum(o[4] for o in paid),
        new_arrival_lines=0, single_unit_orders=sum(1 for o in paid if o[3] == 1),
        avg_unit_price=amount / units if units else 0.0,
    )


def classify(stats, today):
    return (seg.abc_class(stats, today, PARAMS), seg.lifecycle_stage(stats, today, PARAMS),
            frozenset(seg.purchase_types(stats, PARAMS, THRESHOLD)))


order_st = st.tuples(
    st.integers(0, 900), st.floats(1, 500), st.integers(1, 4), st.integers(1, 6), st.integers(0, 4),
).map(lambda t: (START + timedelta(days=t[0]), t[1], t[2], t[3], min(t[4], t[2])))


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, 300),
    st.lists(order_st, max_size=12),
    st.lists(st.tuples(st.integers(0, 900), st.integers(-80, 80)), max_size=6),
    st.lists(st.integers(1, 40), min_size=1, max_size=60),
)
def test_incremental_segmentation_equals_full_recomputation(enrol_day, orders, moves, gaps):
    """Every night (nights may be missed): recomputing only the members whose inputs changed
    since the last run or whose due date has come gives what recomputing everyone gives."""
    enrol = START + timedelta(days=enrol_day)
    moves = [(START + timedelta(days=d), p) for d, p in moves]
    changes = {o[0] for o in orders} | {d for d, _p in moves}
    kept, due, last_night = None, None, None
    today = enrol
    for gap in gaps:
        today += timedelta(days=gap)
        stats = stats_as_of(1, enrol, orders, moves, today)
        full = classify(stats, today)
        changed = any(last_night < d <= today for d in changes) if last_night else True
        if seg.needs_recompute(kept is not None, due, changed, today):
            kept = full
            due = seg.segment_due_date(stats, today, PARAMS)
        assert kept == full, (today, stats)
        last_night = today


def test_due_date_of_a_member_who_bought_once():
    stats = seg.MemberStats(partner_id=1, order_count=1, first_date=date(2026, 1, 31),
                            last_date=date(2026, 1, 31), recent_count=1, recent_first_date=date(2026, 1, 31))
    # Thirty days after the first sale the member is no longer new: the first change.
    assert seg.segment_due_date(stats, date(2026, 2, 1), PARAMS) == date(2026, 3, 2)
    # Then the sale leaves the two-month window of class A on 31 March.
    assert seg.segment_due_date(stats, date(2026, 3, 2), PARAMS) == date(2026, 3, 31)
    assert seg.segment_due_date(stats, date(2027, 2, 1), PARAMS) is None
