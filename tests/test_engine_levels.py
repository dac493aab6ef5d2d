"""Pure tests of the level engine (DESIGN.md sections 4 and 5). No Odoo needed."""

import dataclasses
from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from vip_loyalty.engine import levels as lv

L = lv.LevelSpec
P = lv.Purchase
M = lv.MemberState

# Seed 000: Member / Senior / VIP / Supreme, rolling 12 months, 12 months validity.
MEMBER = L(1, "MEMBER", "Member", 10, validity_months=12)
SENIOR = L(
    2,
    "SENIOR",
    "Senior",
    20,
    1000,
    2000,
    retention_annual_spend=1099,
    validity_months=12,
)
VIP = L(
    3, "VIP", "VIP", 30, 2500, 4000, retention_annual_spend=2499, validity_months=12
)
SUPREME = L(
    4,
    "SUPREME",
    "SUPREME",
    40,
    3500,
    8000,
    min_points=5000,
    retention_annual_spend=3499,
    validity_months=12,
)
SEED000 = [SUPREME, MEMBER, VIP, SENIOR]  # deliberately unsorted

# Seed 002: VIP for a year (cum 1800 or single 500), +500 renews; lifetime 5000 = permanent Gold.
VIP2 = L(
    11, "VIP", "VIP", 10, 500, 1800, retention_annual_spend=500, validity_months=12
)
GOLD = L(12, "GOLD", "Gold", 20, 0, 5000, qualify_window="lifetime", is_permanent=True)
SEED002 = [VIP2, GOLD]

CONT = lv.Policy()
NO_DECAY = lv.Policy(decay_months=0, lost_months=0)
SEMI = lv.Policy(evaluation_mode="semiannual")
NONE = M(None, None, None, "none")
D0 = date(2024, 1, 15)


def order(levels, member, purchases, on, amount, points=0, policy=CONT):
    """Pay one order: add it to the history and evaluate it, like pos.order does."""
    purchases = [*purchases, P(on, amount)]
    d = lv.evaluate_order(levels, member, purchases, points, on, amount, policy)
    return (lv.apply(member, d) if d else member), purchases, d


# ----------------------------------------------------------------- basics


def test_sort_levels_by_sequence_then_id():
    a, b = L(5, "A", "A", 10), L(2, "B", "B", 10)
    assert lv.sort_levels([SUPREME, a, MEMBER, b]) == [MEMBER, b, a, SUPREME]


@pytest.mark.parametrize("table", [SEED000, SEED002])
def test_seed_tables_are_valid(table):
    assert lv.validate_levels(table) == []


def test_validate_levels_messages():
    bad = [
        L(1, "X", "Low", 10, min_single_purchase=2000),
        L(2, "X", "High", 20, min_single_purchase=1000, qualify_window="weekly"),
        L(3, "N", "Neg", 30, min_points=-1, validity_months=-2),
    ]
    errors = lv.validate_levels(bad)
    text = "\n".join(errors)
    assert "weekly" in text
    assert "code 'X'" in text
    assert "High: single purchase threshold 1,000.00 is lower than 2,000.00" in text
    assert "min_points" in text and "validity_months" in text
    # A zero threshold means "not used", so it is never an inversion.
    assert (
        lv.validate_levels(
            [L(1, "A", "A", 1, 0, 500), L(2, "B", "B", 2, 0, 0, min_points=9)]
        )
        == []
    )


@pytest.mark.parametrize(
    "window, on, start",
    [
        ("rolling_12m", date(2024, 5, 10), date(2023, 5, 11)),
        ("rolling_12m", date(2024, 2, 29), date(2023, 3, 1)),
        ("calendar_year", date(2024, 5, 10), date(2024, 1, 1)),
        ("quarter", date(2024, 5, 10), date(2024, 4, 1)),
        ("quarter", date(2024, 12, 31), date(2024, 10, 1)),
        ("lifetime", date(2024, 5, 10), None),
    ],
)
def test_window_start(window, on, start):
    assert lv.window_start(window, on) == start


