"""Pure tests of the rulebook steps and of the candidate filters put in front of them."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vip_loyalty.engine import levels as lv
from vip_loyalty.engine import points as pe
from vip_loyalty.engine import rulebook

DAY0 = date(2025, 1, 1)
days = st.integers(0, 800).map(lambda d: DAY0 + timedelta(days=d))
lots = st.lists(
    st.tuples(st.integers(0, 50), st.one_of(st.none(), days), days),
    max_size=12,
).map(lambda rows: [pe.Lot(i + 1, remaining, expiry, earned) for i, (remaining, expiry, earned) in enumerate(rows)])


@settings(max_examples=300)
@given(lots, days)
def test_expiry_candidates_lose_nothing(lot_list, today):
    """The nightly SQL reads only lots with points left and an expiry before today; the rule
    expires exactly those (and the replay skips a night whose next expiry is not yet past)."""
    expired = rulebook.expire(lot_list, today, rulebook.Texts())
    candidates = [lot for lot in lot_list if lot.remaining > 0 and lot.expiry_date and lot.expiry_date < today]
    assert sorted(lot_id for lot_id, _p, _d in expired) == sorted(lot.id for lot in candidates)
    assert rulebook.expire(candidates, today, rulebook.Texts()) == expired
    assert all(points == -next(lot.remaining for lot in candidates if lot.id == lot_id)
               for lot_id, points, _d in expired)
    next_expiry = min((lot.expiry_date for lot in lot_list if lot.remaining > 0 and lot.expiry_date), default=None)
    if next_expiry is None or next_expiry >= today:
        assert expired == []


@settings(max_examples=300)
@given(lots, st.integers(1, 300), st.sampled_from(["redeem", "reverse", "adjust"]))
def test_burn_refuses_what_the_lots_cannot_cover_except_a_reversal(lot_list, need, entry_type):
    available = sum(lot.remaining for lot in lot_list)
    if need > available and entry_type != "reverse":
        with pytest.raises(pe.InsufficientPoints):
            rulebook.burn(lot_list, -need, entry_type)
        return
    taken = rulebook.burn(lot_list, -need, entry_type)
    assert sum(t for _i, t in taken) == min(need, available)
    by_id = {lot.id: lot for lot in lot_list}
    assert all(0 < t <= by_id[lot_id].remaining for lot_id, t in taken)
    # First-expiring-first: the lots taken are the first ones in that order, all but the last emptied.
    order = [lot.id for lot in pe.burn_order(lot_list)]
    assert [lot_id for lot_id, _t in taken] == order[:len(taken)]
    assert all(t == by_id[lot_id].remaining for lot_id, t in taken[:-1])


def test_burn_takes_the_named_lot_first_and_an_expiry_only_its_own():
    lot_list = [pe.Lot(1, 10, DAY0, DAY0), pe.Lot(2, 10, DAY0 + timedelta(days=9), DAY0)]
    assert rulebook.burn(lot_list, -5, "reverse", first_lot_id=2) == [(2, 5)]
    assert rulebook.burn(lot_list, -10, "expire", first_lot_id=2) == [(2, 10)]
    assert rulebook.burn(lot_list, -15, "redeem") == [(1, 10), (2, 5)]


def test_a_level_multiplier_of_zero_earns_like_none():
    assert rulebook.level_multiplier({7: 0.0, 8: 1.5}, 7) == 1.0
    assert rulebook.level_multiplier({7: 0.0, 8: 1.5}, 8) == 1.5
    assert rulebook.level_multiplier({}, None) == 1.0


def test_the_enrolment_advisor_falls_back_to_the_cashier_then_the_user():
    lowest = lv.LevelSpec(1, "M", "Member", 10)
    assert rulebook.enrolment(DAY0, lowest, False, 5, 6, 7, rulebook.Texts())[0] == 5
    assert rulebook.enrolment(DAY0, lowest, False, None, 6, 7, rulebook.Texts())[0] == 6
    advisor, decision = rulebook.enrolment(DAY0, lowest, False, None, None, 7, rulebook.Texts())
    assert (advisor, decision.rule_description, decision.level_since) == (7, "enrolment → Member", DAY0)
    assert rulebook.enrolment(DAY0, lowest, True, None, None, 7, rulebook.Texts())[1] is None


def test_texts_translate_the_engines_phrases():
    texts = rulebook.Texts(phrases={"any purchase → %(level)s": "任意消费 → %(level)s"})
    specs = [lv.LevelSpec(1, "M", "会员", 10)]
    decision = rulebook.after_order(specs, lv.MemberState(None, None, None, "active"),
                                    [lv.Purchase(DAY0, 100.0)], 0, DAY0, 100.0, lv.Policy(), False, False, texts)
    assert decision.rule_description == "任意消费 → 会员"
    assert set(rulebook.PHRASES) >= set(lv.WINDOW_LABELS.values())
    assert set(lv.WINDOW_LABELS) == set(lv.WINDOWS), "every qualify window has a translatable label"
