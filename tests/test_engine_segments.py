from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from vip_loyalty.engine import analysis
from vip_loyalty.engine import segments as seg

TODAY = date(2026, 6, 15)
P = seg.SegmentParams()


def stats(**kw):
    kw.setdefault("partner_id", 1)
    return seg.MemberStats(**kw)


# -- ABC ------------------------------------------------------------------------------

def test_abc_once_twice_and_a_by_points_or_frequency():
    assert seg.abc_class(stats(), TODAY, P) is None
    assert seg.abc_class(stats(order_count=1, last_date=TODAY), TODAY, P) == "C"
    assert seg.abc_class(stats(order_count=2, last_date=TODAY), TODAY, P) == "B"
    assert seg.abc_class(stats(order_count=1, last_date=TODAY, points=50), TODAY, P) == "A"
    assert seg.abc_class(stats(order_count=1, last_date=TODAY, points=49), TODAY, P) == "C"
    assert seg.abc_class(stats(order_count=6, recent_count=6, last_date=TODAY), TODAY, P) == "A"
    assert seg.abc_class(stats(order_count=5, recent_count=5, last_date=TODAY), TODAY, P) == "B"


def test_abc_six_months_without_visit_drops_one_class():
    six_months_ago = date(2025, 12, 15)
    assert seg.abc_class(stats(order_count=2, last_date=six_months_ago), TODAY, P) == "C"
    assert seg.abc_class(stats(order_count=2, last_date=six_months_ago + timedelta(days=1)), TODAY, P) == "B"
    assert seg.abc_class(stats(order_count=1, last_date=six_months_ago, points=80), TODAY, P) == "B"
    assert seg.abc_class(stats(order_count=1, last_date=six_months_ago), TODAY, P) == "C"


@given(st.integers(0, 20), st.integers(0, 20), st.integers(0, 200), st.integers(0, 800))
def test_abc_drop_never_raises_a_class(count, recent, points, days_ago):
    recent = min(recent, count)
    last = TODAY - timedelta(days=days_ago) if count else None
    klass = seg.abc_class(stats(order_count=count, recent_count=recent, points=points, last_date=last), TODAY, P)
    fresh = seg.abc_class(stats(order_count=count, recent_count=recent, points=points,
                                last_date=TODAY if count else None), TODAY, P)
    if klass is None:
        assert fresh is None
    else:
        assert seg.ABC_ORDER.index(klass) >= seg.ABC_ORDER.index(fresh)
        assert seg.ABC_ORDER.index(klass) - seg.ABC_ORDER.index(fresh) <= 1


# -- lifecycle -------------------------------------------------------------------------

def test_lifecycle_stages_follow_the_contact_plan():
    first = TODAY - timedelta(days=10)
    assert seg.lifecycle_stage(stats(order_count=1, first_date=first, last_date=first), TODAY, P) == "new"
    old = date(2025, 1, 1)
    assert seg.lifecycle_stage(stats(order_count=3, first_date=old, last_date=TODAY), TODAY, P) == "active"
    assert seg.lifecycle_stage(stats(order_count=3, first_date=old, last_date=date(2026, 3, 15)), TODAY, P) == "silent"
    sleeping = stats(order_count=3, first_date=old, last_date=date(2025, 12, 15))
    assert seg.lifecycle_stage(sleeping, TODAY, P) == "sleeping"
    assert seg.lifecycle_stage(stats(order_count=3, first_date=old, last_date=date(2025, 6, 15)), TODAY, P) == "lost"
    assert seg.lifecycle_stage(stats(enrol_date=TODAY), TODAY, P) == "new"
    assert seg.lifecycle_stage(stats(), TODAY, P) == "new"


@given(st.integers(0, 1000), st.integers(0, 1000))
def test_lifecycle_moves_forward_with_time(days_a, days_b):
    first = date(2024, 1, 1)
    s = stats(order_count=2, first_date=first, last_date=first)
    order = {"new": 0, "active": 1, "silent": 2, "sleeping": 3, "lost": 4}
    a, b = sorted((days_a, days_b))
    stage_a = seg.lifecycle_stage(s, first + timedelta(days=a), P)
    stage_b = seg.lifecycle_stage(s, first + timedelta(days=b), P)
    assert order[stage_a] <= order[stage_b]


