"""Complaint rules: SLA policies, deadlines, breaches, transitions, priority, KPIs.

Plain Python, no odoo import, no I/O. Datetimes are naive and in one frame (the models pass
UTC for clock arithmetic and the calendar's local time for working-day arithmetic).
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

SEVERITIES = ("small", "large")
OPEN_STATES = ("new", "in_progress", "escalated")
UNITS = ("hours", "days", "working_days")


@dataclass(frozen=True)
class SlaPolicy:
    id: int
    severity: str
    response_time: float
    response_unit: str
    resolution_time: float
    resolution_unit: str
    company_id: int = 0  # 0 = shared by every company
    followup_days: int = 1


def choose_policy(policies: Sequence[SlaPolicy], severity: str, company_id: int) -> SlaPolicy | None:
    """The company's own policy for the severity, else the shared one, else None."""
    own = [p for p in policies if p.severity == severity and p.company_id == company_id]
    shared = [p for p in policies if p.severity == severity and not p.company_id]
    for candidates in (own, shared):
        if candidates:
            return min(candidates, key=lambda p: p.id)
    return None


def needs_calendar(unit: str) -> bool:
    return unit == "working_days"


def add_clock(start: datetime, amount: float, unit: str) -> datetime:
    """Clock arithmetic: ``hours`` or calendar ``days`` after ``start``."""
    if unit == "hours":
        return start + timedelta(hours=amount)
    if unit == "days":
        return start + timedelta(days=amount)
    raise ValueError(f"unit {unit!r} needs a working calendar")


def response_breached(now: datetime, response_deadline, first_response) -> bool:
    """Late answer: answered after the deadline, or still unanswered once it passed."""
    if not response_deadline:
        return False
    if first_response:
        return first_response > response_deadline
    return now > response_deadline


def resolution_breached(now: datetime, resolution_deadline, resolved) -> bool:
    if not resolution_deadline:
        return False
    if resolved:
        return resolved > resolution_deadline
    return now > resolution_deadline


def due_for_escalation(state: str, now: datetime, response_deadline, first_response,
                       resolution_deadline, already_escalated: bool) -> bool:
    """An open, never-escalated complaint past its response or resolution deadline."""
    if already_escalated or state not in ("new", "in_progress"):
        return False
    return (response_breached(now, response_deadline, first_response)
            or resolution_breached(now, resolution_deadline, None))


# -- transitions --------------------------------------------------------------------

TRANSITIONS = {
    # action: (allowed from states, target state)
    "start": (("new", "escalated"), "in_progress"),
    "escalate": (("new", "in_progress"), "escalated"),
    "resolve": (("new", "in_progress", "escalated"), "resolved"),
    "close": (("resolved",), "closed"),
    "reopen": (("resolved", "closed"), "in_progress"),
}


def transition(state: str, action: str, has_resolution: bool = False, has_outcome: bool = False,
               has_promised_date: bool = False) -> tuple:
    """Return ``(new_state, None)`` or ``(None, error_key)``.

    Error keys: ``bad_state``, ``no_resolution`` (resolve needs the resolution text),
    ``no_outcome`` (close needs the outcome), ``no_promised_date`` (an escalation by hand
    gives the customer a promised date).
    """
    allowed, target = TRANSITIONS[action]
    if state not in allowed:
        return None, "bad_state"
    if action == "resolve" and not has_resolution:
        return None, "no_resolution"
    if action == "close" and not has_outcome:
        return None, "no_outcome"
    if action == "escalate" and not has_promised_date:
        return None, "no_promised_date"
    return target, None


# -- priority ----------------------------------------------------------------------

def priority_from_rank(rank: int | None, level_count: int, top_class: bool = False) -> str:
    """Priority '0'..'3' rising with the member's level rank (0 = lowest level).

    No level gives '0'; the top level (or an A-class member) gives '3'.
    """
    if top_class:
        return "3"
    if rank is None or level_count <= 0:
        return "0"
    if level_count == 1:
        return "3"
    rank = max(0, min(rank, level_count - 1))
    return str(1 + round(2 * rank / (level_count - 1)))


# -- compensation ----------------------------------------------------------------------

def compensation_allowed(points: int, already_granted: int, limit: int, is_manager: bool) -> bool:
    """A manager may grant any amount; others up to ``limit`` points per complaint in total."""
    if points <= 0:
        return False
    return is_manager or already_granted + points <= limit


# -- KPIs -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ComplaintFact:
    reported: datetime
    category: str = ""
    first_response: datetime | None = None
    resolved: datetime | None = None
    response_deadline: datetime | None = None
    resolution_deadline: datetime | None = None
    sla_breached: bool = False
    satisfaction: int | None = None


@dataclass(frozen=True)
class ComplaintKpis:
    count: int
    rate_per_100_members: float
    within_sla_share: float
    breach_count: int
    avg_first_response_hours: float
    avg_resolution_hours: float
    avg_satisfaction: float
    top_categories: tuple


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600.0


def kpis(facts: Sequence[ComplaintFact], member_count: int, now: datetime, top: int = 3) -> ComplaintKpis:
    """Monthly figures: count, rate per 100 members, share within SLA, averages, top categories."""
    count = len(facts)
    breached = [
        f for f in facts
        if f.sla_breached
        or response_breached(now, f.response_deadline, f.first_response)
        or resolution_breached(now, f.resolution_deadline, f.resolved)
    ]
    responses = [_hours(f.first_response - f.reported) for f in facts if f.first_response]
    resolutions = [_hours(f.resolved - f.reported) for f in facts if f.resolved]
    scores = [f.satisfaction for f in facts if f.satisfaction]
    categories = Counter(f.category for f in facts if f.category)
    return ComplaintKpis(
        count=count,
        rate_per_100_members=100.0 * count / member_count if member_count else 0.0,
        within_sla_share=(count - len(breached)) / count if count else 0.0,
        breach_count=len(breached),
        avg_first_response_hours=sum(responses) / len(responses) if responses else 0.0,
        avg_resolution_hours=sum(resolutions) / len(resolutions) if resolutions else 0.0,
        avg_satisfaction=sum(scores) / len(scores) if scores else 0.0,
        top_categories=tuple(sorted(categories.items(), key=lambda kv: (-kv[1], kv[0]))[:top]),
    )
