from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from vip_loyalty.engine import adoption, rulebook
from vip_loyalty.engine.levels import Purchase

HEADER = ["Card Number", "Name", "Phone", "Birthday", "Level", "Opening Points", "Points Expiry", "Advisor", "Hobbies"]
LEVELS = {"member": "MEMBER", "senior": "SENIOR", "vip": "VIP"}
ADVISORS = {"li na": 7, "lina": 7}
TODAY = date(2026, 6, 1)


def good_row(i=1):
    return [f"C{i:05d}", f"Customer {i}", f"138 0000 {i:04d}", "1990-05-17", "Senior", "120", "2026-12-31",
            "Li Na", "yoga"]


def check(rows, **kw):
    return adoption.validate_import(HEADER, rows, LEVELS, ADVISORS, today=TODAY, **kw)


def test_clean_file_parses_every_column():
    rows, errors = check([good_row(1), good_row(2)])
    assert errors == []
    assert [r.line for r in rows] == [2, 3]
    first = rows[0]
    assert first.card_number == "C00001"
    assert first.level_code == "SENIOR"
    assert first.opening_points == 120
    assert first.points_expiry == date(2026, 12, 31)
    assert first.birthday == date(1990, 5, 17)
    assert first.advisor == "li na"
    assert first.values == {"hobbies": "yoga"}


def test_every_bad_row_is_named_with_its_line():
    bad_phone = good_row(2)
    bad_phone[2] = "call me"
    bad_level = good_row(3)
    bad_level[4] = "Platinum"
    dup_card = good_row(4)
    dup_card[0] = "c00001"
    negative = good_row(5)
    negative[5] = "-10"
    bad_date = good_row(6)
    bad_date[3] = "17th of May"
    dup_phone = good_row(7)
    dup_phone[2] = "+86 138-0000-0001"
    rows, errors = check([good_row(1), bad_phone, bad_level, dup_card, negative, bad_date, dup_phone])
    by_line = {e.line: e.message for e in errors}
    assert set(by_line) == {3, 4, 5, 6, 7, 8}
    assert "malformed phone" in by_line[3]
    assert "unknown level" in by_line[4]
    assert "duplicate card C00001 (also on line 2)" in by_line[5]
    assert "negative opening balance" in by_line[6]
    assert "unparseable date" in by_line[7]
    assert "duplicate phone" in by_line[8]
    assert [r.line for r in rows] == [2]


def test_cards_and_phones_already_in_the_database_are_rejected():
    _rows, errors = check([good_row(1)], taken_cards={"C00001"}, taken_phones={adoption.phone_key("+86 13800000001")})
    messages = " ".join(e.message for e in errors)
    assert "already belongs" in messages
    assert len(errors) == 2


def test_missing_required_column_stops_at_the_header():
    rows, errors = adoption.validate_import(["Name", "Phone"], [["A", "138"]], LEVELS, ADVISORS)
    assert rows == []
    assert errors[0].line == 1 and "card_number" in errors[0].message


def test_chinese_headers_and_spreadsheet_numbers():
    header = ["卡号", "姓名", "手机", "积分"]
    rows, errors = adoption.validate_import(header, [[12345.0, "王芳", 13900001111.0, 50.0]], LEVELS, ADVISORS)
    assert errors == []
    assert rows[0].card_number == "12345" and rows[0].phone == "13900001111" and rows[0].opening_points == 50


@given(st.lists(st.sampled_from(["ok", "phone", "level", "points", "date"]), min_size=1, max_size=20))
def test_errors_are_exactly_the_bad_lines(kinds):
    rows = []
    for i, kind in enumerate(kinds, start=1):
        row = good_row(i)
        if kind == "phone":
            row[2] = "12"
        elif kind == "level":
            row[4] = "Nope"
        elif kind == "points":
            row[5] = "1.5"
        elif kind == "date":
            row[6] = "soon"
        rows.append(row)
    parsed, errors = check(rows)
    bad = {i + 2 for i, kind in enumerate(kinds) if kind != "ok"}
    assert {e.line for e in errors} == bad
    assert {r.line for r in parsed} == {i + 2 for i, kind in enumerate(kinds) if kind == "ok"}


# --------------------------------------------------------------------------- replay

