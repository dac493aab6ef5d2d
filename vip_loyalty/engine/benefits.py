"""Member benefits at the till: level discount, 折上折, birthday item, member day.

Pure Python: no odoo import, no I/O. The POS asks the server, the server calls
``apply_benefits`` and the terminal writes the result on the order lines as a named
discount (the ``label``), never as a silent price change.

Rules (seeds 000 and 003; every number comes from configuration):

1. **Special-price items** (``special_price``) get no member discount at all. They still
   earn points (the ledger decides that, not this module).
2. **Full-price items** (no promotion) get the best one of

   - the level discount (``level_percent``),
   - the member-day discount (``member_day_percent``) when the order date is the
     programme's member day of the month.

   Discounts never add up on one item; the best single one wins.
3. **Promoted items** (the shop's price is below the list price) get **折上折**, the level
   discount applied again on the promoted price, only when

   - the member's level is not the base level (``is_base_level`` False) and has a level
     discount, and
   - the promoted price is at least ``stack_floor_percent`` of the list price (the brand's rule:
     "7.5 折以上(含 7.5 折)" is a floor of 75). Deeper promotions get nothing more.

   折上折 is not combined with the member-day discount (the brand's rule: 会员卡优惠与折上折优惠不可
   同时享受).
4. **Birthday month:** one item (one unit of the most expensive eligible line) gets
   ``birthday_percent`` instead of its other member discount, when that is better. On a line
   of several units the one discounted unit is blended into the line's percentage, so the
   line total is exactly "one unit at the birthday discount, the others as before".

``apply_benefits`` returns one ``LineBenefit`` per input line, in order: the extra discount
percent to write on the line (on top of the promoted price), a kind and a label.

5. **Further settings:** several member days a month (``member_days``, e.g. 9, 19, 29,
   beside ``member_day``); the birthday-month discount on the whole order instead of one item
   (``birthday_scope`` "whole_order"); and on the birthday itself ``birthday_day_percent`` more on
   every item, taken after its other discount.

6. **The cashier's hand:** a discount the cashier typed on a line is never overwritten.
   ``with_cashier_discount`` keeps the higher of the member benefit and the cashier's discount
   (the member's on a tie, as it carries the programme's name); the till labels the line with
   the one that applies.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "BenefitConfig", "BenefitLine", "LineBenefit", "apply_benefits", "is_member_day", "stacked_percent",
    "with_cashier_discount",
]

KINDS = ("none", "level", "stack", "member_day", "birthday", "cashier")

_PCT = Decimal("0.01")


@dataclass(frozen=True)
class BenefitConfig:
    level_name: str = ""
    level_percent: float = 0.0
    is_base_level: bool = True
    birthday_percent: float = 0.0
    member_day_percent: float = 0.0
    member_day: int = 0
    stack_floor_percent: float = 0.0
    birthday: date | None = None
    # Several member days a month (9th, 19th, 29th), beside ``member_day``.
    member_days: tuple = ()
    # "one_item" or "whole_order": where the birthday-month discount goes.
    birthday_scope: str = "one_item"
    # On the birthday itself, this much more on every item (taken after the other discount).
    birthday_day_percent: float = 0.0


@dataclass(frozen=True)
class BenefitLine:
    unit_price: float
    list_price: float
    quantity: float = 1.0
    special_price: bool = False


@dataclass(frozen=True)
class LineBenefit:
    discount_percent: float
    kind: str
    label: str


def _round_pct(value):
    return float(Decimal(str(value)).quantize(_PCT, ROUND_HALF_UP))


def _fmt(value):
    return f"{value:g}"


def stacked_percent(first, second):
    """Total discount of ``second``% taken after ``first``% (10 then 10 → 19)."""
    return 100.0 - (100.0 - first) * (100.0 - second) / 100.0


def _promo_percent(line):
    if line.list_price <= 0 or line.unit_price >= line.list_price:
        return 0.0
    return 100.0 * (1.0 - line.unit_price / line.list_price)


def is_member_day(cfg, on_date):
    """Whether ``on_date`` is one of the programme's member days."""
    return on_date.day in {d for d in (cfg.member_day, *cfg.member_days) if d}


def _is_member_day(cfg, on_date):
    return is_member_day(cfg, on_date) and cfg.member_day_percent > 0


