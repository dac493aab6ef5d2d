"""Pure tests of vip_loyalty.engine.points (no Odoo needed)."""

from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vip_loyalty.engine import points
from vip_loyalty.engine.points import (
    Bonus,
    EarnContext,
    EarnLine,
    EarnRule,
    Lot,
)

FAST = settings(max_examples=150, deadline=None)

DEFAULT_RULE = EarnRule()
# Seed 003: 1 point per currency unit; lines discounted more than 20% earn half.
SEED_003_RULE = EarnRule(
    amount_per_point=1.0,
    deep_discount_threshold=20.0,
    deep_discount_factor=0.5,
    expiry_policy="rolling_months",
    expiry_months=12,
)

BIRTHDAY_DOUBLE = Bonus(
    id=1, name="Birthday double", kind="multiplier", condition="birthday", multiplier=2.0
)
BIG_ORDER = Bonus(
    id=2,
    name="Big order bonus",
    kind="flat",
    condition="min_order_points",
    flat_points=10,
    min_order_points=200,
)
# Seed 000: double points on Wednesdays in February–April.
WEDNESDAY_SPRING = Bonus(
    id=3,
    name="Spring Wednesday",
    kind="multiplier",
    condition="weekday",
    multiplier=2.0,
    weekday=2,
    month_from=2,
    month_to=4,
)
FIRST_TEN = Bonus(
    id=4,
    name="First 10 today",
    kind="multiplier",
    condition="first_n_of_day",
    multiplier=2.0,
    first_n=10,
)

BIRTHDAY = date(1990, 6, 15)
ON_BIRTHDAY = date(2025, 6, 15)  # a Sunday
PLAIN_DAY = date(2025, 6, 10)  # a Tuesday, not the birthday


def earn(amounts, rule=DEFAULT_RULE, bonuses=(), **ctx):
    ctx.setdefault("order_date", PLAIN_DAY)
    lines = [a if isinstance(a, EarnLine) else EarnLine(amount=a) for a in amounts]
    return points.compute_earn(lines, rule, list(bonuses), EarnContext(**ctx))


cents = st.integers(min_value=0, max_value=5_000_000).map(lambda c: c / 100)


# --------------------------------------------------------------------------- earning


def test_559_earns_55_floored():
    res = earn([559.00])
    assert res.base_points == 55
    assert res.points == 55
    assert res.eligible_amount == 559.00
    assert res.description == "559.00 × 1 pt / 10 = 55 pts"


def test_birthday_double():
    res = earn([559.00], bonuses=[BIRTHDAY_DOUBLE], order_date=ON_BIRTHDAY, birthday=BIRTHDAY)
    assert (res.base_points, res.points) == (55, 110)
    assert res.description == "559.00 × 1 pt / 10 = 55 pts; Birthday double ×2 = 110 pts"


def test_birthday_double_not_on_other_days():
    res = earn([559.00], bonuses=[BIRTHDAY_DOUBLE], order_date=PLAIN_DAY, birthday=BIRTHDAY)
    assert res.points == 55


def test_full_description_with_multiplier_and_flat():
    big = Bonus(
        id=9, name="Big order bonus", kind="flat", condition="min_order_points",
        flat_points=10, min_order_points=100,
    )
    res = earn(
        [559.00], bonuses=[BIRTHDAY_DOUBLE, big], order_date=ON_BIRTHDAY, birthday=BIRTHDAY
    )
    assert res.points == 120
    assert res.description == (
        "559.00 × 1 pt / 10 = 55 pts; Birthday double ×2 = 110 pts; "
        "+10 Big order bonus = 120 pts"
    )


def test_flat_bonus_at_200_points():
    assert earn([1999.99], bonuses=[BIG_ORDER]).points == 199
    res = earn([2000.00], bonuses=[BIG_ORDER])
    assert res.points == 210
    assert res.description.endswith("; +10 Big order bonus = 210 pts")


def test_flat_bonus_threshold_sees_points_after_multiplier():
    # 100 base points, doubled to 200 on the birthday: the +10 now applies.
    res = earn(
        [1000.00], bonuses=[BIRTHDAY_DOUBLE, BIG_ORDER], order_date=ON_BIRTHDAY,
        birthday=BIRTHDAY,
    )
    assert (res.base_points, res.points) == (100, 210)