def test_replay_plan_runs_each_night_once_before_that_days_orders():
    start = date(2026, 1, 1)
    steps = adoption.replay_plan([(1, date(2026, 1, 2)), (2, date(2026, 1, 2)), (3, date(2026, 1, 4))],
                                 start, date(2026, 1, 5))
    assert steps == [
        ("nightly", date(2026, 1, 1)), ("nightly", date(2026, 1, 2)), ("order", 1), ("order", 2),
        ("nightly", date(2026, 1, 3)), ("nightly", date(2026, 1, 4)), ("order", 3), ("nightly", date(2026, 1, 5)),
    ]


@given(st.lists(st.integers(min_value=-30, max_value=400), max_size=30), st.integers(min_value=0, max_value=60))
def test_replay_plan_covers_every_day_once_and_keeps_order(offsets, tail):
    start = date(2025, 3, 1)
    today = start + timedelta(days=400 + tail)
    order_days = [(i, start + timedelta(days=o)) for i, o in enumerate(sorted(offsets))]
    steps = adoption.replay_plan(order_days, start, today)
    nights = [d for kind, d in steps if kind == "nightly"]
    assert nights == adoption.replay_days(start, today)
    assert [i for kind, i in steps if kind == "order"] == [i for i, d in order_days if d >= start]
    for pos, (kind, value) in enumerate(steps):
        if kind == "order":
            day = dict(order_days)[value]
            before = [d for k, d in steps[:pos] if k == "nightly"]
            assert before[-1] == day


def test_purchases_before_excludes_the_day_itself():
    purchases = [Purchase(date(2026, 1, d), 10.0) for d in (1, 2, 2, 3)]
    assert len(rulebook.purchases_before(purchases, date(2026, 1, 2))) == 1
    assert len(rulebook.purchases_before(purchases, date(2026, 1, 4))) == 4


# --------------------------------------------------------------------------- merge

lots_st = st.lists(
    st.builds(
        lambda i, rem, exp, d: adoption.MergeLot(i, rem, None if exp is None else date(2026, 1, 1) + timedelta(exp),
                                                 date(2025, 1, 1) + timedelta(d)),
        st.integers(1, 10_000), st.integers(0, 500), st.one_of(st.none(), st.integers(0, 700)), st.integers(0, 300),
    ),
    max_size=12, unique_by=lambda lot: lot.id,
)


@given(lots_st, st.integers(0, 2000))
def test_merge_moves_the_whole_balance(lots, debt):
    balance = sum(lot.remaining for lot in lots) - debt
    moves = adoption.plan_merge(lots, balance)
    dup = sum(m.points for m in moves if m.side == "duplicate")
    survivor = sum(m.points for m in moves if m.side == "survivor")
    assert dup == -balance
    assert survivor == balance
    assert dup + survivor == 0
    assert all(m.points != 0 for m in moves)
    assert {m.entry_type for m in moves} <= {"reverse", "adjust"}
    # Lots arrive with their own expiry dates.
    arrived = sorted((m.points, m.expiry_date or date.max) for m in moves
                     if m.side == "survivor" and m.points > 0)
    assert arrived == sorted((lot.remaining, lot.expiry_date or date.max) for lot in lots if lot.remaining > 0)
    # Each duplicate lot is reversed exactly once, for what is left of it.
    reversed_ids = [m.reversed_lot_id for m in moves if m.side == "duplicate" and m.entry_type == "reverse"]
    assert sorted(reversed_ids) == sorted(lot.id for lot in lots if lot.remaining > 0)


def test_merge_refuses_a_balance_above_the_lots():
    lot = adoption.MergeLot(1, 10, None, date(2026, 1, 1))
    try:
        adoption.plan_merge([lot], 11)
    except ValueError as exc:
        assert "ledger" in str(exc)
    else:
        raise AssertionError("expected ValueError")


def test_phone_key_ignores_country_prefix_and_separators():
    assert adoption.phone_key("+86 138 0000 0001") == adoption.phone_key("138-0000-0001") == "3800000001"


def test_checked_rows_survive_the_job_payload_unchanged():
    """A queued import keeps its checked rows as JSON between slices."""
    import json

    rows, errors = check([good_row(1), good_row(2)] + [["C00009", "No dates", "138 0000 0009", "", "", "", "", "", ""]])
    assert errors == []
    again = [adoption.import_row_from_json(json.loads(json.dumps(adoption.import_row_to_json(r)))) for r in rows]
    assert again == rows
