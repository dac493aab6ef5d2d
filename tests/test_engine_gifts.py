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


def test_upgrade_gift_once_per_level_and_year():
    rule = GiftRule(id=9, occasion="level_upgrade", lead_days=7, level_ids=frozenset({30}))
    ups = [gifts.Upgrade(1, 30, date(2026, 3, 1)), gifts.Upgrade(2, 20, date(2026, 3, 1))]
    due = gifts.upgrade_gifts_due([rule], ups, date(2026, 3, 5))
    assert [(d.partner_id, d.period_key) for d in due] == [(1, "2026/L30")]
    assert gifts.upgrade_gifts_due([rule], ups, date(2026, 3, 9)) == []
    # Upgraded twice to the same level in a year: one gift.
    twice = ups + [gifts.Upgrade(1, 30, date(2026, 3, 4))]
    assert len(gifts.upgrade_gifts_due([rule], twice, date(2026, 3, 5))) == 1


@FAST
@given(st.lists(st.tuples(st.integers(1, 500), st.floats(-100, 1e6, allow_nan=False)), unique_by=lambda r: r[0]),
       st.integers(0, 20))
def test_top_spenders(spends, count):
    top = gifts.top_spenders(spends, count)
    assert len(top) == min(count, sum(1 for _m, a in spends if a > 0))
    amounts = dict(spends)
    rest = [a for m, a in spends if m not in top and a > 0]
    assert all(amounts[m] >= max(rest, default=0) for m in top)


def test_top_spender_window():
    rule = GiftRule(id=1, occasion="annual_top_spender", lead_days=10)
    assert not gifts.top_spender_window(rule, date(2026, 12, 20))
    assert gifts.top_spender_window(rule, date(2026, 12, 21))
    assert gifts.top_spender_window(rule, date(2026, 12, 31))