def test_window_start_rejects_unknown():
    with pytest.raises(ValueError):
        lv.window_start("weekly", D0)


def test_qualify_descriptions():
    assert (
        lv.qualifies(VIP, [P(D0, 2600)], 0, D0)
        == "single purchase 2,600.00 ≥ 2,500.00 → VIP"
    )
    assert (
        lv.qualifies(VIP, [P(D0, 2000), P(D0, 2000)], 0, D0)
        == "cumulative spend (rolling 12 months) 4,000.00 ≥ 4,000.00 → VIP"
    )
    assert lv.qualifies(SUPREME, [], 5000, D0) == "points 5,000 ≥ 5,000 → SUPREME"
    assert lv.qualifies(MEMBER, [P(D0, 1)], 0, D0) == "any purchase → Member"
    assert lv.qualifies(MEMBER, [P(D0, -10)], 0, D0) is None
    # single_amount overrides the history (the paying order only).
    assert lv.qualifies(SENIOR, [P(D0, 1500)], 0, D0, single_amount=900) is None
    # Cent rounding: 0.1 + 0.2 reaches 0.3.
    assert lv.qualifies(L(9, "T", "T", 1, 0, 0.3), [P(D0, 0.1), P(D0, 0.2)], 0, D0)


def test_single_purchase_outside_window_does_not_count():
    old = [P((D0 + relativedelta(months=-13)), 3000)]
    assert lv.best_qualifying(SEED000, old, 0, D0)[0] == MEMBER


# ----------------------------------------------------------------- seed 000 on order


def test_seed000_single_1000_gives_senior():
    m, _, d = order(SEED000, NONE, [], D0, 1000)
    assert (d.level_id, d.reason, d.state) == (SENIOR.id, "upgrade", "active")
    assert d.rule_description == "single purchase 1,000.00 ≥ 1,000.00 → Senior"
    assert (d.level_since, d.valid_until) == (D0, date(2025, 1, 15))


def test_seed000_small_first_purchase_gives_member():
    _, _, d = order(SEED000, NONE, [], D0, 59)
    assert (d.level_id, d.rule_description) == (MEMBER.id, "any purchase → Member")


def test_seed000_two_orders_2000_give_vip():
    m, ps, d1 = order(SEED000, NONE, [], D0, 2000)
    assert d1.level_id == SENIOR.id
    m, ps, d2 = order(SEED000, m, ps, D0 + timedelta(days=40), 2000)
    assert d2.level_id == VIP.id
    assert (
        d2.rule_description
        == "cumulative spend (rolling 12 months) 4,000.00 ≥ 4,000.00 → VIP"
    )
    assert m.level_since == D0 + timedelta(days=40)


def test_seed000_5000_points_give_supreme():
    m = M(VIP.id, D0, (D0 + relativedelta(months=12)))
    _, _, d = order(SEED000, m, [P(D0, 2600)], D0 + timedelta(days=3), 100, points=5000)
    assert d.level_id == SUPREME.id
    assert d.rule_description == "points 5,000 ≥ 5,000 → SUPREME"


def test_order_same_level_is_no_decision():
    m = M(VIP.id, D0, (D0 + relativedelta(months=12)))
    assert order(SEED000, m, [P(D0, 2600)], D0 + timedelta(days=1), 2600)[2] is None


def test_order_reactivates_lapsed_or_lost_member():
    expired = M(SENIOR.id, D0, (D0 + relativedelta(months=12)), "lapsed")
    on = date(2025, 3, 1)
    d = order(SEED000, expired, [], on, 50)[2]
    assert (d.level_id, d.reason, d.state) == (SENIOR.id, "renewal", "active")
    assert d.rule_description == "purchase reactivates membership"
    assert (d.valid_until, d.level_since) == (date(2026, 3, 1), D0)
    still_valid = M(SENIOR.id, D0, date(2025, 6, 1), "lost")
    d = order(SEED000, still_valid, [], on, 50)[2]
    assert (d.reason, d.valid_until, d.state) == ("renewal", date(2025, 6, 1), "active")
    # A refund is not a purchase.
    assert order(SEED000, still_valid, [], on, -50)[2] is None


