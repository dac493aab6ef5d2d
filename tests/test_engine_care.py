"""Pure tests of vip_loyalty.engine.care (no Odoo needed)."""

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vip_loyalty.engine import care
from vip_loyalty.engine.care import CareSettings, ContactStep

FAST = settings(max_examples=200, deadline=None)
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))

# Seed 000 contact plan.
THANKS = ContactStep(id=1, anchor="first_purchase", offset_days=5, window_days=3)
ACTIVITY = ContactStep(id=2, anchor="first_purchase", offset_days=15, window_days=5)
MONTHLY = ContactStep(id=3, anchor="first_purchase", offset_days=30, window_days=5, repeat_days=30,
                      active_within_days=60)
SILENT = ContactStep(id=4, anchor="last_purchase", offset_days=90, window_days=30)
SLEEPING = ContactStep(id=5, anchor="last_purchase", offset_days=180, window_days=30)
PLAN = [THANKS, ACTIVITY, MONTHLY, SILENT, SLEEPING]


def test_after_sale_followup_within_a_week():
    touches = care.after_sale_touches(date(2026, 3, 1), 559, CareSettings())
    assert [(t.kind, t.date_deadline) for t in touches] == [("followup", date(2026, 3, 8))]


def test_big_purchase_gets_week_and_month_calls():
    touches = care.after_sale_touches(date(2026, 3, 1), 2000, CareSettings())
    assert [t.kind for t in touches] == ["followup", "big_purchase_call", "month_call"]
    assert touches[1].date_deadline == date(2026, 3, 8)
    assert touches[2].date_deadline == date(2026, 3, 31)
    assert len(care.after_sale_touches(date(2026, 3, 1), 1999.99, CareSettings())) == 1


def test_contact_plan_new_member():
    first = date(2026, 1, 1)
    due = lambda d: [s.step_id for s in care.steps_due(PLAN, first, first, d)]  # noqa: E731
    assert due(date(2026, 1, 5)) == []
    assert due(date(2026, 1, 6)) == [1]
    assert due(date(2026, 1, 16)) == [2]
    assert due(date(2026, 1, 31)) == [3]
    assert due(date(2026, 3, 2)) == [3]  # day 60, second monthly touch
    assert due(date(2026, 3, 10)) == []
    assert due(date(2026, 4, 1)) == [4]  # month 3: silent
    assert due(date(2026, 6, 30)) == [5]  # month 6: sleeping


def test_monthly_keys_differ_and_repeat_on_rerun():
    first = date(2026, 1, 1)
    a = care.step_due(MONTHLY, first, first, date(2026, 1, 31))
    b = care.step_due(MONTHLY, first, first, date(2026, 2, 2))
    c = care.step_due(MONTHLY, first, date(2026, 2, 20), date(2026, 3, 2))
    assert a.key == b.key
    assert c.key != a.key


@FAST
@given(first=dates, gap=st.integers(0, 400), today_off=st.integers(-10, 800), step=st.sampled_from(PLAN))
def test_step_due_only_inside_its_window(first, gap, today_off, step):
    last = first + timedelta(days=gap)
    today = first + timedelta(days=today_off)
    due = care.step_due(step, first, last, today)
    if due is None:
        return
    anchor = first if step.anchor == "first_purchase" else last
    assert due.due_date <= today <= due.due_date + timedelta(days=step.window_days)
    assert (due.due_date - anchor).days >= step.offset_days
    assert due.key.startswith(f"step{step.id}:{anchor.isoformat()}:")


@FAST
@given(first=dates, gap=st.integers(0, 400), start=st.integers(0, 500))
def test_a_key_is_due_on_consecutive_days_only(first, gap, start):
    """Re-running daily never produces a key again after a gap (one touch per key)."""
    last = first + timedelta(days=gap)
    seen = {}
    for off in range(start, start + 120):
        today = first + timedelta(days=off)
        for d in care.steps_due(PLAN, first, last, today):
            seen.setdefault(d.key, []).append(off)
    for offs in seen.values():
        assert offs == list(range(offs[0], offs[0] + len(offs)))


def test_birthday_list_next_month_only():
    members = [(1, date(1990, 3, 31)), (2, date(1985, 4, 2)), (3, None), (4, date(2000, 2, 29)), (5, date(1970, 4, 1))]
    assert care.birthday_list(members, 2026, 4) == [(5, date(2026, 4, 1)), (2, date(2026, 4, 2))]
    assert care.birthday_list(members, 2027, 2) == [(4, date(2027, 2, 28))]
    assert care.next_month(date(2026, 12, 31)) == (2027, 1)
    assert care.is_month_end(date(2028, 2, 29)) and not care.is_month_end(date(2028, 2, 28))


@FAST
@given(st.lists(st.tuples(st.integers(1, 10**6), st.one_of(st.none(), dates)), unique_by=lambda r: r[0]),
       st.integers(2000, 2040), st.integers(1, 12))
def test_birthday_list_is_exactly_the_month(members, year, month):
    rows = care.birthday_list(members, year, month)
    expected = {mid for mid, b in members if b and b.month == month}
    assert {mid for mid, _d in rows} == expected
    assert all(d.year == year and d.month == month and d.day <= calendar.monthrange(year, month)[1] for _m, d in rows)
    assert rows == sorted(rows, key=lambda r: (r[1], r[0]))


@FAST
@given(start=dates, notice=st.integers(0, 10), off=st.integers(-20, 20))
def test_promotion_notice_window(start, notice, off):
    today = start + timedelta(days=off)
    assert care.promotion_notice_due(start, notice, today) == (-notice <= off <= 0)


def test_pick_advisor_round_robin():
    assert [care.pick_advisor([7, 8], i) for i in range(4)] == [7, 8, 7, 8]
    with pytest.raises(ValueError):
        care.pick_advisor([], 0)
