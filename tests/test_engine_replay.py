"""Pure tests of the history replay (engine.adoption.replay_member) and the nightly filter."""

from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from vip_loyalty.engine import adoption
from vip_loyalty.engine import levels as lv
from vip_loyalty.engine import points as pe

MEMBER = lv.LevelSpec(1, "MEMBER", "Member", 10, validity_months=12)
SENIOR = lv.LevelSpec(2, "SENIOR", "Senior", 20, 1000, 2000, retention_annual_spend=1099, validity_months=12)
VIP = lv.LevelSpec(3, "VIP", "VIP", 30, 2500, 4000, retention_annual_spend=2499, validity_months=12)
GOLD = lv.LevelSpec(4, "GOLD", "Gold", 40, 0, 20000, qualify_window="lifetime", is_permanent=True)
SPECS = (MEMBER, SENIOR, VIP, GOLD)
CONFIG = adoption.ReplayConfig(
    specs=SPECS, policy=lv.Policy(), rule=pe.EarnRule(), enrol_level=MEMBER,
    permanent_ids=frozenset({GOLD.id}), refund_reevaluate=True,
)
START = date(2025, 3, 1)
TODAY = date(2026, 3, 1)
NEW = lv.MemberState(None, None, None, "none")


def sale(order_id, day, amount):
    stamp = datetime.combine(day, datetime.min.time()).replace(hour=12)
    return adoption.ReplayOrder(order_id, stamp, day, amount, customer_id=7, shop_id=1, user_id=2,
                                lines=(adoption.ReplayLine(amount),))


def member_with(orders, returns=()):
    """A member whose ``orders`` are sales and ``returns`` are (id, day, origin id, share) returns."""
    orders = list(orders)
    origins = {}
    for return_id, day, origin_id, share in returns:
        origin = next(o for o in orders if o.id == origin_id)
        amount = -round(origin.amount_total * share, 2)
        stamp = datetime.combine(day, datetime.min.time()).replace(hour=13)
        orders.append(adoption.ReplayOrder(return_id, stamp, day, amount, customer_id=7,
                                           lines=(adoption.ReplayLine(amount, refunded_order_id=origin_id),)))
        previous = origins.get(origin_id, adoption.ReplayOrigin(f"Order {origin_id}", origin.amount_total))
        origins[origin_id] = adoption.ReplayOrigin(previous.name, previous.amount_total,
                                                   previous.returns + (adoption.ReplayReturn(stamp, amount),))
    orders.sort(key=lambda o: (o.stamp, o.id))
    purchases = tuple((o.stamp, lv.Purchase(o.day, o.amount_total, o.id)) for o in orders)
    return adoption.ReplayMember(7, NEW, tuple(orders), purchases, origins, advisor_id=None)


def test_a_year_of_orders_enrols_earns_upgrades_and_expires():
    member = member_with([sale(1, date(2025, 3, 10), 559.0), sale(2, date(2025, 5, 2), 1000.0)])
    result = adoption.replay_member(member, CONFIG, START, TODAY)
    assert result.enrolment == (date(2025, 3, 10), 1, 2), "enrolled at the first sale, by its cashier"
    assert [(e.entry_type, e.points) for e in result.entries] == [("earn", 55), ("earn", 100),
                                                                   ("expire", -55), ("expire", -100)]
    assert result.entries[2].date == date(2026, 1, 1), "calendar-year points expire on the first night of 2026"
    assert result.entries[2].reversed_key == 0
    assert result.earned == {1: 55, 2: 100}
    assert [(m.decision.reason, m.decision.level_id) for m in result.moves][:2] == [("upgrade", 1), ("upgrade", 2)]
    assert result.balance == 0 and all(e.remaining == 0 for e in result.entries)
    assert result.stats == (1559.0, date(2025, 5, 2), 2)


def test_a_half_return_reverses_half_of_that_orders_points():
    member = member_with([sale(1, date(2025, 11, 10), 1110.0)], returns=[(2, date(2025, 11, 20), 1, 0.5)])
    result = adoption.replay_member(member, CONFIG, START, date(2025, 12, 1))
    earn, reverse = result.entries
    assert (earn.points, reverse.points, reverse.reversed_key) == (111, -56, earn.key)
    assert earn.remaining == 55 and result.balance == 55
    assert result.earned == {1: 111, 2: 0}
    assert "return of -555.00" not in reverse.description and "555.00" in reverse.description


