"""Pure tests of vip_loyalty.engine.guards and the rolling windows (no Odoo needed)."""

from dataclasses import replace
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from vip_loyalty.engine.benefits import BenefitConfig, BenefitLine, apply_benefits, is_member_day
from vip_loyalty.engine.guards import GuardSettings, best_price_percent, order_guard, qualifying_level
from vip_loyalty.engine.levels import LevelSpec, Purchase, counted_date, qualifies, window_start

FAST = settings(max_examples=200, deadline=None)

# Seed 000's table: Member on any purchase; Senior single ≥ 1000 or cumulative ≥ 2000; VIP single ≥ 2500.
LEVELS = [
    LevelSpec(id=1, code="MEMBER", name="Member", sequence=1),
    LevelSpec(id=2, code="SENIOR", name="Senior", sequence=2, min_single_purchase=1000, min_cumulative_spend=2000),
    LevelSpec(id=3, code="VIP", name="VIP", sequence=3, min_single_purchase=2500, min_cumulative_spend=4000),
]
TODAY = date(2026, 3, 10)


def test_group_and_staff_orders_are_guarded_by_default():
    on = GuardSettings()
    assert order_guard(on, is_group_order=True, is_staff=False) == "group"
    assert order_guard(on, is_group_order=False, is_staff=True) == "staff"
    assert order_guard(on, is_group_order=True, is_staff=True) == "group"
    assert order_guard(on, is_group_order=False, is_staff=False) is None


def test_guards_are_settings():
    assert order_guard(GuardSettings(group_orders=False), True, False) is None
    assert order_guard(GuardSettings(staff=False), False, True) is None
    assert order_guard(GuardSettings(staff_benefits_allowed=True), False, True) is None


def test_best_price_when_the_walk_in_price_is_lower():
    # List 2000, Senior 5% → 1900; the till's promotion sells it at 1600 today.
    assert best_price_percent(2000.0, 5.0, 1600.0) == 20.0
    assert best_price_percent(2000.0, 5.0, 1900.0) is None, "equal: the member's own benefit stays"
    assert best_price_percent(2000.0, 5.0, 2000.0) is None
    assert best_price_percent(0.0, 0.0, 0.0) is None


@FAST
@given(
    unit=st.floats(min_value=0.01, max_value=100000, allow_nan=False),
    member=st.floats(min_value=0, max_value=100, allow_nan=False),
    share=st.floats(min_value=0, max_value=1, allow_nan=False),
)
def test_best_price_never_above_the_walk_in_price(unit, member, share):
    walkin = unit * share
    percent = best_price_percent(unit, member, walkin)
    member_price = unit * (100 - member) / 100
    if percent is None:
        assert walkin >= member_price - 1e-9
    else:
        assert 0 <= percent <= 100
        assert unit * (100 - percent) / 100 <= walkin + 1e-6
        assert percent > member - 1e-9


def test_qualifying_level_counts_the_order_before_member_discounts():
    best = qualifying_level(LEVELS, 1, [], 0, TODAY, 1000.0)
    assert best[0].code == "SENIOR"
    assert "single purchase" in best[1]
    assert qualifying_level(LEVELS, 1, [], 0, TODAY, 999.0) is None
    assert qualifying_level(LEVELS, 2, [], 0, TODAY, 1000.0) is None, "already Senior"
    # Cumulative: 1500 earlier this year plus 600 today reach 2000.
    earlier = [Purchase(date=date(2026, 1, 5), amount=1500.0)]
    assert qualifying_level(LEVELS, 1, earlier, 0, TODAY, 600.0)[0].code == "SENIOR"
    assert qualifying_level(LEVELS, 1, [], 0, TODAY, 3000.0)[0].code == "VIP"


def test_rolling_one_and_three_month_windows():
    assert window_start("rolling_1m", date(2026, 3, 10)) == date(2026, 2, 11)
    assert window_start("rolling_3m", date(2026, 3, 10)) == date(2025, 12, 11)
    quarterly = LevelSpec(id=9, code="Q", name="Silver", sequence=2, min_cumulative_spend=5000,
                          qualify_window="rolling_3m")
    spend = [Purchase(date=date(2025, 12, 20), amount=3000.0), Purchase(date=date(2026, 3, 1), amount=2000.0)]
    assert qualifies(quarterly, spend, 0, date(2026, 3, 10))
    assert not qualifies(quarterly, spend, 0, date(2026, 3, 25)), "December's 3000 left the window"


# -- issue 14 item 7: settings the seeds use ---------------------------------------------------

SENIOR = BenefitConfig(level_name="Senior", level_percent=5.0, is_base_level=False, birthday_percent=25.0,
                       member_day_percent=15.0, member_day=28, stack_floor_percent=75.0)
DRESS, SCARF = BenefitLine(unit_price=559.0, list_price=559.0), BenefitLine(unit_price=100.0, list_price=100.0)


def test_several_member_days_a_month():
    cfg = replace(SENIOR, member_day=0, member_days=(9, 19, 29))
    for day in (9, 19, 29):
        assert is_member_day(cfg, date(2026, 3, day))
        assert apply_benefits(cfg, [DRESS], date(2026, 3, day))[0].kind == "member_day"
    assert apply_benefits(cfg, [DRESS], date(2026, 3, 28))[0].kind == "level"
    assert is_member_day(replace(SENIOR, member_days=(9,)), date(2026, 3, 28)), "the 28th stays one"


def test_birthday_month_on_the_whole_order():
    cfg = replace(SENIOR, birthday=date(1990, 3, 12))
    one = apply_benefits(cfg, [DRESS, SCARF], TODAY)
    assert [b.kind for b in one] == ["birthday", "level"], "seed 000: one item"
    whole = apply_benefits(replace(cfg, birthday_scope="whole_order"), [DRESS, SCARF], TODAY)
    assert [(b.kind, b.discount_percent) for b in whole] == [("birthday", 25.0), ("birthday", 25.0)]


def test_birthday_day_extra_on_every_item():
    cfg = replace(SENIOR, birthday=date(1990, 3, 10), birthday_day_percent=10.0)
    on_the_day = apply_benefits(cfg, [DRESS, SCARF], date(2026, 3, 10))
    # 25% on one item then 10% more: 32.5%; the scarf: 5% then 10%: 14.5%.
    assert [b.discount_percent for b in on_the_day] == [32.5, 14.5]
    assert "birthday +10%" in on_the_day[1].label
    assert [b.discount_percent for b in apply_benefits(cfg, [DRESS, SCARF], date(2026, 3, 11))] == [25.0, 5.0]


def test_31_december_counts_towards_the_next_year():
    level = LevelSpec(id=5, code="S", name="Senior", sequence=2, min_cumulative_spend=2000,
                      qualify_window="calendar_year", year_end_next_year=True)
    eve = [Purchase(date=date(2025, 12, 31), amount=1500.0), Purchase(date=date(2026, 1, 20), amount=600.0)]
    assert counted_date(date(2025, 12, 31), "calendar_year", True) == date(2026, 1, 1)
    assert counted_date(date(2025, 12, 31), "rolling_12m", True) == date(2025, 12, 31)
    assert qualifies(level, eve, 0, date(2026, 1, 25)), "1500 on New Year's Eve + 600 in January"
    assert not qualifies(replace(level, year_end_next_year=False), eve, 0, date(2026, 1, 25))