# ----------------------------------------------------------------- seed 002


def vip2_member():
    m, ps, d = order(SEED002, NONE, [], D0, 600)
    assert (d.level_id, d.valid_until) == (VIP2.id, date(2025, 1, 15))
    return m, ps


def test_seed002_500_during_validity_renews_for_a_year():
    m, ps = vip2_member()
    m, ps, _ = order(SEED002, m, ps, date(2024, 12, 1), 500)
    d = lv.evaluate_nightly(SEED002, m, ps, 0, date(2025, 1, 16), NO_DECAY)
    assert (d.level_id, d.reason, d.valid_until, d.level_since) == (
        VIP2.id,
        "renewal",
        date(2026, 1, 15),
        D0,
    )
    assert (
        d.rule_description
        == "spend during validity 500.00 ≥ 500.00 renews VIP until 2026-01-15"
    )
    assert (
        lv.evaluate_nightly(SEED002, lv.apply(m, d), ps, 0, date(2025, 1, 16), NO_DECAY)
        is None
    )


def test_seed002_less_than_500_lapses_and_purchase_reactivates():
    m, ps = vip2_member()
    m, ps, _ = order(SEED002, m, ps, date(2024, 12, 1), 499.99)
    today = date(2025, 1, 16)
    d = lv.evaluate_nightly(SEED002, m, ps, 0, today, NO_DECAY)
    # VIP is the lowest level here: it stays, the membership lapses.
    assert (d.level_id, d.reason, d.state) == (VIP2.id, "lapse", "lapsed")
    assert d.rule_description == "spend during validity 499.99 < 500.00: VIP lapsed"
    m = lv.apply(m, d)
    assert lv.evaluate_nightly(SEED002, m, ps, 0, today, NO_DECAY) is None
    assert (
        lv.evaluate_nightly(SEED002, m, ps, 0, today + timedelta(days=30), NO_DECAY)
        is None
    )
    m, ps, d = order(SEED002, m, ps, date(2025, 2, 1), 80)
    assert (d.reason, d.state, d.valid_until) == ("renewal", "active", date(2026, 2, 1))


def test_seed000_lapse_steps_down_one_level():
    m = M(VIP.id, D0, date(2025, 1, 15))
    ps = [P(D0, 2600), P(date(2024, 12, 20), 1000)]
    d = lv.evaluate_nightly(SEED000, m, ps, 0, date(2025, 1, 16), CONT)
    assert (d.level_id, d.reason, d.level_since, d.valid_until) == (
        SENIOR.id,
        "lapse",
        date(2025, 1, 16),
        date(2026, 1, 16),
    )
    assert (
        d.rule_description == "spend during validity 1,000.00 < 2,499.00: VIP → Senior"
    )


def test_seed002_permanent_gold_never_drops():
    m, ps = vip2_member()
    m, ps, d = order(SEED002, m, ps, date(2024, 3, 1), 4400)
    assert (d.level_id, d.valid_until) == (GOLD.id, None)
    assert (
        "cumulative spend (lifetime) 5,000.00 ≥ 5,000.00 → Gold" == d.rule_description
    )
    for years in (1, 3, 10):
        today = date(2024, 3, 1) + relativedelta(months=12 * years)
        d = lv.evaluate_nightly(SEED002, m, ps, 0, today, SEMI)
        if d is not None:
            assert (d.level_id, d.reason) == (GOLD.id, "lost")
            m = lv.apply(m, d)
    assert (m.level_id, m.state) == (GOLD.id, "lost")


# ----------------------------------------------------------------- decay and lost


