"""Formulas of the monthly VIP analysis. No Odoo import, no I/O."""

from datetime import date

from dateutil.relativedelta import relativedelta


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_bounds(month: date) -> tuple[date, date]:
    """First day of ``month`` and first day of the next month (half-open range)."""
    start = month_start(month)
    return start, start + relativedelta(months=1)


def previous_month(month: date) -> date:
    return month_start(month) + relativedelta(months=-1)


def same_month_last_year(month: date) -> date:
    return month_start(month) + relativedelta(months=-12)


def ratio(numerator, denominator) -> float:
    """A rate as a fraction; 0 when there is nothing to divide by."""
    if not denominator:
        return 0.0
    return float(numerator) / float(denominator)


def parse_months(text: str) -> set[int]:
    """"7,8,9" -> {7, 8, 9}; blanks and junk are refused with ValueError."""
    months = set()
    for part in (text or "").replace(" ", "").split(","):
        if not part:
            continue
        month = int(part)
        if not 1 <= month <= 12:
            raise ValueError(f"{month} is not a month")
        months.add(month)
    return months


def parse_days(text: str) -> set[int]:
    """"9,19,29" -> {9, 19, 29}: days of the month; junk is refused with ValueError."""
    days = set()
    for part in (text or "").replace(" ", "").split(","):
        if not part:
            continue
        day = int(part)
        if not 1 <= day <= 31:
            raise ValueError(f"{day} is not a day of the month")
        days.add(day)
    return days


def new_member_target(month: date, normal: int, low_season: int, low_months: set[int]) -> int:
    """Monthly new-member target per staff group: 30, or 20 in July–September (the brand's target)."""
    return low_season if month.month in low_months else normal


def kpis(row: dict) -> dict:
    """Derived rates and averages from the summed figures of one snapshot row."""
    return {
        "dead_card_rate": ratio(row.get("member_count", 0) - row.get("active_member_count", 0),
                                row.get("member_count", 0)),
        "contribution_rate": ratio(row.get("member_sales", 0.0), row.get("total_sales", 0.0)),
        "existing_member_sales": row.get("member_sales", 0.0) - row.get("new_member_sales", 0.0),
        "purchase_frequency": ratio(row.get("member_order_count", 0), row.get("buying_member_count", 0)),
        "units_per_transaction": ratio(row.get("units", 0.0), row.get("transaction_count", 0)),
        "average_ticket": ratio(row.get("ticket_sales", 0.0), row.get("transaction_count", 0)),
        "registration_rate": ratio(row.get("new_customer_registered", 0), row.get("new_customer_count", 0)),
    }
