"""Points as a contract liability (IFRS 15 / ASC 606), with expected breakage.

Plain arithmetic for the month-end entry and the liability report. Amounts are worked in
minor units (cents) with Decimal so that the posted lines always add up, to the cent, to

    liability = points outstanding × point value × (1 − breakage)

at every month end. Signs: a positive amount credits the liability (and debits revenue),
a negative one debits the liability (and credits revenue).
"""

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta

# Line kinds, in the order an entry shows them.
OPENING = "opening"        # points outstanding before the start date, brought in once
DEFERRAL = "deferral"      # points earned or granted
REDEMPTION = "redemption"  # points redeemed, reversed or taken back
BREAKAGE = "breakage"      # points expired: breakage revenue
CATCHUP = "catchup"        # a changed estimate (breakage or point value), caught up at once
ROUNDING = "rounding"      # the cent that keeps the identity when nothing changed
KINDS = (OPENING, DEFERRAL, REDEMPTION, BREAKAGE, CATCHUP, ROUNDING)


@dataclass(frozen=True)
class Movement:
    """Ledger points not yet counted, by kind; every count is positive."""

    opening: int = 0
    earned: int = 0
    redeemed: int = 0
    expired: int = 0

    @property
    def net(self):
        return self.opening + self.earned - self.redeemed - self.expired


@dataclass(frozen=True)
class Line:
    kind: str
    points: int
    cents: int  # > 0: credit liability / debit revenue; < 0: debit liability / credit revenue


def month_start(day):
    return day.replace(day=1)


def month_end(day):
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day, months):
    """The first day of the month ``months`` after ``day``'s."""
    return month_start(day) + relativedelta(months=months)


def next_month(day):
    return add_months(day, 1)


def months_between(first, last):
    """First days of the months from ``first`` to ``last`` inclusive."""
    month, last = month_start(first), month_start(last)
    result = []
    while month <= last:
        result.append(month)
        month = next_month(month)
    return result


def classify(entry_type, points):
    """The movement kind of one ledger entry: by sign, and expiry on its own."""
    if points > 0:
        return DEFERRAL
    return BREAKAGE if entry_type == "expire" else REDEMPTION


def check_breakage_rate(rate):
    return 0.0 <= rate <= 1.0


def unit_value(point_value, breakage_rate):
    """Deferred value of one point: its value net of the points expected never to be redeemed."""
    return Decimal(str(point_value)) * (1 - Decimal(str(breakage_rate)))


def to_cents(points, point_value, breakage_rate, digits=2):
    """Minor units of ``points`` at the deferred value, rounded half up."""
    scale = Decimal(10) ** digits
    value = Decimal(points) * unit_value(point_value, breakage_rate) * scale
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def target_cents(outstanding, point_value, breakage_rate, digits=2):
    """The liability the identity asks for at a month end."""
    return to_cents(outstanding, point_value, breakage_rate, digits)


def month_lines(movement, outstanding, point_value, breakage_rate, booked_cents,
                estimate_changed=False, digits=2):
    """The lines of a month-end entry.

    ``movement`` holds the ledger points the entry covers, ``outstanding`` the points held at the
    month end, ``booked_cents`` the liability already posted up to the month end. Each kind is
    valued at the current estimate; whatever is left to reach the identity is one catch-up line
    (the estimate changed) or a rounding cent (it did not). Lines that move nothing are left out.
    """
    lines = [
        Line(OPENING, movement.opening, to_cents(movement.opening, point_value, breakage_rate, digits)),
        Line(DEFERRAL, movement.earned, to_cents(movement.earned, point_value, breakage_rate, digits)),
        Line(REDEMPTION, movement.redeemed, -to_cents(movement.redeemed, point_value, breakage_rate, digits)),
        Line(BREAKAGE, movement.expired, -to_cents(movement.expired, point_value, breakage_rate, digits)),
    ]
    residual = target_cents(outstanding, point_value, breakage_rate, digits) - booked_cents - sum(
        line.cents for line in lines)
    # The catch-up re-measures the points held before this entry.
    lines.append(Line(CATCHUP if estimate_changed else ROUNDING, outstanding - movement.net, residual))
    return [line for line in lines if line.cents]


def observed_breakage(expired, left):
    """Share of the points that left the ledger by expiring (0 when none left)."""
    return expired / left if left else 0.0


@dataclass(frozen=True)
class MonthPoints:
    """Ledger points of one month: the report's row before it is valued."""

    month: date
    earned: int = 0
    redeemed: int = 0
    expired: int = 0


@dataclass(frozen=True)
class ReportRow:
    month: date
    opening: int
    earned: int
    redeemed: int
    expired: int
    closing: int
    point_value: float
    breakage_rate: float
    opening_cents: int
    earned_cents: int
    redeemed_cents: int
    expired_cents: int
    catchup_cents: int
    closing_cents: int


def report_rows(opening_points, months, estimates, digits=2, opening_estimate=None):
    """Roll a balance forward month by month, in points and in currency.

    ``months`` are MonthPoints in order; ``estimates`` maps each month to the (point value,
    breakage rate) in force then. Each month is valued as the entry values it: the movements at
    that month's estimate, the closing at the identity, the difference a catch-up. The opening
    is valued at ``opening_estimate`` (the previous month's), else at the first month's.
    """
    rows = []
    points = opening_points
    opening_cents = None
    for month in months:
        value, rate = estimates[month.month]
        if opening_cents is None:
            opening_cents = to_cents(points, *(opening_estimate or (value, rate)), digits)
        closing = points + month.earned - month.redeemed - month.expired
        earned_cents = to_cents(month.earned, value, rate, digits)
        redeemed_cents = to_cents(month.redeemed, value, rate, digits)
        expired_cents = to_cents(month.expired, value, rate, digits)
        closing_cents = to_cents(closing, value, rate, digits)
        catchup = closing_cents - (opening_cents + earned_cents - redeemed_cents - expired_cents)
        rows.append(ReportRow(
            month=month.month, opening=points, earned=month.earned, redeemed=month.redeemed,
            expired=month.expired, closing=closing, point_value=value, breakage_rate=rate,
            opening_cents=opening_cents, earned_cents=earned_cents, redeemed_cents=redeemed_cents,
            expired_cents=expired_cents, catchup_cents=catchup, closing_cents=closing_cents,
        ))
        points, opening_cents = closing, closing_cents
    return rows