def test_multipliers_do_not_stack_highest_wins():
    wednesday_birthday = date(2025, 3, 12)  # a Wednesday in March
    bday = date(1980, 3, 12)
    triple = Bonus(
        id=5, name="Triple", kind="multiplier", condition="always", multiplier=3.0
    )
    res = earn(
        [100.00],
        bonuses=[BIRTHDAY_DOUBLE, WEDNESDAY_SPRING, FIRST_TEN],
        order_date=wednesday_birthday,
        birthday=bday,
        member_rank_of_day=1,
        level_multiplier=1.5,
    )
    assert res.points == 20  # ×2, not ×2×2×2×1.5
    res = earn(
        [100.00],
        bonuses=[BIRTHDAY_DOUBLE, triple],
        order_date=wednesday_birthday,
        birthday=bday,
        level_multiplier=1.5,
    )
    assert res.points == 30
    assert "Triple ×3 = 30 pts" in res.description
    assert "Birthday" not in res.description


def test_level_multiplier_wins_over_smaller_bonus():
    res = earn([100.00], bonuses=[BIRTHDAY_DOUBLE], order_date=ON_BIRTHDAY,
               birthday=BIRTHDAY, level_multiplier=2.5)
    assert res.points == 25
    assert res.description == "100.00 × 1 pt / 10 = 10 pts; Level ×2.5 = 25 pts"


def test_multiplier_result_is_floored_without_float_error():
    # 100 × 1.15 is 114.99999999999999 in binary floats; the answer is 115.
    assert earn([1000.00], level_multiplier=1.15).points == 115
    assert earn([550.00], level_multiplier=1.5).points == 82  # 55 × 1.5 = 82.5


def test_excluded_lines_earn_nothing():
    res = earn([EarnLine(500.00, excluded=True), EarnLine(59.00)])
    assert res.eligible_amount == 59.00
    assert res.points == 5
    assert earn([EarnLine(10_000.00, excluded=True)]).points == 0


def test_excluded_only_order_gets_no_bonus():
    always = Bonus(id=6, name="Welcome", kind="flat", condition="always", flat_points=50)
    res = earn([EarnLine(300.00, excluded=True)], bonuses=[always])
    assert res.points == 0
    assert res.description == "0.00 × 1 pt / 10 = 0 pts"


def test_negative_refund_lines_are_ignored():
    res = earn([559.00, -100.00])
    assert res.eligible_amount == 559.00
    assert res.points == 55


def test_seed_003_deep_discount_earns_half():
    rule = SEED_003_RULE
    assert earn([EarnLine(100.00, discount_percent=30)], rule).points == 50
    # Exactly at the threshold is not "more than" 20%: full points.
    assert earn([EarnLine(100.00, discount_percent=20)], rule).points == 100
    assert earn([EarnLine(100.00, discount_percent=0)], rule).points == 100
    mixed = earn(
        [EarnLine(99.00, discount_percent=50), EarnLine(80.00, discount_percent=10)], rule
    )
    assert mixed.eligible_amount == 129.50
    assert mixed.points == 129
    assert mixed.description == "129.50 × 1 pt / 1 = 129 pts"


def test_discounted_lines_can_be_made_not_to_earn():
    rule = EarnRule(discounted_lines_earn=False)
    res = earn([EarnLine(200.00, discount_percent=5), EarnLine(100.00)], rule)
    assert res.points == 10


def test_decimal_arithmetic_never_drops_a_point():
    # 0.1 + 0.2 != 0.3 in floats; the engine must still see 0.30.
    assert earn([0.1, 0.2], EarnRule(amount_per_point=0.3)).points == 1
    assert earn([0.1, 0.2], EarnRule(amount_per_point=0.1)).points == 3
    assert earn([19.99, 10.01], EarnRule(amount_per_point=3.0)).points == 10
    assert earn([1.15], EarnRule(amount_per_point=0.01)).points == 115


def test_points_per_step_and_formatting():
    res = earn([12345.60], EarnRule(amount_per_point=2.5, points_per_step=3))
    assert res.base_points == 4938 * 3
    assert res.description == f"12,345.60 × 3 pt / 2.5 = {4938 * 3} pts"


def test_bad_rule_or_bonus_is_loud():
    with pytest.raises(ValueError):
        earn([10.0], EarnRule(amount_per_point=0))
    with pytest.raises(ValueError):
        earn([10.0], bonuses=[Bonus(id=1, name="x", kind="weird", condition="always")])
    with pytest.raises(ValueError):
        earn([10.0], bonuses=[Bonus(id=1, name="x", kind="flat", condition="moon")])


# ----------------------------------------------------------------- bonus conditions


def test_month_window_wraps_the_year():
    winter = Bonus(id=7, name="Winter", kind="multiplier", condition="date_range",
                   multiplier=2.0, month_from=11, month_to=2)
    for month, expected in [(11, 20), (12, 20), (1, 20), (2, 20), (3, 10), (10, 10)]:
        assert earn([100.0], bonuses=[winter], order_date=date(2025, month, 5)).points == expected


