"""Adopting the VIP programme on an existing database: import rows, history replay, merges.

Pure Python: no odoo import, no I/O. The wizards read the file (through base_import),
the orders and the ledger, call these functions and write what they return.

* ``validate_import`` checks every row of a VIP list before anything is written and
  returns the clean rows or the complete list of errors, each with its line number.
* ``replay_member`` computes the history rebuild of one member: its orders and the
  nightly runs between them, exactly as if the module had been installed on the start
  date, through the same ``rulebook`` steps as a live sale and the nightly job.
* ``plan_merge`` turns a duplicate member's ledger into reversal and adjustment pairs
  that move every open lot (with its expiry) and any debt to the survivor.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from . import levels as level_engine
from . import points as points_engine
from . import rulebook
from .profile import is_valid_card, is_valid_phone, normalize_card, phone_digits

# --------------------------------------------------------------------------- import

PHONE_KEY_DIGITS = 10


def phone_key(phone) -> str:
    """What identifies a phone across spellings: its last 10 digits.

    ``+86 138 0000 0001``, ``138-0000-0001`` and ``13800000001`` are one number; the
    country prefix and separators differ between a till, a spreadsheet and a web form.
    """
    return phone_digits(phone)[-PHONE_KEY_DIGITS:]


# Column -> accepted header spellings (lower-case, spaces and dashes as underscores).
COLUMNS = {
    "card_number": ("card_number", "card", "vip_card", "card_no", "卡号", "会员卡号"),
    "name": ("name", "customer", "姓名", "名字"),
    "phone": ("phone", "mobile", "telephone", "电话", "手机", "手机号"),
    "birthday": ("birthday", "birth_date", "date_of_birth", "生日"),
    "level": ("level", "vip_level", "level_code", "等级", "会员等级"),
    "opening_points": ("opening_points", "points", "balance", "opening_balance", "积分", "积分余额"),
    "points_expiry": ("points_expiry", "expiry", "expiry_date", "points_expiry_date", "积分到期", "到期日"),
    "advisor": ("advisor", "advisor_login", "顾问", "导购"),
    "email": ("email", "邮箱"),
    "gender": ("gender", "性别"),
    "clothing_size": ("clothing_size", "size", "尺码"),
    "shoe_size": ("shoe_size", "鞋码"),
    "body_shape": ("body_shape", "体型"),
    "work": ("work", "job", "工作"),
    "family": ("family", "家庭"),
    "personality": ("personality", "性格"),
    "consumption_habits": ("consumption_habits", "消费习惯"),
    "dress_preferences": ("dress_preferences", "穿着偏好"),
    "hobbies": ("hobbies", "爱好"),
    "lifestyle": ("lifestyle", "生活方式"),
    "service_style": ("service_style", "服务方式"),
    "accepts_promotions": ("accepts_promotions", "promotions", "接受促销"),
    "values": ("values", "价值观"),
}
REQUIRED_COLUMNS = ("card_number", "name", "phone")
SOFT_COLUMNS = (
    "work", "family", "personality", "consumption_habits", "dress_preferences",
    "hobbies", "lifestyle", "service_style", "accepts_promotions", "values",
)
GENDERS = {"female": "female", "f": "female", "女": "female", "male": "male", "m": "male", "男": "male",
           "other": "other", "其他": "other"}
YES_NO = {"yes": "yes", "y": "yes", "true": "yes", "1": "yes", "是": "yes",
          "no": "no", "n": "no", "false": "no", "0": "no", "否": "no"}
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y-%m-%d %H:%M:%S")
_INT = re.compile(r"^[+-]?\d+(\.0+)?$")


@dataclass(frozen=True)
class ImportRow:
    line: int
    card_number: str
    name: str
    phone: str
    birthday: date | None = None
    level_code: str | None = None
    opening_points: int = 0
    points_expiry: date | None = None
    advisor: str | None = None
    values: dict = field(default_factory=dict)  # other profile columns, already cleaned


@dataclass(frozen=True)
class ImportError_:
    line: int
    message: str

    def __str__(self):
        return f"line {self.line}: {self.message}"


def _key(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", (header or "").strip().lower())


def map_header(header: Sequence[str]) -> tuple[dict[str, int], list[str]]:
    """Column name -> index, and the problems with the header row."""
    aliases = {alias: col for col, names in COLUMNS.items() for alias in names}
    mapping: dict[str, int] = {}
    problems = []
    for index, title in enumerate(header):
        key = _key(title)
        if not key:
            continue
        col = aliases.get(key)
        if col is None:
            problems.append(f"unknown column {title!r}")
        elif col in mapping:
            problems.append(f"column {title!r} appears twice")
        else:
            mapping[col] = index
    for col in REQUIRED_COLUMNS:
        if col not in mapping:
            problems.append(f"missing column {col!r}")
    return mapping, problems


def parse_date(value) -> date | None:
    """A date from a cell: a date, a datetime, or text in ISO-like order. Raises ValueError."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"unparseable date {text!r} (use YYYY-MM-DD)")