def test_decay_after_7_months_drops_exactly_one_level():
    m = M(VIP.id, D0, (D0 + relativedelta(months=12)))
    ps = [P(D0, 2600)]
    today = (D0 + relativedelta(months=7))
    d = lv.evaluate_nightly(SEED000, m, ps, 0, today, CONT)
    assert (d.level_id, d.reason, d.level_since, d.valid_until, d.state) == (
        SENIOR.id,
        "downgrade",
        today,
        (today + relativedelta(months=12)),
        "active",
    )
    assert d.rule_description == "no purchase since 2024-01-15: VIP → Senior"
    m = lv.apply(m, d)
    assert lv.evaluate_nightly(SEED000, m, ps, 0, today, CONT) is None
    assert (
        lv.evaluate_nightly(SEED000, m, ps, 0, today + timedelta(days=1), CONT) is None
    )


def test_no_decay_before_6_months_or_when_off():
    m = M(VIP.id, D0, (D0 + relativedelta(months=12)))
    ps = [P(D0, 2600)]
    assert (
        lv.evaluate_nightly(
            SEED000, m, ps, 0, (D0 + relativedelta(months=6)) - timedelta(days=1), CONT
        )
        is None
    )
    assert lv.evaluate_nightly(SEED000, m, ps, 0, (D0 + relativedelta(months=7)), NO_DECAY) is None


def test_13_months_without_purchase_is_lost_day_by_day():
    m, ps, _ = order(SEED000, NONE, [], D0, 2600)
    history = []
    day = D0
    while day <= (D0 + relativedelta(months=13)):
        d = lv.evaluate_nightly(SEED000, m, ps, 0, day, CONT)
        if d:
            history.append((day, d.reason, d.level_id))
            m = lv.apply(m, d)
        day += timedelta(days=1)
    # One decay at 6 months, lost at 12 months, and lost members are not decayed further.
    assert history == [
        ((D0 + relativedelta(months=6)), "downgrade", SENIOR.id),
        ((D0 + relativedelta(months=12)), "lost", SENIOR.id),
    ]
    assert m.state == "lost"


def test_lost_direct():
    m = M(GOLD.id, D0, None)
    d = lv.evaluate_nightly(SEED002, m, [P(D0, 5000)], 0, (D0 + relativedelta(months=13)), CONT)
    assert (d.reason, d.state, d.level_id) == ("lost", "lost", GOLD.id)
    assert d.rule_description == "no purchase since 2024-01-15: lost customer"


def test_chained_rules_merge_into_one_idempotent_decision():
    # Validity ended (free renewal) and 13 months without purchase: renewal + lost.
    m = M(MEMBER.id, D0, (D0 + relativedelta(months=12)))
    today = (D0 + relativedelta(months=13))
    d = lv.evaluate_nightly(SEED000, m, [P(D0, 10)], 0, today, CONT)
    assert (d.reason, d.state, d.valid_until) == ("lost", "lost", (D0 + relativedelta(months=24)))
    assert (
        "renews Member" in d.rule_description and "lost customer" in d.rule_description
    )
    assert (
        lv.evaluate_nightly(SEED000, lv.apply(m, d), [P(D0, 10)], 0, today, CONT)
        is None
    )


def test_no_level_or_none_state_is_ignored():
    assert lv.evaluate_nightly(SEED000, NONE, [], 0, D0, CONT) is None
    assert (
        lv.evaluate_nightly(
            SEED000, M(VIP.id, D0, D0, "none"), [], 0, D0 + timedelta(400), CONT
        )
        is None
    )


# ----------------------------------------------------------------- seed 001 semiannual


def test_semiannual_order_only_top_level_applies_at_once():
    m = M(MEMBER.id, D0, (D0 + relativedelta(months=12)))
    assert (
        order(SEED000, m, [P(D0, 10)], D0 + timedelta(days=5), 2600, policy=SEMI)[2]
        is None
    )
    d = order(SEED000, m, [P(D0, 10)], D0 + timedelta(days=5), 3600, policy=SEMI)[2]
    assert d.level_id == SUPREME.id
    # Entry still happens at once: the nightly run never picks up level-less members.
    assert order(SEED000, NONE, [], D0, 1200, policy=SEMI)[2].level_id == SENIOR.id


