"""The till's guards: when a member's benefits do not apply, the best price, and the
discount of the level a purchase qualifies for. Pure Python: no odoo import, no I/O.

1. **Group and staff orders** get no member discount and earn no points: an order marked as a
   group or corporate order, or an order whose customer is one of the company's own users or
   employees (unless the programme allows staff benefits). ``order_guard`` names the guard that
   applies, or None.
2. **Best price:** a member never pays more for an item than a walk-in customer would pay that
   day. ``best_price_percent`` gives the discount, on the member's unit price, that brings the
   item down to the walk-in price when the walk-in price is lower than the member's price.
3. **Qualifying purchase:** the order that lifts a member to a level gets that level's discount
   at once when the level says so. ``qualifying_level`` says which level the order reaches,
   counted on the order's amount before member discounts.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal

from . import levels as level_engine

__all__ = ["GuardSettings", "best_price_percent", "order_guard", "qualifying_level"]

_PCT = Decimal("0.01")


@dataclass(frozen=True)
class GuardSettings:
    group_orders: bool = True
    staff: bool = True
    staff_benefits_allowed: bool = False
    best_price: bool = True
    qualifying_order: bool = True


def order_guard(settings, is_group_order, is_staff):
    """"group" or "staff" when the order gets no member benefit and no points, else None."""
    if is_group_order and settings.group_orders:
        return "group"
    if is_staff and settings.staff and not settings.staff_benefits_allowed:
        return "staff"
    return None


def best_price_percent(unit_price, member_percent, walkin_price):
    """The discount (%) on ``unit_price`` that gives the walk-in price, when the walk-in price is
    below the member's price (``unit_price`` less ``member_percent``); None otherwise. Rounded
    up to 0.01 %, so the member never pays more than the walk-in price."""
    if unit_price <= 0 or walkin_price is None or walkin_price < 0:
        return None
    member_price = unit_price * (100.0 - member_percent) / 100.0
    if walkin_price >= member_price - 1e-9:
        return None
    percent = Decimal(str(100.0 * (1.0 - walkin_price / unit_price))).quantize(_PCT, ROUND_CEILING)
    return min(float(percent), 100.0)


def qualifying_level(levels, current_level_id, purchases, points, on_date: date, order_amount):
    """The level above the member's current one that this order (``order_amount`` before member
    discounts, today) reaches, with the rule that fired; None when it reaches none."""
    ordered = level_engine.sort_levels(levels)
    ranks = {lvl.id: rank for rank, lvl in enumerate(ordered)}
    current = ranks.get(current_level_id, -1)
    with_order = [*purchases, level_engine.Purchase(date=on_date, amount=order_amount)]
    best = level_engine.best_qualifying(ordered, with_order, points, on_date, single_amount=order_amount)
    if best is None or ranks[best[0].id] <= current:
        return None
    return best
