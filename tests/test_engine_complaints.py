"""Pure tests of vip_loyalty.engine.complaints (no Odoo needed)."""

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vip_loyalty.engine import complaints as c
from vip_loyalty.engine.complaints import ComplaintFact, SlaPolicy

FAST = settings(max_examples=150, deadline=None)

SMALL = SlaPolicy(1, "small", 1, "hours", 24, "hours")
LARGE = SlaPolicy(2, "large", 1, "hours", 7, "working_days")


# -- policies and deadlines ------------------------------------------------------------

def test_seed_001_small_deadlines():
    reported = datetime(2026, 3, 2, 10, 0)  # a Monday
    assert c.add_clock(reported, SMALL.response_time, SMALL.response_unit) == datetime(2026, 3, 2, 11, 0)
    assert c.add_clock(reported, SMALL.resolution_time, SMALL.resolution_unit) == datetime(2026, 3, 3, 10, 0)


def test_calendar_units_refuse_clock_arithmetic():
    with pytest.raises(ValueError):
        c.add_clock(datetime(2026, 1, 1), 3, "working_days")
    assert c.needs_calendar("working_days") and not c.needs_calendar("hours")


def test_choose_policy_prefers_company_then_shared():
    own = SlaPolicy(9, "large", 2, "hours", 5, "working_days", company_id=3)
    policies = [SMALL, LARGE, own]
    assert c.choose_policy(policies, "large", 3) == own
    assert c.choose_policy(policies, "large", 4) == LARGE
    assert c.choose_policy(policies, "small", 3) == SMALL
    assert c.choose_policy([own], "small", 3) is None


@FAST
@given(
    start=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)),
    hours=st.floats(min_value=0, max_value=500, allow_nan=False),
)
def test_clock_deadline_is_monotonic(start, hours):
    assert c.add_clock(start, hours, "hours") >= start
    assert c.add_clock(start, hours, "hours") <= c.add_clock(start, hours + 1, "hours")


# -- breaches and escalation ----------------------------------------------------------

def test_response_breach():
    deadline = datetime(2026, 3, 2, 11, 0)
    assert not c.response_breached(datetime(2026, 3, 2, 10, 59), deadline, None)
    assert c.response_breached(datetime(2026, 3, 2, 11, 1), deadline, None)
    assert not c.response_breached(datetime(2026, 3, 9), deadline, datetime(2026, 3, 2, 10, 30))
    assert c.response_breached(datetime(2026, 3, 9), deadline, datetime(2026, 3, 2, 11, 30))
    assert not c.response_breached(datetime(2026, 3, 9), None, None)


@FAST
@given(
    state=st.sampled_from(["new", "in_progress", "escalated", "resolved", "closed"]),
    offset=st.integers(min_value=-200, max_value=200),
    answered=st.booleans(),
    already=st.booleans(),
)
def test_escalation_rules(state, offset, answered, already):
    reported = datetime(2026, 3, 2, 10, 0)
    response = reported + timedelta(hours=1)
    resolution = reported + timedelta(hours=24)
    now = reported + timedelta(hours=offset)
    first = reported + timedelta(minutes=30) if answered else None
    due = c.due_for_escalation(state, now, response, first, resolution, already)
    if already or state not in ("new", "in_progress"):
        assert not due
    elif now > resolution:
        assert due
    elif now <= response:
        assert not due
    else:
        assert due == (not answered)


# -- transitions ----------------------------------------------------------------------

def test_transition_refusals():
    assert c.transition("new", "start") == ("in_progress", None)
    assert c.transition("in_progress", "resolve") == (None, "no_resolution")
    assert c.transition("in_progress", "resolve", has_resolution=True) == ("resolved", None)
    assert c.transition("resolved", "close") == (None, "no_outcome")
    assert c.transition("resolved", "close", has_outcome=True) == ("closed", None)
    assert c.transition("in_progress", "close", has_outcome=True) == (None, "bad_state")
    assert c.transition("in_progress", "escalate") == (None, "no_promised_date")
    assert c.transition("escalated", "escalate", has_promised_date=True) == (None, "bad_state")
    assert c.transition("closed", "reopen") == ("in_progress", None)


@FAST
@given(
    state=st.sampled_from(["new", "in_progress", "escalated", "resolved", "closed"]),
    action=st.sampled_from(sorted(c.TRANSITIONS)),
    flags=st.tuples(st.booleans(), st.booleans(), st.booleans()),
)
def test_transition_is_total_and_consistent(state, action, flags):
    new_state, error = c.transition(state, action, *flags)
    assert (new_state is None) != (error is None)
    if new_state == "closed":
        assert flags[1], "closed without an outcome"
    if new_state == "resolved":
        assert flags[0], "resolved without a resolution"
    if new_state:
        assert state in c.TRANSITIONS[action][0]


# -- priority and compensation -----------------------------------------------------------

@FAST
@given(count=st.integers(min_value=1, max_value=10), data=st.data())
def test_priority_rises_with_rank(count, data):
    low = data.draw(st.integers(min_value=0, max_value=count - 1))
    high = data.draw(st.integers(min_value=low, max_value=count - 1))
    assert c.priority_from_rank(low, count) <= c.priority_from_rank(high, count)
    assert c.priority_from_rank(count - 1, count) == "3"
    assert c.priority_from_rank(None, count) == "0" < c.priority_from_rank(0, count)


def test_priority_seed_levels():
    # Member, Senior, VIP, Supreme
    assert [c.priority_from_rank(r, 4) for r in range(4)] == ["1", "2", "2", "3"]
    assert c.priority_from_rank(None, 4, top_class=True) == "3"


@FAST
@given(
    points=st.integers(min_value=-10, max_value=1000),
    granted=st.integers(min_value=0, max_value=1000),
    limit=st.integers(min_value=0, max_value=1000),
)
def test_compensation_limit(points, granted, limit):
    assert not c.compensation_allowed(points, granted, limit, False) or granted + points <= limit
    assert c.compensation_allowed(points, granted, limit, True) == (points > 0)


# -- KPIs ------------------------------------------------------------------------------

def test_kpis():
    t = datetime(2026, 3, 2, 10)
    facts = [
        ComplaintFact(t, "Attitude", t + timedelta(minutes=30), t + timedelta(hours=5),
                      t + timedelta(hours=1), t + timedelta(hours=24), False, 5),
        ComplaintFact(t, "Attitude", t + timedelta(hours=2), t + timedelta(hours=30),
                      t + timedelta(hours=1), t + timedelta(hours=24), True, 3),
        ComplaintFact(t, "Quality", None, None, t + timedelta(hours=1), t + timedelta(hours=24)),
    ]
    k = c.kpis(facts, member_count=200, now=t + timedelta(hours=2))
    assert k.count == 3
    assert k.rate_per_100_members == pytest.approx(1.5)
    assert k.breach_count == 2  # the late one, and the unanswered one past its hour
    assert k.within_sla_share == pytest.approx(1 / 3)
    assert k.avg_first_response_hours == pytest.approx(1.25)
    assert k.avg_resolution_hours == pytest.approx(17.5)
    assert k.avg_satisfaction == pytest.approx(4.0)
    assert k.top_categories == (("Attitude", 2), ("Quality", 1))


def test_kpis_empty():
    k = c.kpis([], member_count=0, now=datetime(2026, 1, 1))
    assert (k.count, k.rate_per_100_members, k.within_sla_share, k.avg_satisfaction) == (0, 0.0, 0.0, 0.0)
