"""Pure tests of the what-if simulation (engine.simulation) and the replay's programme timeline."""

from dataclasses import replace
from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from vip_loyalty.engine import adoption
from vip_loyalty.engine import levels as lv
from vip_loyalty.engine import simulation as sim

START = date(2025, 3, 1)
TODAY = date(2026, 3, 1)
NEW = lv.MemberState(None, None, None, "none")


def level(id_, code, sequence, single=0.0, cumulative=0.0, discount=0.0, **extra):
    return dict({"id": id_, "code": code, "name": code.title(), "sequence": sequence,
                 "min_single_purchase": single, "min_cumulative_spend": cumulative, "qualify_window": "rolling_12m",
                 "min_points": 0, "retention_annual_spend": 0.0, "validity_months": 12, "is_permanent": False,
                 "discount_percent": discount, "points_multiplier": 1.0}, **extra)


def snapshot(senior_single=1000.0, amount_per_point=10.0):
    return {
        "levels": [level(1, "MEMBER", 10), level(2, "SENIOR", 20, senior_single, 2000.0, 5.0),
                   level(3, "VIP", 30, 2500.0, 4000.0, 10.0)],
        "rule": {"amount_per_point": amount_per_point, "points_per_step": 1, "deep_discount_threshold": 0.0,
                 "deep_discount_factor": 1.0, "discounted_lines_earn": True, "expiry_policy": "calendar_year",
                 "expiry_months": 12, "cash_points_block": 100, "cash_block_value": 3.0,
                 "excluded_product_ids": [99]},
        "bonuses": [],
        "policy": {"decay_months": 6, "lost_months": 12, "evaluation_mode": "continuous"},
        "auto_enrol": True,
        "refund_reevaluate": False,
    }


def sale(order_id, day, amount, redeem=0, product_id=1):
    stamp = datetime.combine(day, datetime.min.time()).replace(hour=12)
    return adoption.ReplayOrder(order_id, stamp, day, amount, customer_id=7, shop_id=1, user_id=2,
                                lines=(adoption.ReplayLine(amount, product_id=product_id),), redeem_points=redeem)


def member_with(orders):
    orders = sorted(orders, key=lambda o: (o.stamp, o.id))
    purchases = tuple((o.stamp, lv.Purchase(o.day, o.amount_total, o.id)) for o in orders)
    return adoption.ReplayMember(7, NEW, tuple(orders), purchases)


orders_strategy = st.lists(
    st.tuples(st.integers(0, 364), st.sampled_from([100.0, 559.0, 1000.0, 1200.0, 2000.0, 3000.0]),
              st.sampled_from([0, 0, 0, 100, 500])),
    min_size=1, max_size=8,
).map(lambda rows: member_with(sale(i + 1, START + timedelta(days=d), a, r) for i, (d, a, r) in enumerate(rows)))


def test_a_snapshot_replays_like_the_config_it_describes():
    member = member_with([sale(1, date(2025, 3, 10), 1200.0), sale(2, date(2025, 6, 2), 559.0, product_id=99)])
    config = sim.snapshot_config(snapshot())
    result = adoption.replay_member(member, config, START, TODAY)
    assert result.earned == {1: 120, 2: 0}, "product 99 is excluded by the snapshot's rule"
    assert result.order_levels == {1: None, 2: 2}, "the first order is paid before the enrolment"
    assert config.enrol_level.code == "MEMBER"


@settings(max_examples=60, deadline=None)
@given(member=orders_strategy)
def test_a_timeline_of_identical_versions_changes_nothing(member):
    config = sim.snapshot_config(snapshot())
    same = replace(config, earlier=((START + timedelta(days=120), sim.snapshot_config(snapshot())),))
    a, b = adoption.replay_member(member, config, START, TODAY), adoption.replay_member(member, same, START, TODAY)
    assert (a.state, a.balance, [(e.date, e.points) for e in a.entries]) == \
        (b.state, b.balance, [(e.date, e.points) for e in b.entries])