def test_weekday_in_month_window():
    wed_march = date(2025, 3, 12)
    wed_june = date(2025, 6, 11)
    thu_march = date(2025, 3, 13)
    assert earn([100.0], bonuses=[WEDNESDAY_SPRING], order_date=wed_march).points == 20
    assert earn([100.0], bonuses=[WEDNESDAY_SPRING], order_date=wed_june).points == 10
    assert earn([100.0], bonuses=[WEDNESDAY_SPRING], order_date=thu_march).points == 10


def test_date_window():
    promo = Bonus(id=8, name="Promo", kind="flat", condition="date_range", flat_points=5,
                  date_from=date(2025, 5, 1), date_to=date(2025, 5, 3))
    hits = [earn([100.0], bonuses=[promo], order_date=date(2025, 4, 30) + timedelta(days=i))
            .points for i in range(5)]
    assert hits == [10, 15, 15, 15, 10]


def test_first_n_of_day():
    assert earn([100.0], bonuses=[FIRST_TEN], member_rank_of_day=10).points == 20
    assert earn([100.0], bonuses=[FIRST_TEN], member_rank_of_day=11).points == 10
    assert earn([100.0], bonuses=[FIRST_TEN], member_rank_of_day=None).points == 10


def test_birthday_month_and_missing_birthday():
    bm = Bonus(id=9, name="Birthday month", kind="flat", condition="birthday_month",
               flat_points=7)
    assert earn([100.0], bonuses=[bm], order_date=date(2025, 6, 1), birthday=BIRTHDAY).points == 17
    assert earn([100.0], bonuses=[bm], order_date=date(2025, 7, 1), birthday=BIRTHDAY).points == 10
    assert earn([100.0], bonuses=[bm, BIRTHDAY_DOUBLE], birthday=None).points == 10


def test_leap_day_birthday():
    leapling = date(2000, 2, 29)
    ctx = {"bonuses": [BIRTHDAY_DOUBLE], "birthday": leapling}
    assert earn([100.0], order_date=date(2025, 2, 28), **ctx).points == 20
    assert earn([100.0], order_date=date(2024, 2, 28), **ctx).points == 10
    assert earn([100.0], order_date=date(2024, 2, 29), **ctx).points == 20


# ------------------------------------------------------------------ earn properties


@FAST
@given(a=cents, b=cents, app=st.sampled_from([0.5, 1.0, 2.5, 10.0, 33.33]))
def test_base_is_monotonic_in_amount(a, b, app):
    lo, hi = sorted((a, b))
    rule = EarnRule(amount_per_point=app)
    assert earn([lo], rule).base_points <= earn([hi], rule).base_points


@FAST
@given(
    amounts=st.lists(st.integers(-1_000_000, 1_000_000).map(lambda c: c / 100), max_size=8),
    discounts=st.lists(st.integers(0, 100), min_size=8, max_size=8),
    app=st.sampled_from([0.01, 0.3, 1.0, 10.0, 12.5]),
    pps=st.integers(0, 5),
    mult=st.sampled_from([0.5, 1.0, 1.15, 2.0]),
)
def test_base_never_negative_and_floor_never_exceeds_exact(amounts, discounts, app, pps, mult):
    lines = [EarnLine(a, discount_percent=d) for a, d in zip(amounts, discounts, strict=False)]
    rule = EarnRule(amount_per_point=app, points_per_step=pps, deep_discount_threshold=20,
                    deep_discount_factor=0.5)
    res = earn(lines, rule, level_multiplier=mult)
    assert res.base_points >= 0 and res.points >= 0
    eligible = Fraction(str(res.eligible_amount))
    exact_steps = eligible / Fraction(str(app))
    steps = res.base_points // pps if pps else int(exact_steps)
    assert steps <= exact_steps < steps + 1  # a true floor: never over, never a step short
    assert res.points <= res.base_points * Fraction(str(mult))


@FAST
@given(amount=cents)
def test_description_always_starts_with_the_arithmetic(amount):
    res = earn([amount])
    assert res.description.startswith(f"{amount:,.2f} × 1 pt / 10 = {res.base_points} pts")


# ---------------------------------------------------------------------------- expiry


