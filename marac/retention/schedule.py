"""The retention schedule as plain rules: record types, default periods, due dates.

No Flask and no database here: the nightly listing, the review page and the admin page
read the same definitions, and the boundary (due on the date, not the day before) is
decided in one place.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")

# A council may set a period between these (months): never nothing, never forever.
MIN_MONTHS = 1
MAX_MONTHS = 1200


class RecordType(StrEnum):
    CLOSED_REFERRAL = "closed_referral"
    DECLINED_REFERRAL = "declined_referral"
    UNREFERRED_INCIDENT = "unreferred_incident"
    MEETING = "meeting"
    NOTIFICATION = "notification"
    OUTBOX = "outbox"
    AUDIT = "audit"


@dataclass(frozen=True)
class Kind:
    """One line of the schedule: what it covers, when the clock starts, the default."""

    record_type: RecordType
    label: str
    covers: str
    starts: str
    default_months: int
    # Review only: listed and counted, never disposed of here (the audit hash chain).
    review_only: bool = False
    # A reviewer may keep one record with a reason (legal hold); short-lived rows are
    # disposed of as a kind.
    holdable: bool = False
    one: str = ""  # the singular, for "1 closed case"

    def count(self, n: int) -> str:
        """ "1 closed case", "3 closed cases"."""
        return f"{n} {self.one if n == 1 else self.label.lower()}"


SCHEDULE: tuple[Kind, ...] = (
    Kind(
        RecordType.CLOSED_REFERRAL,
        "Closed cases",
        "Closed referrals with their incidents, risk assessments, actions, the panel's notes "
        "on them and their attachments",
        "after the case closed",
        72,
        holdable=True,
        one="closed case",
    ),
    Kind(
        RecordType.DECLINED_REFERRAL,
        "Declined referrals",
        # A merged referral's reasons and incidents live on in the case it joined.
        "Declined referrals, and referrals merged into another case, with their incidents,"
        " risk assessments and attachments",
        "after the referral was declined or merged",
        12,
        holdable=True,
        one="declined referral",
    ),
    Kind(
        RecordType.UNREFERRED_INCIDENT,
        "Incidents not referred",
        # Never part of a case, so no case's disposal would ever reach them.
        "Incidents never linked to a referral, with their risk assessments and attachments "
        "(an incident with an assessment still in draft or waiting for endorsement is not "
        "due)",
        "after the incident, its assessments or its attachments last changed",
        36,
        holdable=True,
        one="incident not referred",
    ),
    Kind(
        RecordType.MEETING,
        "Meetings and minutes",
        # Minutes discuss many cases: a meeting waits for the last of them (see
        # `queries.candidates`), so a case kept on hold keeps its minutes too.
        "Meeting records (attendees' names, notes), issued minutes and extracts, and the "
        "agenda and minutes PDFs, once every case discussed at the meeting has been "
        "disposed of",
        "after the meeting",
        72,
        holdable=True,
        one="meeting",
    ),
    Kind(
        RecordType.NOTIFICATION,
        "Notifications",
        "Messages in people's notification lists",
        "after they were sent",
        6,
        one="notification",
    ),
    Kind(
        RecordType.OUTBOX,
        "Sent emails",
        "Copies of emails sent from the service (the outbox)",
        "after they were sent",
        3,
        one="sent email",
    ),
    Kind(
        RecordType.AUDIT,
        "Audit log",
        "Who did and saw what. Reviewed only: each row's hash seals the one before it, so "
        "removing rows would break the proof that the log is complete",
        "after the event",
        84,
        review_only=True,
        one="audit entry",
    ),
)

KINDS: dict[str, Kind] = {kind.record_type.value: kind for kind in SCHEDULE}


def add_months(start: date, months: int) -> date:
    """`start` plus whole calendar months; the 31st becomes the month's last day."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def uk_date(moment: datetime) -> date:
    """The UK calendar day of a UTC moment: periods run in local days."""
    return moment.astimezone(UK).date()


def due_on(started: datetime | date, months: int) -> date:
    """The first day a record may be disposed of: its start date plus the period."""
    day = uk_date(started) if isinstance(started, datetime) else started
    return add_months(day, months)


def is_due(started: datetime | date, months: int, today: date) -> bool:
    """Due on the date itself, not the day before."""
    return due_on(started, months) <= today


def cutoff(months: int, today: date) -> date:
    """Records that started on or before this day are due today (the inverse of due_on).

    Going back whole months from `today` and then checking forwards keeps month ends
    right: a start of 31 August with 6 months is due 28 February.
    """
    back = add_months(today, -months)
    while is_due(back + _ONE_DAY, months, today):
        back += _ONE_DAY
    return back


def check_months(value: int) -> str | None:
    """The error message for a period a council may not set, or None."""
    if value < MIN_MONTHS:
        return f"Enter a period of at least {MIN_MONTHS} month"
    if value > MAX_MONTHS:
        return f"Enter a period of no more than {MAX_MONTHS} months"
    return None


def in_words(months: int) -> str:
    """ "6 years", "18 months", "1 year"."""
    if months % 12 == 0:
        years = months // 12
        return f"{years} year{'s' if years != 1 else ''}"
    return f"{months} month{'s' if months != 1 else ''}"


_ONE_DAY = date(2000, 1, 2) - date(2000, 1, 1)