def parse_points(value) -> int:
    """Whole points from a cell (``120``, ``120.0``); raises ValueError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    if isinstance(value, bool):
        raise ValueError(f"points must be a whole number, not {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value != int(value):
            raise ValueError(f"points must be a whole number, not {value!r}")
        return int(value)
    text = str(value).strip().replace(",", "")
    if not _INT.match(text):
        raise ValueError(f"points must be a whole number, not {text!r}")
    return int(float(text))


def _cell(row: Sequence, mapping: dict[str, int], col: str) -> str:
    index = mapping.get(col)
    if index is None or index >= len(row):
        return ""
    value = row[index]
    if value is None:
        return ""
    if isinstance(value, float) and value == int(value) and col in ("card_number", "phone"):
        value = int(value)  # spreadsheets store long numbers as floats
    return str(value).strip()


def validate_import(
    header: Sequence[str],
    rows: Iterable[Sequence],
    levels: dict[str, str],
    advisors: dict[str, int],
    taken_cards: Iterable[str] = (),
    taken_phones: Iterable[str] = (),
    today: date | None = None,
    first_line: int = 2,
) -> tuple[list[ImportRow], list[ImportError_]]:
    """Check a VIP list; returns (rows, errors). Write nothing unless ``errors`` is empty.

    ``levels`` maps lower-cased level codes and names to the level code, ``advisors`` maps
    lower-cased logins and names to user ids. ``taken_cards`` are normalised card numbers
    and ``taken_phones`` phone keys (``phone_key``) already used by other members in the database.
    Line numbers count the header as line ``first_line - 1``.
    """
    mapping, problems = map_header(header)
    errors = [ImportError_(first_line - 1, p) for p in problems]
    if any(p.startswith("missing") for p in problems):
        return [], errors
    taken_cards = set(taken_cards)
    taken_phones = set(taken_phones)
    seen_cards: dict[str, int] = {}
    seen_phones: dict[str, int] = {}
    parsed = []
    for offset, row in enumerate(rows):
        line = first_line + offset
        if not any(str(c).strip() for c in row if c is not None):
            continue
        row_errors = []
        card = normalize_card(_cell(row, mapping, "card_number"))
        name = _cell(row, mapping, "name")
        phone = _cell(row, mapping, "phone")
        if not card:
            row_errors.append("card number is missing")
        elif not is_valid_card(card):
            row_errors.append(f"malformed card number {card!r}")
        elif card in seen_cards:
            row_errors.append(f"duplicate card {card} (also on line {seen_cards[card]})")
        elif card in taken_cards:
            row_errors.append(f"card {card} already belongs to another customer")
        if card:
            seen_cards.setdefault(card, line)
        if not name:
            row_errors.append("name is missing")
        digits = phone_key(phone)
        if not is_valid_phone(phone):
            row_errors.append(f"malformed phone {phone!r}")
        elif digits in seen_phones:
            row_errors.append(f"duplicate phone {phone} (also on line {seen_phones[digits]})")
        elif digits in taken_phones:
            row_errors.append(f"phone {phone} already belongs to another member")
        if digits and is_valid_phone(phone):
            seen_phones.setdefault(digits, line)
        birthday = expiry = None
        try:
            birthday = parse_date(_cell(row, mapping, "birthday"))
            if birthday and today and birthday > today:
                row_errors.append(f"birthday {birthday.isoformat()} is in the future")
        except ValueError as exc:
            row_errors.append(f"birthday: {exc}")
        level_text = _cell(row, mapping, "level")
        level_code = None
        if level_text:
            level_code = levels.get(level_text.lower())
            if level_code is None:
                row_errors.append(f"unknown level {level_text!r}")
        points = 0
        try:
            points = parse_points(row[mapping["opening_points"]] if "opening_points" in mapping
                                  and mapping["opening_points"] < len(row) else "")
            if points < 0:
                row_errors.append(f"negative opening balance {points}")
        except ValueError as exc:
            row_errors.append(str(exc))
        try:
            expiry = parse_date(_cell(row, mapping, "points_expiry"))
            if expiry and today and expiry < today and points > 0:
                row_errors.append(f"points expiry {expiry.isoformat()} is already past")
        except ValueError as exc:
            row_errors.append(f"points expiry: {exc}")
        advisor_text = _cell(row, mapping, "advisor")
        if advisor_text and advisor_text.lower() not in advisors:
            row_errors.append(f"unknown advisor {advisor_text!r}")
        values = {}
        gender = _cell(row, mapping, "gender")
        if gender:
            if gender.lower() not in GENDERS:
                row_errors.append(f"unknown gender {gender!r}")
            else:
                values["gender"] = GENDERS[gender.lower()]
        consent = _cell(row, mapping, "accepts_promotions")
        if consent:
            if consent.lower() not in YES_NO:
                row_errors.append(f"accepts promotions must be yes or no, not {consent!r}")
            else:
                values["accepts_promotions"] = YES_NO[consent.lower()]
        for col in ("email", "clothing_size", "shoe_size", "body_shape", *SOFT_COLUMNS):
            if col not in values and _cell(row, mapping, col):
                values[col] = _cell(row, mapping, col)
        if row_errors:
            errors.extend(ImportError_(line, msg) for msg in row_errors)
            continue
        parsed.append(ImportRow(
            line=line, card_number=card, name=name, phone=phone, birthday=birthday,
            level_code=level_code, opening_points=points, points_expiry=expiry,
            advisor=advisor_text.lower() or None, values=values,
        ))
    return parsed, errors


def import_row_to_json(row: ImportRow) -> dict:
    """A checked row as JSON (kept on the background job between its slices)."""
    return {
        "line": row.line, "card_number": row.card_number, "name": row.name, "phone": row.phone,
        "birthday": row.birthday.isoformat() if row.birthday else None, "level_code": row.level_code,
        "opening_points": row.opening_points,
        "points_expiry": row.points_expiry.isoformat() if row.points_expiry else None,
        "advisor": row.advisor, "values": dict(row.values),
    }


def import_row_from_json(data: Mapping) -> ImportRow:
    dates = {key: date.fromisoformat(data[key]) if data.get(key) else None for key in ("birthday", "points_expiry")}
    return ImportRow(**{**data, **dates, "values": dict(data.get("values") or {})})


# --------------------------------------------------------------------------- replay


def replay_days(start: date, end: date) -> list[date]:
    """Every day whose nightly run a member would have seen, ``start`` to ``end`` included."""
    if end < start:
        return []
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def replay_plan(order_days: Sequence[tuple[int, date]], start: date, today: date):
    """Steps for one member: ``("nightly", day)`` and ``("order", order_id)``, in live order.

    ``order_days`` are (order id, local date) in the order they were paid. The nightly job
    runs once for each day from ``start`` to ``today`` before that day's orders, as the
    cron does at 02:00. Orders before ``start`` are not replayed.
    """
    steps = []
    cursor = start
    for order_id, day in order_days:
        if day < start:
            continue
        steps.extend(("nightly", d) for d in replay_days(cursor, day))
        cursor = max(cursor, day + timedelta(days=1))
        steps.append(("order", order_id))
    steps.extend(("nightly", d) for d in replay_days(cursor, today))
    return steps


@dataclass(frozen=True)
class ReplayLine:
    amount: float  # tax included; negative on a returned line
    discount: float = 0.0
    excluded: bool = False
    refunded_order_id: int | None = None  # the order a returned line comes from
    product_id: int | None = None


@dataclass(frozen=True)
class ReplayOrder:
    id: int
    stamp: datetime  # when it was paid (UTC): the order of events, "returns up to this one"
    day: date  # the shop's local date
    amount_total: float
    customer_id: int | None
    shop_id: int | None = None
    user_id: int | None = None
    lines: tuple[ReplayLine, ...] = ()
    redeem_points: int = 0  # points the order redeemed (a what-if replays them, capped by the balance)


@dataclass(frozen=True)
class ReplayReturn:
    stamp: datetime  # when the return was paid
    amount: float  # the returned line's amount (negative)


@dataclass(frozen=True)
class ReplayOrigin:
    name: str
    amount_total: float
    returns: tuple[ReplayReturn, ...] = ()  # every paid return of its lines


@dataclass(frozen=True)
class ReplayMember:
    id: int
    state: level_engine.MemberState
    orders: tuple[ReplayOrder, ...]  # to replay, in the order they were paid
    purchases: tuple[tuple[datetime, level_engine.Purchase], ...] = ()  # all paid orders, by (stamp, id)
    origins: Mapping[int, ReplayOrigin] = field(default_factory=dict)  # orders its returns refer to
    birthday: date | None = None
    advisor_id: int | None = None
    last_purchase: date | None = None
    balance: int = 0


# The templates live in one place, the rulebook; the old name stays for the callers.
ReplayTexts = rulebook.Texts


@dataclass(frozen=True)
class ReplayConfig:
    specs: tuple[level_engine.LevelSpec, ...]
    policy: level_engine.Policy
    rule: points_engine.EarnRule | None
    bonuses: tuple[points_engine.Bonus, ...] = ()
    multipliers: Mapping[int, float] = field(default_factory=dict)
    permanent_ids: frozenset[int] = frozenset()
    enrol_level: level_engine.LevelSpec | None = None
    auto_enrol: bool = True
    refund_reevaluate: bool = False
    texts: ReplayTexts = ReplayTexts()
    # None: each line's own ``excluded``; else the products this programme excludes.
    excluded_product_ids: frozenset[int] | None = None
    # The programme versions before this one: (first day it no longer holds, config), by date.
    earlier: tuple[tuple[date, ReplayConfig], ...] = ()

    def in_force(self, day: date) -> ReplayConfig:
        """The programme a member met on ``day``: an earlier version until it was replaced."""
        for until, config in self.earlier:
            if day < until:
                return config
        return self
    user_id: int | None = None  # who runs the rebuild: the advisor of last resort, as for a live step


@dataclass
class ReplayEntry:
    key: int  # position in ReplayResult.entries; real ids follow the same order
    date: date
    points: int
    entry_type: str
    description: str
    remaining: int = 0
    expiry_date: date | None = None
    order_id: int | None = None
    reversed_key: int | None = None


@dataclass(frozen=True)
class ReplayMove:
    date: date
    from_level_id: int | None
    decision: level_engine.Decision
    order_id: int | None = None


@dataclass
class ReplayResult:
    state: level_engine.MemberState
    balance: int
    entries: list[ReplayEntry] = field(default_factory=list)
    moves: list[ReplayMove] = field(default_factory=list)
    earned: dict[int, int] = field(default_factory=dict)  # replayed order id -> points earned
    enrolment: tuple[date, int | None, int | None] | None = None  # (date, shop, advisor)
    stats: tuple[float, date | None, int] | None = None  # (lifetime spend, last purchase, count)
    order_levels: dict[int, int | None] = field(default_factory=dict)  # order id -> level held when paid


class _Ledger:
    """One member's ledger as ``vip.points.entry._vip_post`` keeps it, in memory."""

    def __init__(self, balance):
        self.balance = balance
        self.entries: list[ReplayEntry] = []

    def lots(self):
        return [points_engine.Lot(e.key, e.remaining, e.expiry_date, e.date) for e in self.entries if e.remaining > 0]

    def post(self, on_date, points, entry_type, description, **extra):
        entry = ReplayEntry(len(self.entries), on_date, points, entry_type, description, **extra)
        if points < 0:
            # Before the entry counts: a refused burn leaves the ledger as it was.
            for key, taken in rulebook.burn(self.lots(), points, entry_type, entry.reversed_key):
                self.entries[key].remaining -= taken
        else:
            entry.remaining = points
        self.entries.append(entry)
        self.balance += points
        return entry

    def next_expiry(self):
        return min((e.expiry_date for e in self.entries if e.remaining > 0 and e.expiry_date), default=None)

    def expire(self, day, texts):
        for key, points, description in rulebook.expire(self.lots(), day, texts):
            self.post(day, points, "expire", description, reversed_key=key)