# -- purchase types --------------------------------------------------------------------------

def test_no_types_before_the_third_purchase():
    s = stats(order_count=2, lines=2, units=10, discounted_lines=2, first_date=TODAY, last_date=TODAY)
    assert seg.purchase_types(s, P, 0) == set()


def test_types_after_three_purchases():
    s = stats(order_count=3, lines=6, units=12, discounted_lines=4, new_arrival_lines=1, single_unit_orders=0,
              first_date=date(2026, 5, 1), last_date=date(2026, 6, 1), avg_unit_price=300,
              top_category_id=7, top_category_share=0.5)
    assert seg.purchase_types(s, P, 250) == {"promotion", "bulk", "frequent", "high_price"}
    single = stats(order_count=3, lines=3, units=3, single_unit_orders=3, new_arrival_lines=3,
                   first_date=date(2025, 1, 1), last_date=date(2026, 6, 1), avg_unit_price=100,
                   top_category_id=7, top_category_share=1.0)
    assert seg.purchase_types(single, P, 250) == {"single_item", "new_arrival", "style"}


def test_quantile_nearest_rank():
    assert seg.quantile([], 0.8) is None
    assert seg.quantile([5], 0.8) == 5
    assert seg.quantile([1, 2, 3, 4, 5], 0.8) == 4
    assert seg.quantile([1, 2, 3, 4, 5], 1.0) == 5
    assert seg.quantile([10, 1, 3, 2, 4, 6, 7, 8, 9, 5], 0.8) == 8


# -- RFM -----------------------------------------------------------------------------------

@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1), st.integers(0, n - 1))))
def test_quintile_from_rank_is_1_to_5_and_monotonic(case):
    count, a, b = case
    low, high = sorted((a, b))
    assert 1 <= seg.quintile_from_rank(low, count) <= seg.quintile_from_rank(high, count) <= 5
    assert seg.quintile_from_rank(0, count) == 1


def test_rfm_code():
    assert seg.rfm_code((5, 4, 3)) == "543"

# -- analysis formulas --------------------------------------------------------------------

def test_month_helpers():
    assert analysis.month_bounds(date(2026, 2, 17)) == (date(2026, 2, 1), date(2026, 3, 1))
    assert analysis.previous_month(date(2026, 1, 9)) == date(2025, 12, 1)
    assert analysis.same_month_last_year(date(2026, 2, 28)) == date(2025, 2, 1)


def test_new_member_target_low_season():
    low = analysis.parse_months("7, 8,9")
    assert low == {7, 8, 9}
    assert analysis.new_member_target(date(2026, 8, 1), 30, 20, low) == 20
    assert analysis.new_member_target(date(2026, 10, 1), 30, 20, low) == 30


def test_parse_months_refuses_junk():
    for text in ("13", "0", "x"):
        try:
            analysis.parse_months(text)
        except ValueError:
            continue
        raise AssertionError(text)


def test_kpis_by_hand():
    k = analysis.kpis({
        "member_count": 4, "active_member_count": 3, "member_sales": 300.0, "total_sales": 400.0,
        "new_member_sales": 100.0, "member_order_count": 3, "buying_member_count": 2, "units": 6,
        "transaction_count": 4, "ticket_sales": 400.0, "new_customer_registered": 2, "new_customer_count": 3,
    })
    assert k["dead_card_rate"] == 0.25
    assert k["contribution_rate"] == 0.75
    assert k["existing_member_sales"] == 200.0
    assert k["purchase_frequency"] == 1.5
    assert k["units_per_transaction"] == 1.5
    assert k["average_ticket"] == 100.0
    assert abs(k["registration_rate"] - 2 / 3) < 1e-12
    assert analysis.kpis({})["contribution_rate"] == 0.0


@given(st.integers(0, 1000), st.integers(0, 1000))
def test_rates_are_fractions(members, active):
    active = min(active, members)
    k = analysis.kpis({"member_count": members, "active_member_count": active})
    assert 0.0 <= k["dead_card_rate"] <= 1.0
