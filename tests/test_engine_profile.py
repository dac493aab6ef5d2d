from hypothesis import given
from hypothesis import strategies as st

from vip_loyalty.engine import profile


def test_empty_profile_scores_zero():
    assert profile.completeness(["", None], [False, " "]) == 0.0


def test_hard_only_is_worth_twenty():
    assert profile.completeness(["Ann", "F"], ["", ""]) == 20.0


def test_soft_only_is_worth_eighty():
    assert profile.completeness(["", ""], ["teacher", "yes"]) == 80.0


def test_half_of_each():
    assert profile.completeness(["Ann", ""], ["x", ""]) == 50.0


@given(st.lists(st.booleans(), min_size=1, max_size=12), st.lists(st.booleans(), min_size=1, max_size=12))
def test_completeness_is_bounded_and_monotonic(hard, soft):
    score = profile.completeness(hard, soft)
    assert 0.0 <= score <= 100.0
    more = profile.completeness([True] * len(hard), soft)
    assert more >= score


def test_phone_validation():
    assert profile.is_valid_phone("+86 138 0013 8000")
    assert profile.is_valid_phone("021-5555-1234")
    assert not profile.is_valid_phone("12345")
    assert not profile.is_valid_phone("call me")
    assert not profile.is_valid_phone("")
    assert not profile.is_valid_phone("+1234567890123456")


def test_card_validation():
    assert profile.is_valid_card(" vip00000001 ")
    assert profile.normalize_card(" vip-1 ") == "VIP-1"
    assert not profile.is_valid_card("")
    assert not profile.is_valid_card("a b")
    assert not profile.is_valid_card("x" * 40)
