"""Points: earning, expiry, burning (first-expiring-first), reversal and redemption.

Pure Python: no odoo import, no I/O. The Odoo models read records, build the dataclasses
below, call these functions and write the results.

Earning (``compute_earn``) composes in this documented order:

1. **Eligible amount.** Sum over the lines that are not ``excluded`` and have a positive
   ``amount`` (refund lines are reversed elsewhere, see ``reversal_points``) of
   ``amount × factor``, where factor is

   - ``0`` when ``rule.discounted_lines_earn`` is False and the line has any discount;
   - ``rule.deep_discount_factor`` when ``rule.deep_discount_threshold > 0`` and the line's
     ``discount_percent`` is strictly greater than the threshold;
   - ``1`` otherwise.

   The sum is rounded half-up to cents.
2. **Base points.** ``floor(eligible / amount_per_point) × points_per_step``, computed in
   integer cents so float noise never drops a point (559.00 / 10 → 55).
3. **Multiplier.** ``max(ctx.level_multiplier, multiplier of every matching multiplier
   bonus)``. Multipliers do not stack; the highest wins. ``points = floor(base × multiplier)``.
4. **Flat bonuses.** Every matching flat bonus is added, in the order given. A flat
   ``min_order_points`` bonus compares its threshold with the points after step 3 (a
   multiplier ``min_order_points`` bonus, which cannot see its own result, compares with the
   base). Bonuses only apply when the eligible amount is positive, so an order of excluded
   items alone (gift cards, group orders) earns nothing at all.

A bonus matches when its month window (if set; ``month_from > month_to`` wraps the year, for
example November–February) and its date window (if set) contain the order date, and its
condition holds.

The description explains the arithmetic to cashiers and auditors, for example::

    559.00 × 1 pt / 10 = 55 pts; Birthday double ×2 = 110 pts; +10 Big order bonus = 120 pts

Lots: an earn entry is a lot with ``remaining`` points and an ``expiry_date`` (``None`` never
expires). A lot is expired on day D when ``expiry_date < D``. Redemptions consume lots
first-expiring-first.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta

from .dates import in_year

__all__ = [
    "EarnRule",
    "EarnLine",
    "Bonus",
    "EarnContext",
    "EarnResult",
    "Lot",
    "InsufficientPoints",
    "EXPIRY_POLICIES",
    "BONUS_KINDS",
    "BONUS_CONDITIONS",
    "compute_earn",
    "bonus_matches",
    "expiry_date",
    "burn_order",
    "expired_lots",
    "reversal_points",
    "redemption_cap",
    "points_for_gift",
    "cash_value",
]

EXPIRY_POLICIES = ("calendar_year", "rolling_months", "never")
BONUS_KINDS = ("multiplier", "flat")
BONUS_CONDITIONS = (
    "always",
    "birthday",
    "birthday_month",
    "weekday",
    "first_n_of_day",
    "min_order_points",
    "date_range",
)

_CENT = Decimal("0.01")
_ONE = Decimal(1)


@dataclass(frozen=True)
class EarnRule:
    amount_per_point: float = 10.0
    points_per_step: int = 1
    deep_discount_threshold: float = 0.0
    deep_discount_factor: float = 1.0
    discounted_lines_earn: bool = True
    expiry_policy: str = "calendar_year"
    expiry_months: int = 12


@dataclass(frozen=True)
class EarnLine:
    amount: float
    discount_percent: float = 0.0
    excluded: bool = False


@dataclass(frozen=True)
class Bonus:
    id: int
    name: str
    kind: str
    condition: str
    multiplier: float = 1.0
    flat_points: int = 0
    weekday: int | None = None
    month_from: int | None = None
    month_to: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    first_n: int = 0
    min_order_points: int = 0


@dataclass(frozen=True)
class EarnContext:
    order_date: date
    birthday: date | None = None
    member_rank_of_day: int | None = None
    level_multiplier: float = 1.0


@dataclass(frozen=True)
class EarnResult:
    base_points: int
    points: int
    description: str
    eligible_amount: float


@dataclass(frozen=True)
class Lot:
    id: int
    remaining: int
    expiry_date: date | None
    date: date


class InsufficientPoints(Exception):
    """Raised when a burn asks for more points than the lots hold."""


# ---------------------------------------------------------------------------
# helpers


def _dec(value) -> Decimal:
    # str() gives the shortest repr of a float, so 0.1 becomes Decimal("0.1"), not its
    # binary approximation 0.1000000000000000055...
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _fmt_num(value) -> str:
    """10.0 → "10", 2.5 → "2.5", 1.50 → "1.5" (never scientific notation)."""
    d = _dec(value)
    if d == d.to_integral_value():
        return str(int(d))
    return format(d.normalize(), "f")


def _line_factor(line: EarnLine, rule: EarnRule) -> Decimal:
    discount = _dec(line.discount_percent)
    if not rule.discounted_lines_earn and discount > 0:
        return Decimal(0)
    threshold = _dec(rule.deep_discount_threshold)
    if threshold > 0 and discount > threshold:
        return _dec(rule.deep_discount_factor)
    return _ONE


def _in_month_window(bonus: Bonus, d: date) -> bool:
    lo, hi = bonus.month_from, bonus.month_to
    if lo is None and hi is None:
        return True
    if lo is None:
        return d.month <= hi
    if hi is None:
        return d.month >= lo
    if lo <= hi:
        return lo <= d.month <= hi
    # Wrapping window, e.g. 11 → 2 means November to February.
    return d.month >= lo or d.month <= hi


def _in_date_window(bonus: Bonus, d: date) -> bool:
    if bonus.date_from is not None and d < bonus.date_from:
        return False
    if bonus.date_to is not None and d > bonus.date_to:
        return False
    return True


def _is_birthday(birthday: date | None, d: date) -> bool:
    """A 29 February birthday is celebrated on 28 February in common years."""
    return birthday is not None and in_year(birthday, d.year) == d


def bonus_matches(bonus: Bonus, ctx: EarnContext, order_points: int) -> bool:
    """Whether ``bonus`` applies to an order on ``ctx.order_date``.

    ``order_points`` is what a ``min_order_points`` condition compares with.
    Raises ValueError on an unknown condition so a misconfiguration is loud, not silent.
    """
    if bonus.condition not in BONUS_CONDITIONS:
        raise ValueError(f"Unknown bonus condition {bonus.condition!r}")
    d = ctx.order_date
    if not (_in_month_window(bonus, d) and _in_date_window(bonus, d)):
        return False
    cond = bonus.condition
    if cond in ("always", "date_range"):
        return True
    if cond == "birthday":
        return _is_birthday(ctx.birthday, d)
    if cond == "birthday_month":
        return ctx.birthday is not None and ctx.birthday.month == d.month
    if cond == "weekday":
        return bonus.weekday is not None and d.weekday() == bonus.weekday
    if cond == "first_n_of_day":
        rank = ctx.member_rank_of_day
        return rank is not None and 1 <= rank <= bonus.first_n
    # min_order_points
    return order_points >= bonus.min_order_points


# ---------------------------------------------------------------------------
# earning


def _same(text: str) -> str:
    return text


# The texts of an earn entry, as templates: callers pass ``tr`` to translate them.
PHRASES = (
    "%(eligible)s × %(step)s pt / %(per)s = %(points)s pts",
    "%(name)s ×%(multiplier)s = %(points)s pts",
    "+%(flat)s %(name)s = %(points)s pts",
    "Level",
)


def compute_earn(lines, rule: EarnRule, bonuses, ctx: EarnContext, tr=_same) -> EarnResult:
    """Points earned by one paid order. See the module docstring for the order of steps."""
    step_cents = int((_dec(rule.amount_per_point) * 100).quantize(_ONE, ROUND_HALF_UP))
    if step_cents <= 0:
        raise ValueError("amount_per_point must be at least 0.01")
    if rule.points_per_step < 0:
        raise ValueError("points_per_step must not be negative")
    bonuses = list(bonuses)
    for bonus in bonuses:
        if bonus.kind not in BONUS_KINDS:
            raise ValueError(f"Unknown bonus kind {bonus.kind!r}")

    # (1) eligible amount, rounded to cents once, on the total.
    eligible = Decimal(0)
    for line in lines:
        amount = _dec(line.amount)
        if line.excluded or amount <= 0:
            continue
        eligible += amount * _line_factor(line, rule)
    eligible = eligible.quantize(_CENT, ROUND_HALF_UP)
    cents = int(eligible * 100)

    # (2) base points, in integers: no float division, so no lost point.
    base = (cents // step_cents) * rule.points_per_step
    segments = [tr("%(eligible)s × %(step)s pt / %(per)s = %(points)s pts") % {
        "eligible": f"{eligible:,.2f}", "step": rule.points_per_step, "per": _fmt_num(rule.amount_per_point),
        "points": base,
    }]

    # No bonus on an order with nothing eligible (e.g. gift cards only).
    active = bonuses if eligible > 0 else []

    # (3) the highest multiplier wins; the level's is the standing one.
    best_mult = _dec(ctx.level_multiplier)
    best_name = tr("Level")
    for bonus in active:
        if bonus.kind == "multiplier" and bonus_matches(bonus, ctx, base):
            mult = _dec(bonus.multiplier)
            if mult > best_mult:
                best_mult, best_name = mult, bonus.name
    points = int((base * best_mult).to_integral_value(ROUND_FLOOR))
    if best_mult != _ONE and base > 0:
        segments.append(tr("%(name)s ×%(multiplier)s = %(points)s pts") % {
            "name": best_name, "multiplier": _fmt_num(best_mult), "points": points,
        })

    # (4) flat bonuses; min_order_points sees the points after the multiplier.
    after_mult = points
    for bonus in active:
        if bonus.kind == "flat" and bonus_matches(bonus, ctx, after_mult):
            if bonus.flat_points:
                points += bonus.flat_points
                segments.append(tr("+%(flat)s %(name)s = %(points)s pts") % {
                    "flat": bonus.flat_points, "name": bonus.name, "points": points,
                })

    return EarnResult(
        base_points=base,
        points=points,
        description="; ".join(segments),
        eligible_amount=float(eligible),
    )


# ---------------------------------------------------------------------------
# lots: expiry and burning


def expiry_date(rule: EarnRule, earn_date: date) -> date | None:
    """The last day on which points earned on ``earn_date`` can still be spent."""
    policy = rule.expiry_policy
    if policy == "calendar_year":
        return date(earn_date.year, 12, 31)
    if policy == "rolling_months":
        return earn_date + relativedelta(months=rule.expiry_months)
    if policy == "never":
        return None
    raise ValueError(f"Unknown expiry policy {policy!r}")


def _burn_key(lot: Lot):
    # Never-expiring lots go last; ties break on earn date, then id, so the order is total.
    return (lot.expiry_date is None, lot.expiry_date or date.min, lot.date, lot.id)


def burn_order(lots) -> list[Lot]:
    """Lots with points left, first-expiring-first."""
    return sorted((lot for lot in lots if lot.remaining > 0), key=_burn_key)


def expiry_description(template: str, remaining: int, earned_on: date, expiry: date) -> str:
    """"120 pts earned 2025-03-01 expired after 2025-12-31", from the (translated) template."""
    return f"{remaining} " + template % {"date": earned_on.isoformat(), "expiry": expiry.isoformat()}


def expired_lots(lots, today: date) -> list[tuple[int, int]]:
    """(lot_id, remaining) for lots whose points are left and whose expiry is before today."""
    return [
        (lot.id, lot.remaining)
        for lot in burn_order(lots)
        if lot.expiry_date is not None and lot.expiry_date < today
    ]


# ---------------------------------------------------------------------------
# refunds


def reversal_points(
    earned: int,
    original_amount: float,
    refunded_amount_total: float,
    already_reversed: int,
) -> int:
    """Points to reverse now for a refund of an order that earned ``earned`` points.

    ``refunded_amount_total`` is the cumulative refunded amount so far (a positive
    magnitude), including this refund. The target is computed on the cumulative total and
    the already-reversed points are subtracted, so a sequence of partial refunds never
    drifts: it always sums to round-half-up(earned × refunded / original), never above
    ``earned``.
    """
    original = _dec(original_amount)
    if earned <= 0 or original <= 0:
        return 0
    refunded = _dec(refunded_amount_total)
    if refunded < 0:
        # Odoo refund orders carry negative totals; the caller must pass the magnitude.
        raise ValueError("refunded_amount_total must be a positive magnitude")
    share = min(refunded, original) / original
    target = int((earned * share).quantize(_ONE, ROUND_HALF_UP))
    return max(0, target - already_reversed)


# ---------------------------------------------------------------------------
# redemption


def redemption_cap(
    points: int,
    ladder_first_points: int = 1000,
    ladder_first_cap: float = 200.0,
    ladder_step_points: int = 500,
    ladder_step_cap: float = 200.0,
) -> float:
    """Highest list price of a gift that ``points`` can buy (0.0 below the first rung)."""
    if points < ladder_first_points:
        return 0.0
    cap = _dec(ladder_first_cap)
    if ladder_step_points > 0:
        steps = (points - ladder_first_points) // ladder_step_points
        cap += steps * _dec(ladder_step_cap)
    return float(cap)


def points_for_gift(
    list_price: float,
    ladder_first_points: int = 1000,
    ladder_first_cap: float = 200.0,
    ladder_step_points: int = 500,
    ladder_step_cap: float = 200.0,
) -> int:
    """The fewest points whose ``redemption_cap`` covers ``list_price``."""
    price = _dec(list_price)
    if price < 0:
        raise ValueError("list_price must not be negative")
    first_cap = _dec(ladder_first_cap)
    if price <= first_cap:
        return ladder_first_points
    step_cap = _dec(ladder_step_cap)
    if ladder_step_points <= 0 or step_cap <= 0:
        raise ValueError(f"No rung of the ladder covers a price of {_fmt_num(price)}")
    steps = int(((price - first_cap) / step_cap).to_integral_value(ROUND_CEILING))
    return ladder_first_points + steps * ladder_step_points


def cash_value(
    points: int, points_per_unit_block: int = 100, currency_per_block: float = 3.0
) -> float:
    """Currency value of ``points``; only whole blocks count (250 pts → 6.00)."""
    if points < 0:
        raise ValueError("points must not be negative")
    if points_per_unit_block <= 0:
        raise ValueError("points_per_unit_block must be positive")
    blocks = points // points_per_unit_block
    return float((blocks * _dec(currency_per_block)).quantize(_CENT, ROUND_HALF_UP))


