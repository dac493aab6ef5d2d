"""Pure tests of vip_loyalty.engine.reach (no Odoo needed)."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vip_loyalty.engine import reach
from vip_loyalty.engine.reach import VoucherSettings

FAST = settings(max_examples=300, deadline=None)
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))


def test_mobile_only_member_gets_sms_whatever_the_default():
    assert reach.choose_channel(None, "sms", True, False) == "sms"
    assert reach.choose_channel(None, "email", True, False) == "sms"
    assert reach.choose_channel("email", "sms", True, False) == "sms"


def test_email_only_for_who_prefers_it_and_has_one():
    assert reach.choose_channel("email", "sms", True, True) == "email"
    assert reach.choose_channel(None, "email", True, True) == "email"
    assert reach.choose_channel("sms", "email", True, True) == "sms"
    assert reach.choose_channel(None, "sms", False, True) == "email"
    assert reach.choose_channel(None, "sms", False, False) is None


def test_promotions_need_consent_greetings_do_not():
    assert reach.may_receive("promotion", "yes")
    assert not reach.may_receive("promotion", "no")
    assert not reach.may_receive("promotion", None)
    assert reach.may_receive("contact_step", None)
    assert reach.may_receive("notice", "no")


def test_expiry_notice_thirty_days_ahead_once():
    expiry = date(2026, 12, 31)
    assert reach.notice_before("points", expiry, 30, date(2026, 11, 30)) is None
    due = reach.notice_before("points", expiry, 30, date(2026, 12, 1))
    assert due.key == "notice:points:2026-12-31"
    assert reach.notice_before("points", expiry, 30, date(2026, 12, 20)).key == due.key
    assert reach.notice_before("points", expiry, 30, expiry) is None


@FAST
@given(dates, st.integers(0, 90), dates)
def test_notice_due_only_inside_the_window(event, days, today):
    due = reach.notice_before("level", event, days, today)
    assert (due is not None) == (event - timedelta(days=days) <= today < event)


def test_stage_notice_keyed_by_last_purchase():
    assert reach.notice_on_stage("silent", "active", "silent", date(2026, 1, 1)) is None
    due = reach.notice_on_stage("silent", "silent", "silent", date(2026, 1, 1))
    assert due.key == "notice:silent:2026-01-01"


def test_seed_003_conversion():
    s = VoucherSettings()
    assert reach.conversion_date(s, 2026) == date(2026, 12, 1)
    assert reach.valid_until(s, date(2026, 12, 1)) == date(2027, 1, 15)
    conv = reach.convert(1234, s)
    assert conv.faces == (100, 23)
    assert conv.points == 1230
    assert reach.convert(99, s).faces == ()
    assert reach.convert(1050, s).faces == (95, 10)


@FAST
@given(st.integers(0, 100_000), st.integers(1, 50), st.integers(0, 200), st.integers(1, 20))
def test_faces_in_range_and_points_never_created(points, min_face, extra, per_unit):
    s = VoucherSettings(points_per_unit=per_unit, min_face=min_face, max_face=min_face + extra)
    conv = reach.convert(points, s)
    assert all(s.min_face <= f <= s.max_face for f in conv.faces)
    assert conv.points == sum(conv.faces) * per_unit <= points
    # What stays behind is less than one more voucher could take, or the range is too narrow.
    left_units = points // per_unit - sum(conv.faces)
    assert left_units < s.min_face or left_units < s.max_face


def test_bad_face_range_refused():
    with pytest.raises(ValueError):
        reach.split_faces(100, 0, 100)
    with pytest.raises(ValueError):
        reach.split_faces(100, 50, 10)