def test_expiry_dates_per_policy():
    d = date(2025, 3, 10)
    assert points.expiry_date(EarnRule(), d) == date(2025, 12, 31)
    assert points.expiry_date(EarnRule(expiry_policy="calendar_year"), date(2025, 12, 31)) == \
        date(2025, 12, 31)
    assert points.expiry_date(SEED_003_RULE, d) == date(2026, 3, 10)
    six = EarnRule(expiry_policy="rolling_months", expiry_months=1)
    assert points.expiry_date(six, date(2025, 1, 31)) == date(2025, 2, 28)
    assert points.expiry_date(six, date(2024, 1, 31)) == date(2024, 2, 29)
    assert points.expiry_date(EarnRule(expiry_policy="never"), d) is None
    with pytest.raises(ValueError):
        points.expiry_date(EarnRule(expiry_policy="sometimes"), d)


def test_expired_lots_strictly_before_today():
    lots = [
        Lot(1, 50, date(2025, 12, 31), date(2025, 1, 5)),
        Lot(2, 0, date(2024, 12, 31), date(2024, 1, 5)),  # fully used: nothing to expire
        Lot(3, 30, date(2024, 12, 31), date(2024, 6, 5)),
        Lot(4, 70, None, date(2020, 1, 1)),
    ]
    assert points.expired_lots(lots, date(2025, 12, 31)) == [(3, 30)]
    assert points.expired_lots(lots, date(2026, 1, 1)) == [(3, 30), (1, 50)]


# --------------------------------------------------------------------------- burning


def test_burn_order_first_expiring_first_never_last():
    lots = [
        Lot(1, 10, None, date(2023, 1, 1)),
        Lot(2, 10, date(2025, 12, 31), date(2025, 5, 1)),
        Lot(3, 10, date(2025, 6, 30), date(2025, 1, 1)),
        Lot(4, 10, date(2025, 12, 31), date(2025, 2, 1)),
        Lot(5, 0, date(2024, 1, 1), date(2023, 1, 1)),
    ]
    assert [lot.id for lot in points.burn_order(lots)] == [3, 4, 2, 1]


lot_dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
lots_strategy = st.lists(
    st.tuples(st.integers(0, 500), st.none() | lot_dates, lot_dates),
    max_size=12,
).map(lambda rows: [Lot(i + 1, r, e, d) for i, (r, e, d) in enumerate(rows)])


# --------------------------------------------------------------------------- refunds


def test_reversal_example_rounds_half_up():
    assert points.reversal_points(55, 559.00, 279.50, 0) == 28
    assert points.reversal_points(55, 559.00, 559.00, 28) == 27
    assert points.reversal_points(55, 559.00, 600.00, 55) == 0  # over-refund capped
    assert points.reversal_points(0, 559.00, 100.00, 0) == 0
    assert points.reversal_points(55, 0.0, 100.00, 0) == 0
    assert points.reversal_points(55, 559.00, 0.0, 0) == 0
    with pytest.raises(ValueError):
        points.reversal_points(55, 559.00, -100.0, 0)


def round_half_up(x: Fraction) -> int:
    return int((x + Fraction(1, 2)) // 1)


@FAST
@given(
    earned=st.integers(0, 100_000),
    original_cents=st.integers(1, 10_000_000),
    parts=st.lists(st.integers(0, 2_000_000), min_size=1, max_size=10),
)
def test_partial_refunds_never_drift(earned, original_cents, parts):
    original = original_cents / 100
    refunded_cents = 0
    reversed_total = 0
    for part in parts:
        refunded_cents += part
        step = points.reversal_points(earned, original, refunded_cents / 100, reversed_total)
        assert step >= 0
        reversed_total += step
        assert reversed_total <= earned
    share = min(Fraction(refunded_cents), Fraction(original_cents)) / original_cents
    assert reversed_total == round_half_up(earned * share)


# ------------------------------------------------------------------------ redemption


def test_redemption_ladder_examples():
    assert points.redemption_cap(999) == 0.0
    assert points.redemption_cap(1000) == 200.0
    assert points.redemption_cap(1499) == 200.0
    assert points.redemption_cap(1500) == 400.0
    assert points.redemption_cap(2000) == 600.0
    assert points.points_for_gift(150) == 1000
    assert points.points_for_gift(200) == 1000
    assert points.points_for_gift(201) == 1500
    assert points.points_for_gift(600) == 2000
    assert points.points_for_gift(600.01) == 2500


@FAST
@given(price=st.integers(1, 1_000_000).map(lambda c: c / 100))
def test_points_for_gift_is_the_minimum_covering_the_price(price):
    needed = points.points_for_gift(price)
    assert points.redemption_cap(needed) >= price
    assert points.redemption_cap(needed - 1) < price


def test_cash_value_examples():
    assert points.cash_value(100) == 3.00
    assert points.cash_value(250) == 6.00
    assert points.cash_value(99) == 0.0
    assert points.cash_value(1000, currency_per_block=0.1) == 1.0
