"""Calendar helpers shared by the pure engine. No odoo import, no I/O."""

from datetime import date

from dateutil.relativedelta import relativedelta


def in_year(day: date, year: int) -> date:
    """``day``'s month and day in ``year``: 29 February falls on 28 February in common years."""
    return day + relativedelta(year=year)
