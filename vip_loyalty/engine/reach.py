"""Reaching members: which channel a message takes, when a notice is due, how points become
year-end vouchers. No odoo import, no I/O.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

SMS = "sms"
EMAIL = "email"
# Messages that advertise: sent only to members who accept promotions.
PROMOTIONAL = ("promotion", "event")


def choose_channel(preference: str | None, default: str, has_mobile: bool, has_email: bool) -> str | None:
    """The channel of one message: the member's preference, else the programme's default.

    Most members give a mobile number and no email: a member who prefers email (or whom the
    default puts on email) and has one gets email; otherwise a mobile number gets SMS, and an
    email is the last resort. None: the member cannot be reached (the message is only logged).
    """
    wanted = preference or default or SMS
    if wanted == EMAIL and has_email:
        return EMAIL
    if has_mobile:
        return SMS
    if has_email:
        return EMAIL
    return None


def may_receive(kind: str, accepts_promotions: str | None) -> bool:
    """Promotions and event invitations only with consent ("yes"); service messages always."""
    return kind not in PROMOTIONAL or accepts_promotions == "yes"


# -- notices before anything is lost ---------------------------------------------------------


@dataclass(frozen=True)
class NoticeDue:
    cause: str
    key: str
    event_date: date


def notice_before(cause: str, event_date: date | None, days_before: int, today: date) -> NoticeDue | None:
    """A notice ``days_before`` an event (points expiring, level validity ending).

    Due from that day until the event itself, so a missed night is caught up; the key names
    the cause and the event's date: one notice per cause and period, whatever the re-runs.
    """
    if event_date is None or today >= event_date:
        return None
    if today < event_date - timedelta(days=max(days_before, 0)):
        return None
    return NoticeDue(cause, f"notice:{cause}:{event_date.isoformat()}", event_date)


def notice_on_stage(cause: str, stage: str | None, wanted_stage: str, since: date | None) -> NoticeDue | None:
    """A notice on moving to a lifecycle stage; ``since`` (the last purchase) names the period."""
    if stage != wanted_stage or since is None:
        return None
    return NoticeDue(cause, f"notice:{cause}:{since.isoformat()}", since)


# -- year-end vouchers ------------------------------------------------------------------------


@dataclass(frozen=True)
class VoucherSettings:
    conversion_month: int = 12
    conversion_day: int = 1
    valid_until_month: int = 1
    valid_until_day: int = 15
    points_per_unit: int = 10
    min_face: int = 10
    max_face: int = 100


@dataclass(frozen=True)
class Conversion:
    points: int  # points taken from the balance
    faces: tuple[int, ...]  # face values of the vouchers, in currency units


def month_day(year: int, month: int, day: int) -> date:
    """``month``/``day`` in ``year``, the day clamped to the month's last (31 -> 30 April)."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def conversion_date(settings: VoucherSettings, year: int) -> date:
    return month_day(year, settings.conversion_month, settings.conversion_day)


def valid_until(settings: VoucherSettings, conversion: date) -> date:
    """The first configured end date after the conversion (15 January of the next year)."""
    end = month_day(conversion.year, settings.valid_until_month, settings.valid_until_day)
    if end <= conversion:
        end = month_day(conversion.year + 1, settings.valid_until_month, settings.valid_until_day)
    return end


def split_faces(amount: int, min_face: int, max_face: int) -> tuple[int, ...]:
    """``amount`` currency units as vouchers of ``min_face``..``max_face``: as many full
    ``max_face`` vouchers as possible and the rest on one voucher; a rest below ``min_face`` is
    made up from the last full voucher. When the range is too narrow for that, the rest is
    left out (its points stay on the balance)."""
    if min_face <= 0 or max_face < min_face:
        raise ValueError("Voucher face values need 0 < minimum <= maximum.")
    full, rest = divmod(max(amount, 0), max_face)
    faces = [max_face] * full
    if rest >= min_face:
        faces.append(rest)
    elif rest and full and max_face - (min_face - rest) >= min_face:
        faces[-1] -= min_face - rest
        faces.append(min_face)
    return tuple(faces)


def convert(points: int, settings: VoucherSettings) -> Conversion:
    """Points into vouchers: points ÷ ``points_per_unit`` currency units (floored), split into
    face values; the points not converted (the remainder, or too few) stay on the balance."""
    if settings.points_per_unit <= 0:
        raise ValueError("Points per currency unit must be positive.")
    units = max(points, 0) // settings.points_per_unit
    faces = split_faces(units, settings.min_face, settings.max_face)
    return Conversion(points=sum(faces) * settings.points_per_unit, faces=faces)
