"""Calendar helpers shared by the pure engine. No odoo import, no I/O."""

import calendar
from datetime import date


def add_months(d: date, n: int) -> date:
    """Return ``d`` shifted by ``n`` months (``n`` may be negative).

    The day is clamped to the target month's length, so 31 January + 1 month is
    28 or 29 February rather than an error.
    """
    index = d.year * 12 + (d.month - 1) + n
    year, month0 = divmod(index, 12)
    month = month0 + 1
    day = min(d.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)
