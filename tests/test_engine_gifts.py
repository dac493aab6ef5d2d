"""Pure tests of vip_loyalty.engine.gifts (no Odoo needed)."""

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from vip_loyalty.engine import gifts
from vip_loyalty.engine.gifts import GiftRule, Holiday, Member

FAST = settings(max_examples=200, deadline=None)
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))

BIRTHDAY = GiftRule(id=1, occasion="birthday", lead_days=4, validity_days=30)
HOLIDAY = GiftRule(id=2, occasion="holiday", lead_days=3, validity_days=14, level_ids=frozenset({20, 30}))


def test_birthday_on_the_10th_is_planned_from_the_6th():
    member = Member(id=7, level_id=10, birthday=date(1990, 5, 10))
    assert gifts.gifts_due([BIRTHDAY], [member], [], date(2026, 5, 5)) == []
    (due,) = gifts.gifts_due([BIRTHDAY], [member], [], date(2026, 5, 6))
    assert due.occasion_date == date(2026, 5, 10)
    assert due.date_planned == date(2026, 5, 6)
    assert due.expiry_date == date(2026, 6, 9)
    assert due.period_key == "2026"
    # Still due (same key) until the day itself, then no longer.
    assert gifts.gifts_due([BIRTHDAY], [member], [], date(2026, 5, 10))[0].period_key == "2026"
    assert gifts.gifts_due([BIRTHDAY], [member], [], date(2026, 5, 11)) == []


def test_leap_day_birthday_falls_on_28_february():
    member = Member(id=1, birthday=date(2000, 2, 29))
    (due,) = gifts.gifts_due([BIRTHDAY], [member], [], date(2027, 2, 28))
    assert due.occasion_date == date(2027, 2, 28)


def test_birthday_across_new_year():
    member = Member(id=1, birthday=date(1980, 1, 2))
    (due,) = gifts.gifts_due([BIRTHDAY], [member], [], date(2026, 12, 30))
    assert due.occasion_date == date(2027, 1, 2)
    assert due.period_key == "2027"


def test_holiday_only_for_eligible_levels():
    spring = Holiday(id=5, day=date(2027, 2, 6))
    members = [Member(id=1, level_id=10), Member(id=2, level_id=20), Member(id=3, level_id=30)]
    due = gifts.gifts_due([HOLIDAY], members, [spring], date(2027, 2, 3))
    assert sorted(d.partner_id for d in due) == [2, 3]
    assert all(d.period_key == "2027/h5" for d in due)


def test_tiered_rules_first_match_wins_one_gift_per_period():
    low = GiftRule(id=1, occasion="birthday", lead_days=4, level_ids=frozenset({10}))
    high = GiftRule(id=2, occasion="birthday", lead_days=4, level_ids=frozenset({10, 30}))
    member = Member(id=1, level_id=10, birthday=date(1990, 3, 3))
    due = gifts.gifts_due([low, high], [member], [], date(2026, 3, 1))
    assert [d.rule_id for d in due] == [1]


def test_anniversary_not_in_enrolment_year():
    rule = GiftRule(id=3, occasion="anniversary", lead_days=0)
    member = Member(id=1, enrol_date=date(2026, 4, 1))
    assert gifts.gifts_due([rule], [member], [], date(2026, 4, 1)) == []
    assert len(gifts.gifts_due([rule], [member], [], date(2027, 4, 1))) == 1


def test_cost_bounds():
    assert gifts.cost_violation(20, 0, 25) is None
    assert gifts.cost_violation(30, 0, 25) == "max"
    assert gifts.cost_violation(100, 125, 0) == "min"
    assert gifts.cost_violation(125, 125, 0) is None


@FAST
@given(birthday=dates, today=dates, lead=st.integers(0, 40))
def test_birthday_due_exactly_within_lead_days(birthday, today, lead):
    rule = GiftRule(id=1, occasion="birthday", lead_days=lead)
    due = gifts.gifts_due([rule], [Member(id=1, birthday=birthday)], [], today)
    occ = gifts.next_anniversary(birthday, today)
    assert bool(due) == ((occ - today).days <= lead)
    for d in due:
        assert d.date_planned <= today <= d.occasion_date
        assert (d.occasion_date.month, d.occasion_date.day) in {
            (birthday.month, birthday.day), (2, 28)
        }


@FAST
@given(birthday=dates, start=dates, lead=st.integers(0, 20))
def test_one_key_per_year_over_consecutive_days(birthday, start, lead):
    """Running the planner every day of a year yields one period key per occasion year."""
    rule = GiftRule(id=1, occasion="birthday", lead_days=lead)
    member = Member(id=1, birthday=birthday)
    keys = {}
    for offset in range(0, 400, 1):
        today = start + timedelta(days=offset)
        for d in gifts.gifts_due([rule], [member], [], today):
            keys.setdefault(d.period_key, set()).add(d.occasion_date)
    assert all(len(v) == 1 for v in keys.values())


@FAST
@given(expiry=dates, today=dates)
def test_expiry(expiry, today):
    assert gifts.is_expired(expiry, today) == (today > expiry)
    assert not gifts.is_expired(None, today)
