"""Care arithmetic: post-sale follow-ups, the lifecycle contact plan, birthday lists,
promotion notices. No odoo import, no I/O.

Every "due" answer carries a *key*: the same key on a re-run means the same touch,
so the models can make crons re-runnable by refusing a second record per key.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from .dates import in_year


@dataclass(frozen=True)
class AfterSaleTouch:
    kind: str  # "followup" / "big_purchase_call" / "month_call"
    date_deadline: date


@dataclass(frozen=True)
class CareSettings:
    followup_days: int = 7
    big_purchase_amount: float = 2000.0
    big_purchase_call_days: int = 7
    month_call_days: int = 30  # 0 = off


def after_sale_touches(order_date: date, amount: float, settings: CareSettings) -> list[AfterSaleTouch]:
    """The activities one paid sale creates for the advisor.

    Every sale gets a follow-up due within ``followup_days``; a single purchase of at
    least ``big_purchase_amount`` also gets a call after ``big_purchase_call_days`` and,
    when configured, a call after ``month_call_days``.
    """
    touches = [AfterSaleTouch("followup", order_date + timedelta(days=max(settings.followup_days, 0)))]
    if settings.big_purchase_amount > 0 and amount >= settings.big_purchase_amount:
        touches.append(
            AfterSaleTouch("big_purchase_call", order_date + timedelta(days=max(settings.big_purchase_call_days, 0)))
        )
        if settings.month_call_days > 0:
            touches.append(AfterSaleTouch("month_call", order_date + timedelta(days=settings.month_call_days)))
    return touches


@dataclass(frozen=True)
class ContactStep:
    """One step of the lifecycle contact plan.

    The step is due ``offset_days`` after the anchor (the first or the last purchase)
    and stays due for ``window_days`` more (so a missed night is caught up). With
    ``repeat_days`` it recurs (day 30 and monthly) until ``stop_after_days``; with
    ``active_within_days`` it only applies while the last purchase is that recent.
    """

    id: int
    anchor: str = "first_purchase"  # or "last_purchase"
    offset_days: int = 0
    window_days: int = 0
    repeat_days: int = 0
    stop_after_days: int = 0  # 0: no end
    active_within_days: int = 0  # 0: whatever the last purchase


@dataclass(frozen=True)
class StepDue:
    step_id: int
    due_date: date
    key: str


def step_due(step: ContactStep, first_purchase: date | None, last_purchase: date | None, today: date):
    """The occurrence of ``step`` due on ``today``, or None."""
    anchor = first_purchase if step.anchor == "first_purchase" else last_purchase
    if anchor is None or today < anchor:
        return None
    if step.active_within_days and (last_purchase is None or (today - last_purchase).days > step.active_within_days):
        return None
    elapsed = (today - anchor).days
    if elapsed < step.offset_days:
        return None
    index = 0
    if step.repeat_days > 0:
        index = (elapsed - step.offset_days) // step.repeat_days
    occurrence = step.offset_days + index * max(step.repeat_days, 0)
    if step.stop_after_days and occurrence > step.stop_after_days:
        return None
    if elapsed - occurrence > max(step.window_days, 0):
        return None
    due_date = anchor + timedelta(days=occurrence)
    return StepDue(step.id, due_date, f"step{step.id}:{anchor.isoformat()}:{index}")


def steps_due(steps, first_purchase, last_purchase, today) -> list[StepDue]:
    """All steps due on ``today``; only the latest lifecycle step when several overlap.

    Steps anchored on the last purchase (silent, sleeping) mean the member has gone
    quiet: they replace the first-purchase welcome steps on the same day.
    """
    found = [d for d in (step_due(s, first_purchase, last_purchase, today) for s in steps) if d]
    by_id = {s.id: s for s in steps}
    if any(by_id[d.step_id].anchor == "last_purchase" for d in found):
        found = [d for d in found if by_id[d.step_id].anchor == "last_purchase"]
    return found


def next_month(today: date) -> tuple[int, int]:
    return (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)


def is_month_end(today: date) -> bool:
    return today.day == calendar.monthrange(today.year, today.month)[1]


def birthday_in_month(birthday: date | None, year: int, month: int) -> date | None:
    """This year's celebration day of ``birthday`` when it falls in ``month`` of ``year``."""
    if birthday is None or birthday.month != month:
        return None
    return in_year(birthday, year)


def birthday_list(members, year: int, month: int) -> list[tuple[int, date]]:
    """(member id, day) of everyone whose birthday falls in the month, by day then id.

    ``members`` is an iterable of (id, birthday or None).
    """
    rows = [(mid, birthday_in_month(bday, year, month)) for mid, bday in members]
    return sorted(((mid, d) for mid, d in rows if d), key=lambda r: (r[1], r[0]))


def promotion_notice_due(start: date, notice_days: int, today: date) -> bool:
    """Announce from ``notice_days`` before the promotion until it starts."""
    return start - timedelta(days=max(notice_days, 0)) <= today <= start


def pick_advisor(advisor_ids, index: int):
    """Round-robin choice of the successor advisor for the ``index``-th member."""
    advisor_ids = list(advisor_ids)
    if not advisor_ids:
        raise ValueError("At least one successor advisor is needed.")
    return advisor_ids[index % len(advisor_ids)]