def replay_member(member: ReplayMember, config: ReplayConfig, start: date, today: date) -> ReplayResult:
    """What the live code writes for one member's past orders, computed without writing.

    Each order goes through the steps of ``pos.order._vip_process_paid`` (enrolment,
    return reversal, earning, the level check after the order) and every night from
    ``start`` to ``today`` through the nightly job (expiry, then the level review), in the
    order they happened, each step by its ``rulebook`` function. The caller writes the
    result; it must only be used for a member whose orders involve no other customer,
    redeem no points and whose ledger is empty (anything else is replayed through the
    live code).
    """
    timeline, config = config, config.in_force(start)
    specs, policy = config.specs, config.policy
    texts = config.texts
    lowest_id = level_engine.sort_levels(specs)[0].id if specs else None
    state = member.state
    ledger = _Ledger(member.balance)
    result = ReplayResult(state=state, balance=member.balance)
    stamps = [stamp for stamp, _p in member.purchases]
    purchases = [p for _s, p in member.purchases]
    earn_of: dict[int, ReplayEntry] = {}
    reversed_of: dict[int, int] = {}
    last_purchase = member.last_purchase
    next_expiry = None

    def move(on_date, decision, order_id=None):
        nonlocal state
        result.moves.append(ReplayMove(on_date, state.level_id, decision, order_id))
        state = level_engine.apply(state, decision)

    def night(day):
        nonlocal next_expiry
        if next_expiry is not None and next_expiry < day:
            ledger.expire(day, texts)
            next_expiry = ledger.next_expiry()
        decision = rulebook.review(
            specs, state, last_purchase, lambda: rulebook.purchases_before(purchases, day), ledger.balance, day,
            policy, lowest_id, state.level_id in config.permanent_ids, texts,
        )
        if decision:
            move(day, decision)

    def order_paid(order):
        nonlocal state, last_purchase, next_expiry
        result.order_levels[order.id] = state.level_id
        returned = [line for line in order.lines if line.refunded_order_id]
        sold = [line for line in order.lines if not line.refunded_order_id]
        customer = order.customer_id
        if customer and rulebook.enrols(state.state, config.auto_enrol, bool(sold)):
            advisor, decision = rulebook.enrolment(
                order.day, config.enrol_level, state.level_id is not None, member.advisor_id, order.user_id,
                config.user_id, texts,
            )
            result.enrolment = (order.day, order.shop_id, advisor)
            state = level_engine.MemberState(state.level_id, state.level_since, state.valid_until, "active")
            if decision:
                move(order.day, decision)
        for origin_id in dict.fromkeys(line.refunded_order_id for line in returned):
            earn = earn_of.get(origin_id)
            if earn is None:
                continue
            origin = member.origins[origin_id]
            points, description = rulebook.reversal(
                earn.points, origin.name, origin.amount_total,
                -sum(r.amount for r in origin.returns if r.stamp <= order.stamp), reversed_of.get(earn.key, 0), texts,
            )
            if points:
                reversed_of[earn.key] = reversed_of.get(earn.key, 0) + points
                ledger.post(order.day, -points, "reverse", description, order_id=order.id, reversed_key=earn.key)
        redeemed = min(order.redeem_points, max(ledger.balance, 0)) if customer else 0
        if redeemed > 0:
            ledger.post(order.day, -redeemed, "redeem", texts.redeem % redeemed, order_id=order.id)
        earned = 0
        if customer and state.state != "none" and config.rule and sold:
            excluded = config.excluded_product_ids
            points, description, expiry = rulebook.earn(
                [points_engine.EarnLine(
                    line.amount, line.discount, line.excluded if excluded is None else line.product_id in excluded,
                ) for line in sold],
                config.rule, config.bonuses, order.day, member.birthday, None,
                rulebook.level_multiplier(config.multipliers, state.level_id), texts,
            )
            if points > 0:
                earn_of[order.id] = ledger.post(order.day, points, "earn", description,
                                                expiry_date=expiry, order_id=order.id)
                earned = points
                if expiry and (next_expiry is None or expiry < next_expiry):
                    next_expiry = expiry
        result.earned[order.id] = earned
        if state.state == "none":
            return
        seen = purchases[: bisect.bisect_right(stamps, order.stamp)]
        result.stats = rulebook.purchase_figures(seen)
        last_purchase = result.stats[1]
        decision = rulebook.after_order(
            specs, state, seen, ledger.balance, order.day, order.amount_total, policy,
            bool(returned) and not sold, config.refund_reevaluate, texts,
        )
        if decision:
            move(order.day, decision, order.id)

    def switch(day):
        nonlocal config, specs, policy, texts, lowest_id
        if timeline.earlier and timeline.in_force(day) is not config:
            config = timeline.in_force(day)
            specs, policy, texts = config.specs, config.policy, config.texts
            lowest_id = level_engine.sort_levels(specs)[0].id if specs else None

    cursor = start
    for order in member.orders:
        if order.day < start:
            continue
        while cursor <= order.day:
            switch(cursor)
            night(cursor)
            cursor += timedelta(days=1)
        order_paid(order)
    while cursor <= today:
        switch(cursor)
        night(cursor)
        cursor += timedelta(days=1)
    result.state = state
    result.balance = ledger.balance
    result.entries = ledger.entries
    return result