@settings(max_examples=60, deadline=None)
@given(member=orders_strategy, change=st.integers(0, 364))
def test_each_order_earns_under_the_programme_in_force_on_its_day(member, change):
    change_day = START + timedelta(days=change)
    old, new = sim.snapshot_config(snapshot()), sim.snapshot_config(snapshot(amount_per_point=5.0))
    timeline = replace(new, earlier=((change_day, old),))
    result = adoption.replay_member(member, timeline, START, TODAY)
    for order in member.orders:
        earned = result.earned.get(order.id)
        if earned:
            assert earned == int(order.amount_total // (10 if order.day < change_day else 5))


@settings(max_examples=60, deadline=None)
@given(member=orders_strategy)
def test_points_add_up_and_a_redemption_never_overdraws(member):
    result = adoption.replay_member(member, sim.snapshot_config(snapshot()), START, TODAY)
    figures = sim.ledger_figures(result)
    assert figures["issued"] - figures["reversed"] - figures["redeemed"] - figures["expired"] == result.balance
    assert result.balance >= 0
    redeemed = {e.order_id: -e.points for e in result.entries if e.entry_type == "redeem"}
    assert all(redeemed[o.id] <= o.redeem_points for o in member.orders if o.id in redeemed)


@settings(max_examples=40, deadline=None)
@given(members=st.lists(orders_strategy, min_size=1, max_size=5))
def test_the_aggregate_counts_every_member_once_on_each_side(members):
    configs = {"live": sim.snapshot_config(snapshot()), "scenario": sim.snapshot_config(snapshot(1500.0, 5.0))}
    percents = {side: sim.discount_percents(snapshot()) for side in configs}
    ranks = {side: sim.ranks(config) for side, config in configs.items()}
    totals = sim.Aggregate()
    outstanding = {"live": 0, "scenario": 0}
    for index, member in enumerate(members):
        member = replace(member, id=index + 1)
        results = {side: adoption.replay_member(member, config, START, TODAY) for side, config in configs.items()}
        for side in configs:
            outstanding[side] += results[side].balance
        totals.add(member, results, percents, {"live": (100, 3.0), "scenario": (100, 3.0)}, ranks)
        totals = sim.Aggregate(totals.to_json())  # as the job keeps it between slices
    assert sum(totals.matrix.values()) == len(members)
    for side in configs:
        assert totals.figures[side]["members"] == len(members)
        assert totals.figures[side]["outstanding"] == outstanding[side]
    assert len(totals.most_affected()) <= sim.MOST_AFFECTED
    live_discount = sum(row[0] for row in totals.months.values())
    scenario_discount = sum(row[1] for row in totals.months.values())
    assert scenario_discount <= live_discount + 1e-6, "a higher Senior threshold never gives more discount here"


def test_bad_scenarios_are_reported():
    today = date(2026, 3, 1)
    overlapping = snapshot()
    overlapping["levels"][2]["min_single_purchase"] = 900.0  # VIP below Senior
    assert any("lower than" in e for e in sim.validate(overlapping, START, today, today))
    same_rank = snapshot()
    same_rank["levels"][2]["sequence"] = 20
    assert any("same rank" in e for e in sim.validate(same_rank, START, today, today))
    assert any("earn rate" in e for e in sim.validate(snapshot(amount_per_point=-5), START, today, today))
    assert any("future" in e for e in sim.validate(snapshot(), today, today + timedelta(days=1), today))
    assert any("ends before" in e for e in sim.validate(snapshot(), today, START, today))
    assert sim.validate(snapshot(), START, today, today) == []


def test_changes_are_described_line_by_line():
    lines = sim.describe_changes(snapshot(), snapshot(1500.0, 5.0))
    assert "Senior: min_single_purchase 1000.0 → 1500.0" in lines
    assert "amount_per_point: 10.0 → 5.0" in lines
    assert len(lines) == 2