def test_nothing_before_the_start_date_is_replayed():
    member = member_with([sale(1, date(2025, 2, 1), 1500.0), sale(2, date(2025, 3, 5), 600.0)])
    result = adoption.replay_member(member, CONFIG, START, date(2025, 4, 1))
    assert result.earned == {2: 60}
    assert result.stats == (2100.0, date(2025, 3, 5), 2), "the older order still counts as a purchase"
    assert [m.decision.level_id for m in result.moves] == [1, 2], "2,100 in the rolling window: Senior"


amounts = st.floats(min_value=1, max_value=3000, allow_nan=False).map(lambda x: round(x, 2))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 364), amounts), min_size=1, max_size=12),
       st.lists(st.tuples(st.integers(0, 11), st.integers(1, 60), st.sampled_from([0.25, 0.5, 1.0])), max_size=4))
def test_replayed_ledger_is_consistent(sales, returns):
    orders = [sale(i + 1, START + timedelta(days=day), amount) for i, (day, amount) in enumerate(sales)]
    chosen = []
    for n, (index, delay, share) in enumerate(returns):
        origin = orders[index % len(orders)]
        if any(c[2] == origin.id for c in chosen):
            continue  # one return per order keeps the share meaningful
        chosen.append((100 + n, origin.day + timedelta(days=delay), origin.id, share))
    result = adoption.replay_member(member_with(orders, chosen), CONFIG, START, TODAY)
    assert result.balance == sum(e.points for e in result.entries)
    for entry in result.entries:
        assert 0 <= entry.remaining <= max(entry.points, 0)
        if entry.entry_type == "earn":
            reversed_points = -sum(e.points for e in result.entries
                                   if e.entry_type == "reverse" and e.reversed_key == entry.key)
            assert 0 <= reversed_points <= entry.points
    expired = [e for e in result.entries if e.entry_type == "expire"]
    assert len({e.reversed_key for e in expired}) == len(expired), "a lot expires once"
    assert all(result.entries[e.reversed_key].expiry_date < e.date for e in expired)
    assert all(not e.expiry_date or e.expiry_date >= TODAY or e.remaining == 0 for e in result.entries), \
        "no lot past its expiry keeps points"
    days = [m.date for m in result.moves]
    assert days == sorted(days)


states = st.sampled_from(["active", "lapsed", "lost"])
opt_days = st.one_of(st.none(), st.integers(0, 900).map(lambda d: date(2024, 1, 1) + timedelta(days=d)))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SPECS), states, opt_days, opt_days,
       st.lists(st.tuples(st.integers(0, 900), amounts), max_size=6),
       st.integers(0, 900), st.sampled_from([lv.Policy(), lv.Policy(evaluation_mode="semiannual"),
                                             lv.Policy(decay_months=0, lost_months=0)]))
def test_members_the_nightly_filter_skips_have_nothing_to_do(level, state, since, until, bought, offset, policy):
    today = date(2024, 1, 1) + timedelta(days=offset)
    purchases = [lv.Purchase(date(2024, 1, 1) + timedelta(days=d), a) for d, a in sorted(bought)]
    purchases = [p for p in purchases if p.date < today]
    member = lv.MemberState(level.id, since, until, state)
    last = max((p.date for p in purchases), default=None)
    if not lv.nightly_candidate(member, last, today, policy, MEMBER.id, level.is_permanent):
        assert lv.evaluate_nightly(SPECS, member, purchases, 0, today, policy) is None


def test_nightly_filter_reads_the_lost_and_decay_dates():
    member = lv.MemberState(SENIOR.id, date(2025, 1, 1), date(2026, 1, 1), "active")
    last = date(2025, 2, 1)
    assert not lv.nightly_candidate(member, last, date(2025, 7, 31), lv.Policy(), MEMBER.id, False)
    assert lv.nightly_candidate(member, last, (last + relativedelta(months=6)), lv.Policy(), MEMBER.id, False)
    assert not lv.nightly_candidate(member, last, (last + relativedelta(months=6)), lv.Policy(), MEMBER.id, True)
    assert lv.nightly_candidate(member, last, (last + relativedelta(months=12)), lv.Policy(), MEMBER.id, True), \
        "a permanent level can still be lost"
