"""Pure tests of vip_loyalty.engine.benefits (no Odoo needed)."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vip_loyalty.engine.benefits import (
    BenefitConfig,
    BenefitLine,
    LineBenefit,
    apply_benefits,
    stacked_percent,
    with_cashier_discount,
)

FAST = settings(max_examples=200, deadline=None)

# Seed 000 / DESIGN §5: Senior 5%, birthday 25% on one item, member day the 28th at 15%;
# seed 003: 折上折 on items promoted to at least 75% of the list price.
SENIOR = BenefitConfig(
    level_name="Senior", level_percent=5.0, is_base_level=False, birthday_percent=25.0,
    member_day_percent=15.0, member_day=28, stack_floor_percent=75.0,
)
BASE = BenefitConfig(level_name="Member", level_percent=0.0, is_base_level=True, member_day=28,
                     member_day_percent=15.0, stack_floor_percent=75.0)
ORDINARY_DAY = date(2026, 3, 10)
MEMBER_DAY = date(2026, 3, 28)


def full(price, qty=1.0, special=False):
    return BenefitLine(unit_price=price, list_price=price, quantity=qty, special_price=special)


def promo(list_price, percent_off, qty=1.0):
    return BenefitLine(unit_price=list_price * (100 - percent_off) / 100, list_price=list_price, quantity=qty)


def test_level_discount_on_full_price_item_is_named():
    [benefit] = apply_benefits(SENIOR, [full(559.0)], ORDINARY_DAY)
    assert benefit.discount_percent == 5.0
    assert benefit.kind == "level"
    assert benefit.label == "Senior discount 5%"


def test_special_price_items_get_no_member_discount():
    [benefit] = apply_benefits(SENIOR, [full(300.0, special=True)], MEMBER_DAY)
    assert benefit.discount_percent == 0.0 and benefit.kind == "none"


def test_stack_on_promotion_at_or_above_the_floor():
    # seed 000: 8.8 折 promotion, then the card's 9 折 again.
    cfg = BenefitConfig(level_name="VIP", level_percent=10.0, is_base_level=False, stack_floor_percent=75.0)
    lines = [promo(1000.0, 12.0), promo(1000.0, 25.0), promo(1000.0, 30.0)]
    stack12, stack25, deep = apply_benefits(cfg, lines, ORDINARY_DAY)
    assert stack12.kind == "stack" and stack12.discount_percent == 10.0
    assert stack12.label == "折上折 VIP 10% on 12% promotion"
    assert stack25.kind == "stack", "7.5 折 itself is included (含 7.5 折)"
    assert deep.kind == "none" and deep.discount_percent == 0.0


def test_base_level_gets_no_stack_and_no_level_discount():
    on_promo, on_full = apply_benefits(BASE, [promo(500.0, 10.0), full(500.0)], ORDINARY_DAY)
    assert on_promo.kind == "none"
    assert on_full.kind == "none"


def test_member_day_beats_level_but_never_adds_and_never_stacks_on_promotion():
    on_full, on_promo = apply_benefits(SENIOR, [full(200.0), promo(200.0, 10.0)], MEMBER_DAY)
    assert on_full.kind == "member_day" and on_full.discount_percent == 15.0
    assert on_full.label == "Member day 15%"
    assert on_promo.kind == "stack" and on_promo.discount_percent == 5.0
    # The base level also gets the member day on full-price items.
    [base_full] = apply_benefits(BASE, [full(200.0)], MEMBER_DAY)
    assert base_full.kind == "member_day"


def test_birthday_month_one_item_the_most_expensive():
    cfg = BenefitConfig(**{**SENIOR.__dict__, "birthday": date(1990, 3, 2)})
    cheap, dear, special = apply_benefits(cfg, [full(100.0), full(800.0), full(900.0, special=True)], ORDINARY_DAY)
    assert dear.kind == "birthday" and dear.discount_percent == 25.0
    assert dear.label == "Birthday 25% on 1 item"
    assert cheap.kind == "level" and special.kind == "none"
    # Not the birthday month: level discount only.
    outside = apply_benefits(cfg, [full(800.0)], date(2026, 4, 2))
    assert outside[0].kind == "level"


def test_birthday_on_a_line_of_several_units_is_one_unit():
    cfg = BenefitConfig(**{**SENIOR.__dict__, "birthday": date(1990, 3, 2)})
    [line] = apply_benefits(cfg, [full(100.0, qty=4)], ORDINARY_DAY)
    # One unit at 25%, three at 5%: 25 + 15 = 40 off 400 = 10%.
    assert line.discount_percent == pytest.approx(10.0)
    assert line.label == "Birthday 25% on 1 item; Senior discount 5% on the others"


def test_stacked_percent():
    assert stacked_percent(10, 10) == pytest.approx(19.0)
    assert stacked_percent(12, 10) == pytest.approx(20.8)


prices = st.floats(min_value=1, max_value=10000, allow_nan=False, allow_infinity=False)
lines_st = st.lists(
    st.builds(
        lambda lp, off, qty, special: BenefitLine(lp * (100 - off) / 100, lp, qty, special),
        prices, st.sampled_from([0.0, 0.0, 5.0, 12.0, 25.0, 40.0]), st.integers(1, 5), st.booleans(),
    ),
    min_size=0, max_size=8,
)
configs = st.builds(
    BenefitConfig,
    level_name=st.just("L"),
    level_percent=st.sampled_from([0.0, 5.0, 10.0, 12.0]),
    is_base_level=st.booleans(),
    birthday_percent=st.sampled_from([0.0, 25.0]),
    member_day_percent=st.sampled_from([0.0, 15.0]),
    member_day=st.sampled_from([0, 28]),
    stack_floor_percent=st.sampled_from([0.0, 75.0]),
    birthday=st.sampled_from([None, date(1990, 3, 5), date(1985, 7, 1)]),
)
days = st.sampled_from([ORDINARY_DAY, MEMBER_DAY, date(2026, 7, 28)])


@FAST
@given(configs, lines_st, days)
def test_properties(cfg, lines, on_date):
    result = apply_benefits(cfg, lines, on_date)
    assert len(result) == len(lines)
    allowed = max(cfg.level_percent, cfg.member_day_percent, cfg.birthday_percent)
    birthday_lines = [b for b in result if b.kind == "birthday"]
    # At most one birthday item per order, never on special-price items.
    assert len(birthday_lines) <= 1
    for line, benefit in zip(lines, result, strict=True):
        assert 0.0 <= benefit.discount_percent <= allowed + 1e-9
        if line.special_price:
            assert benefit.kind == "none" and benefit.discount_percent == 0.0
        if benefit.kind == "none":
            assert benefit.discount_percent == 0.0 and benefit.label == ""
        else:
            assert benefit.label
        if benefit.kind == "stack":
            assert not cfg.is_base_level and line.unit_price < line.list_price
            assert line.unit_price >= line.list_price * cfg.stack_floor_percent / 100 - 1e-6
        if benefit.kind in ("level", "member_day"):
            assert line.unit_price >= line.list_price


@FAST
@given(configs, lines_st, days)
def test_birthday_never_makes_an_order_dearer(cfg, lines, on_date):
    without = apply_benefits(BenefitConfig(**{**cfg.__dict__, "birthday": None}), lines, on_date)
    with_bd = apply_benefits(cfg, lines, on_date)

    def total(benefits):
        return sum(ln.unit_price * ln.quantity * (1 - b.discount_percent / 100)
                   for ln, b in zip(lines, benefits, strict=True))

    assert total(with_bd) <= total(without) + 1e-6


# Item 8 of issue 13: the cashier's typed discount is never overwritten; the higher one applies.

def test_cashier_discount_higher_than_the_member_benefit_stays():
    [member] = apply_benefits(SENIOR, [full(559.0)], ORDINARY_DAY)
    applied = with_cashier_discount(member, 15.0)
    assert (applied.discount_percent, applied.kind) == (15.0, "cashier")


def test_member_benefit_higher_than_the_cashier_discount_applies_with_its_name():
    [member] = apply_benefits(SENIOR, [full(559.0)], ORDINARY_DAY)
    applied = with_cashier_discount(member, 2.0)
    assert applied == member
    assert applied.label == "Senior discount 5%"


def test_tie_keeps_the_named_member_benefit_and_no_typed_discount_changes_nothing():
    [member] = apply_benefits(SENIOR, [full(559.0)], MEMBER_DAY)
    assert with_cashier_discount(member, 15.0) == member
    assert with_cashier_discount(member, 0.0) == member


def test_cashier_discount_on_an_item_without_member_benefit():
    [none] = apply_benefits(SENIOR, [full(300.0, special=True)], ORDINARY_DAY)
    assert with_cashier_discount(none, 10.0).kind == "cashier"
    assert with_cashier_discount(none, 0.0).kind == "none"


@pytest.mark.parametrize("typed", [-1.0, 100.5])
def test_a_discount_outside_0_to_100_is_refused(typed):
    with pytest.raises(ValueError):
        with_cashier_discount(LineBenefit(5.0, "level", "Senior discount 5%"), typed)


@FAST
@given(
    member=st.floats(min_value=0, max_value=100, allow_nan=False),
    typed=st.floats(min_value=0, max_value=100, allow_nan=False),
)
def test_the_higher_of_the_two_always_applies(member, typed):
    benefit = LineBenefit(member, "level" if member else "none", "x")
    applied = with_cashier_discount(benefit, typed)
    assert applied.discount_percent == max(member, typed)
    assert applied.kind == ("cashier" if typed > member else benefit.kind)
