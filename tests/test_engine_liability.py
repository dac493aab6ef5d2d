"""Pure tests of vip_loyalty.engine.liability (no Odoo needed)."""

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from vip_loyalty.engine import liability
from vip_loyalty.engine.liability import MonthPoints, Movement

FAST = settings(max_examples=200, deadline=None)


def test_hand_worked_month():
    """Earn 9,000, redeem 4,500, expire 300 at 0.03 a point and 10% breakage."""
    lines = liability.month_lines(
        Movement(earned=9000, redeemed=4500, expired=300), outstanding=4200,
        point_value=0.03, breakage_rate=0.10, booked_cents=0,
    )
    assert [(line.kind, line.points, line.cents) for line in lines] == [
        ("deferral", 9000, 24300),      # 9000 × 0.03 × 0.9 = 243.00
        ("redemption", 4500, -12150),   # 4500 × 0.03 × 0.9 = 121.50
        ("breakage", 300, -810),        # 300 × 0.03 × 0.9 = 8.10
    ]
    assert sum(line.cents for line in lines) == 11340  # 4200 × 0.027 = 113.40


def test_nothing_new_moves_nothing():
    assert liability.month_lines(Movement(), 4200, 0.03, 0.10, booked_cents=11340) == []


def test_changed_estimate_is_one_catchup_line():
    """Breakage 10% -> 20% on 4,200 held: 4200 × 0.03 × 0.1 = 12.60 released."""
    lines = liability.month_lines(Movement(), 4200, 0.03, 0.20, booked_cents=11340, estimate_changed=True)
    assert [(line.kind, line.points, line.cents) for line in lines] == [("catchup", 4200, -1260)]
    # With movement in the month, the catch-up carries the points held before it.
    lines = liability.month_lines(Movement(redeemed=200), 4000, 0.03, 0.20, booked_cents=11340, estimate_changed=True)
    assert [(line.kind, line.points, line.cents) for line in lines] == [
        ("redemption", 200, -480), ("catchup", 4200, -1260)]


def test_classify_by_sign():
    assert liability.classify("earn", 10) == "deferral"
    assert liability.classify("compensation", 10) == "deferral"
    assert liability.classify("reverse", 5) == "deferral", "points given back on a refund"
    assert liability.classify("redeem", -10) == "redemption"
    assert liability.classify("reverse", -10) == "redemption"
    assert liability.classify("adjust", -10) == "redemption"
    assert liability.classify("expire", -10) == "breakage"


def test_breakage_rate_bounds():
    assert liability.check_breakage_rate(0.0)
    assert liability.check_breakage_rate(1.0)
    assert not liability.check_breakage_rate(-0.01)
    assert not liability.check_breakage_rate(1.5)


def test_observed_breakage():
    assert liability.observed_breakage(300, 4800) == 300 / 4800
    assert liability.observed_breakage(0, 0) == 0.0


def test_month_arithmetic():
    assert liability.month_end(date(2024, 2, 10)) == date(2024, 2, 29)
    assert liability.next_month(date(2025, 12, 31)) == date(2026, 1, 1)
    assert liability.add_months(date(2026, 1, 1), -13) == date(2024, 12, 1)
    assert liability.months_between(date(2025, 11, 15), date(2026, 2, 1)) == [
        date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]


MONTH = st.tuples(
    st.integers(0, 50_000), st.integers(0, 50_000), st.integers(0, 50_000),
    st.sampled_from([0.01, 0.03, 0.05, 0.125]), st.sampled_from([0.0, 0.1, 0.15, 0.333, 0.5, 1.0]),
)


@FAST
@given(st.lists(MONTH, min_size=1, max_size=12), st.integers(0, 3))
def test_identity_after_any_sequence(months, digits):
    """After every month end: booked liability == outstanding × value × (1 − breakage), to the minor unit."""
    booked = 0
    outstanding = 0
    estimate = None
    for earned, redeemed, expired, value, rate in months:
        # Points cannot leave more than are held.
        redeemed = min(redeemed, outstanding + earned)
        expired = min(expired, outstanding + earned - redeemed)
        outstanding += earned - redeemed - expired
        changed = estimate is not None and estimate != (value, rate)
        lines = liability.month_lines(
            Movement(earned=earned, redeemed=redeemed, expired=expired), outstanding, value, rate,
            booked, estimate_changed=changed, digits=digits,
        )
        booked += sum(line.cents for line in lines)
        assert booked == liability.target_cents(outstanding, value, rate, digits)
        kinds = [line.kind for line in lines]
        assert len(kinds) == len(set(kinds)), "one line per kind"
        assert all(line.points >= 0 for line in lines)
        if not changed:
            assert "catchup" not in kinds
            rounding = [line for line in lines if line.kind == "rounding"]
            assert all(abs(line.cents) <= 3 for line in rounding), "only the rounding of three lines"
        # A second run of the same month moves nothing.
        assert liability.month_lines(Movement(), outstanding, value, rate, booked, digits=digits) == []
        estimate = (value, rate)


@FAST
@given(st.lists(MONTH, min_size=1, max_size=12), st.integers(0, 10_000))
def test_report_rolls_forward(months, opening):
    rows_in, estimates = [], {}
    held = opening
    for index, (earned, redeemed, expired, value, rate) in enumerate(months):
        redeemed = min(redeemed, held + earned)
        expired = min(expired, held + earned - redeemed)
        held += earned - redeemed - expired
        month = liability.add_months(date(2025, 1, 1), index)
        rows_in.append(MonthPoints(month, earned, redeemed, expired))
        estimates[month] = (value, rate)
    rows = liability.report_rows(opening, rows_in, estimates)
    for previous, row in zip([None, *rows], rows, strict=False):
        if previous:
            assert row.opening == previous.closing
            assert row.opening_cents == previous.closing_cents
        assert row.closing == row.opening + row.earned - row.redeemed - row.expired
        assert row.closing_cents == row.opening_cents + row.earned_cents - row.redeemed_cents \
            - row.expired_cents + row.catchup_cents
        assert row.closing_cents == liability.target_cents(row.closing, row.point_value, row.breakage_rate)
    assert rows[-1].closing == held