# --------------------------------------------------------------------------- merge


@dataclass(frozen=True)
class MergeLot:
    id: int
    remaining: int
    expiry_date: date | None
    date: date


@dataclass(frozen=True)
class MergeMove:
    side: str  # "duplicate" | "survivor"
    entry_type: str  # "reverse" | "adjust"
    points: int
    remaining: int | None = None  # None: a lot of ``points``; 0: not a lot
    expiry_date: date | None = None
    reversed_lot_id: int | None = None
    lot_date: date | None = None


def plan_merge(lots: Iterable[MergeLot], balance: int) -> list[MergeMove]:
    """Entries that move a duplicate's whole balance to the survivor, never editing one.

    Every open lot of the duplicate is reversed on the duplicate and re-created on the
    survivor as an adjustment with the same expiry. A debt (balance below the open lots,
    left by a refund of points already spent) is cleared on the duplicate by a non-lot
    adjustment and carried to the survivor by a reversal. Afterwards the duplicate's
    balance is 0 and the survivor's has grown by exactly ``balance``.
    """
    moves = []
    open_lots = sorted((lot for lot in lots if lot.remaining > 0),
                       key=lambda lot: (lot.expiry_date is None, lot.expiry_date or date.max, lot.date, lot.id))
    for lot in open_lots:
        moves.append(MergeMove("duplicate", "reverse", -lot.remaining, remaining=0, reversed_lot_id=lot.id))
        moves.append(MergeMove("survivor", "adjust", lot.remaining, expiry_date=lot.expiry_date, lot_date=lot.date))
    debt = sum(lot.remaining for lot in open_lots) - balance
    if debt < 0:
        raise ValueError(f"the balance {balance} exceeds the open lots; the ledger needs checking first")
    if debt:
        moves.append(MergeMove("duplicate", "adjust", debt, remaining=0))
        moves.append(MergeMove("survivor", "reverse", -debt, remaining=0))
    return moves