def _regular(cfg, line, on_date):
    """The member discount of one unit of ``line`` without the birthday benefit."""
    none = LineBenefit(0.0, "none", "")
    if line.special_price or line.quantity <= 0:
        return none
    promo = _promo_percent(line)
    if promo > 0:
        if cfg.is_base_level or cfg.level_percent <= 0:
            return none
        if 100.0 - promo + 1e-9 < cfg.stack_floor_percent:
            return none
        return LineBenefit(
            cfg.level_percent, "stack",
            f"折上折 {cfg.level_name} {_fmt(cfg.level_percent)}% on {_fmt(_round_pct(promo))}% promotion",
        )
    best = none
    if cfg.level_percent > 0:
        best = LineBenefit(cfg.level_percent, "level", f"{cfg.level_name} discount {_fmt(cfg.level_percent)}%")
    if _is_member_day(cfg, on_date) and cfg.member_day_percent > best.discount_percent:
        best = LineBenefit(cfg.member_day_percent, "member_day", f"Member day {_fmt(cfg.member_day_percent)}%")
    return best


def _is_birthday(cfg, on_date):
    birthday = cfg.birthday
    if not birthday:
        return False
    if birthday.month == 2 and birthday.day == 29 and on_date.month == 2 and on_date.day == 28:
        return not (on_date.year % 4 == 0 and (on_date.year % 100 != 0 or on_date.year % 400 == 0))
    return (birthday.month, birthday.day) == (on_date.month, on_date.day)


def _birthday_day_extra(cfg, lines, result, on_date):
    """On the birthday itself: ``birthday_day_percent`` more on every item, after its discount."""
    if cfg.birthday_day_percent <= 0 or not _is_birthday(cfg, on_date):
        return result
    extra = _fmt(cfg.birthday_day_percent)
    return [
        b if line.special_price or line.quantity <= 0 else LineBenefit(
            _round_pct(stacked_percent(b.discount_percent, cfg.birthday_day_percent)), "birthday",
            f"{b.label}; birthday +{extra}%" if b.label else f"Birthday +{extra}%",
        )
        for line, b in zip(lines, result, strict=True)
    ]


def apply_benefits(cfg, lines, on_date):
    """The member discount of every line (see the module documentation)."""
    return _birthday_day_extra(cfg, lines, _month_benefits(cfg, lines, on_date), on_date)


def _month_benefits(cfg, lines, on_date):
    result = [_regular(cfg, line, on_date) for line in lines]
    if not (cfg.birthday and cfg.birthday.month == on_date.month and cfg.birthday_percent > 0):
        return result
    if cfg.birthday_scope == "whole_order":
        label = f"Birthday month {_fmt(cfg.birthday_percent)}%"
        return [
            LineBenefit(cfg.birthday_percent, "birthday", label)
            if not line.special_price and line.quantity > 0 and cfg.birthday_percent > b.discount_percent else b
            for line, b in zip(lines, result, strict=True)
        ]
    candidates = [
        i for i, line in enumerate(lines)
        if not line.special_price and line.quantity > 0
        # On a promoted item the birthday discount, like any member discount, is taken on the
        # promoted price: it must beat what the line already gets.
        and cfg.birthday_percent > result[i].discount_percent
    ]
    if not candidates:
        return result
    # The most valuable unit; the first such line on ties.
    best = max(candidates, key=lambda i: (lines[i].unit_price, -i))
    line, other = lines[best], result[best]
    qty = line.quantity
    blended = (cfg.birthday_percent + other.discount_percent * (qty - 1)) / qty
    label = f"Birthday {_fmt(cfg.birthday_percent)}% on 1 item"
    if qty > 1 and other.label:
        label = f"{label}; {other.label} on the others"
    result[best] = LineBenefit(blended, "birthday", label)
    return result


def with_cashier_discount(member, cashier_percent):
    """What a line gets when the cashier typed ``cashier_percent`` on it and the member's benefit
    is ``member``: the higher discount, the member's on a tie. A cashier win is kind "cashier"
    with no label (the till words it, naming the member benefit it overrules)."""
    if not 0.0 <= cashier_percent <= 100.0:
        raise ValueError(f"a line discount is between 0 and 100%, not {cashier_percent}")
    if cashier_percent > member.discount_percent:
        return LineBenefit(cashier_percent, "cashier", "")
    return member