def test_semiannual_reevaluation_on_30_june_upgrades():
    m = M(MEMBER.id, D0, (D0 + relativedelta(months=12)))
    ps = [P(D0, 10), P(D0 + timedelta(days=5), 2600)]
    assert lv.evaluate_nightly(SEED000, m, ps, 0, date(2024, 6, 29), SEMI) is None
    d = lv.evaluate_nightly(SEED000, m, ps, 0, date(2024, 6, 30), SEMI)
    assert (d.level_id, d.reason, d.level_since) == (
        VIP.id,
        "upgrade",
        date(2024, 6, 30),
    )
    assert (
        d.rule_description == "re-evaluation: single purchase 2,600.00 ≥ 2,500.00 → VIP"
    )
    assert (
        lv.evaluate_nightly(SEED000, lv.apply(m, d), ps, 0, date(2024, 6, 30), SEMI)
        is None
    )


def test_semiannual_reevaluation_downgrades_only_after_validity():
    table = [dataclasses.replace(x, validity_months=0) for x in SEED000]
    ps = [P(date(2024, 3, 1), 1500)]
    keep = M(VIP.id, D0, date(2025, 1, 15))
    assert lv.evaluate_nightly(table, keep, ps, 0, date(2024, 6, 30), SEMI) is None
    m = M(VIP.id, D0, None)
    d = lv.evaluate_nightly(table, m, ps, 0, date(2024, 6, 30), SEMI)
    assert (d.level_id, d.reason) == (SENIOR.id, "downgrade")
    assert d.rule_description.endswith(": VIP → Senior")


# ----------------------------------------------------------------- properties

DAY = st.dates(date(2022, 1, 1), date(2026, 12, 31))
TODAY = st.one_of(
    DAY, st.sampled_from([date(2024, 6, 30), date(2024, 12, 31), date(2025, 6, 30)])
)
AMOUNT = st.floats(-3000, 6000, allow_nan=False).map(lambda x: round(x, 2))
PURCHASES = st.lists(st.builds(P, DAY, AMOUNT), max_size=8)
POINTS = st.integers(0, 8000)
POLICY = st.builds(
    lv.Policy,
    st.sampled_from([0, 1, 6]),
    st.sampled_from([0, 3, 12]),
    st.sampled_from(["continuous", "semiannual"]),
)


@st.composite
def random_table(draw):
    n = draw(st.integers(1, 5))
    money = st.sampled_from([0, 0, 300, 1000, 2500, 4000])
    return [
        L(
            id=i + 1,
            code=f"L{i}",
            name=f"L{i}",
            sequence=draw(st.integers(0, 4)),
            min_single_purchase=draw(money),
            min_cumulative_spend=draw(money),
            qualify_window=draw(st.sampled_from(lv.WINDOWS)),
            min_points=draw(st.sampled_from([0, 0, 1000, 5000])),
            retention_annual_spend=draw(st.sampled_from([0, 500, 2499])),
            validity_months=draw(st.sampled_from([0, 1, 12])),
            is_permanent=draw(st.integers(0, 3)) == 0,
        )
        for i in range(n)
    ]


TABLE = st.one_of(st.just(SEED000), st.just(SEED002), random_table())


@st.composite
def table_and_member(draw):
    table = draw(TABLE)
    member = M(
        draw(st.one_of(st.none(), st.sampled_from([x.id for x in table]))),
        draw(st.one_of(st.none(), DAY)),
        draw(st.one_of(st.none(), DAY)),
        draw(st.sampled_from(lv.STATES)),
    )
    return table, member


def rank(table, level_id):
    ids = [x.id for x in lv.sort_levels(table)]
    return ids.index(level_id) if level_id in ids else -1


@settings(max_examples=120, deadline=None)
@given(
    TABLE,
    PURCHASES,
    POINTS,
    TODAY,
    st.floats(0, 5000, allow_nan=False),
    st.integers(0, 3000),
)
def test_more_spend_or_points_never_gives_a_lower_level(
    table, ps, points, on, extra, more_points
):
    def best(purchases, pts):
        b = lv.best_qualifying(table, purchases, pts, on)
        return rank(table, b[0].id) if b else -1

    base = best(ps, points)
    assert best([*ps, P(on, extra)], points) >= base
    assert best(ps, points + more_points) >= base


@settings(max_examples=120, deadline=None)
@given(table_and_member(), PURCHASES, POINTS, TODAY, AMOUNT, POLICY)
def test_evaluate_order_never_lowers_the_level(tm, ps, points, on, amount, policy):
    table, member = tm
    d = lv.evaluate_order(
        table, member, [*ps, P(on, amount)], points, on, amount, policy
    )
    if d is not None:
        assert d.reason in ("upgrade", "renewal")
        assert d.state == "active"
        assert rank(table, d.level_id) >= rank(table, member.level_id)
        if d.reason == "upgrade":
            assert rank(table, d.level_id) > rank(table, member.level_id)


@settings(max_examples=120, deadline=None)
@given(table_and_member(), PURCHASES, POINTS, TODAY, POLICY)
def test_evaluate_nightly_is_idempotent(tm, ps, points, today, policy):
    table, member = tm
    d = lv.evaluate_nightly(table, member, ps, points, today, policy)
    if d is not None:
        assert d.reason in lv.REASONS and d.state in lv.STATES
        assert (
            lv.evaluate_nightly(table, lv.apply(member, d), ps, points, today, policy)
            is None
        )


@settings(max_examples=100, deadline=None)
@given(
    st.one_of(st.just(SEED002), random_table()),
    st.lists(TODAY, min_size=1, max_size=12),
    PURCHASES,
    POINTS,
    POLICY,
    st.sampled_from(lv.STATES[1:]),
    st.one_of(st.none(), DAY),
)
def test_permanent_level_never_changes(
    table, days, ps, points, policy, state, valid_until
):
    perm = [x for x in table if x.is_permanent]
    if not perm:
        perm = [GOLD]
        table = [*table, dataclasses.replace(GOLD, id=99, code="PERM")]
        perm = [table[-1]]
    m = M(perm[0].id, date(2022, 1, 1), valid_until, state)
    for today in sorted(days):
        d = lv.evaluate_nightly(table, m, ps, points, today, policy)
        if d is not None:
            m = lv.apply(m, d)
        assert m.level_id == perm[0].id


NON_NEGATIVE = [
    "min_single_purchase",
    "min_cumulative_spend",
    "min_points",
    "retention_annual_spend",
    "validity_months",
]


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(SEED000), st.sampled_from(NON_NEGATIVE), st.integers(1, 10_000))
def test_validate_catches_negative_numbers(level, field, value):
    table = [x for x in SEED000 if x != level] + [
        dataclasses.replace(level, **{field: -value})
    ]
    errors = lv.validate_levels(table)
    assert any(level.name in e and field in e and "negative" in e for e in errors)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_validate_catches_inverted_thresholds(data):
    field = data.draw(st.sampled_from(["min_single_purchase", "min_cumulative_spend"]))
    low, high = sorted(
        data.draw(
            st.sets(st.sampled_from([SENIOR, VIP, SUPREME]), min_size=2, max_size=2)
        ),
        key=lambda x: x.sequence,
    )
    below = data.draw(st.integers(1, int(getattr(low, field)) - 1))
    table = [x for x in SEED000 if x != high] + [
        dataclasses.replace(high, **{field: below})
    ]
    errors = lv.validate_levels(table)
    assert any(e.startswith(f"{high.name}:") and "lower than" in e for e in errors)
