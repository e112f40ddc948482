"""iCalendar for panel meetings: a subscription feed and single-meeting downloads.

Only what a diary needs goes in: the panel's name, the venue and the time. Meetings
discuss OFFICIAL-SENSITIVE cases, and calendars are synced to phones and shared with
assistants, so nothing about a case ever does. No Flask here: views pass the meetings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from icalendar import Calendar, Event

from marac.formatting import UK
from marac.panels.models import Meeting, MeetingStatus

MEETING_LENGTH = timedelta(hours=2)  # a diary block; the agenda sets the real running order
PRODID = "-//Community MARAC//Panel meetings//EN"


def slug(text: str) -> str:
    """A lower-case, dash-separated form of `text` for stable UIDs: "ashbrook-borough-council"."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "marac"


def meeting_uid(meeting_id: int, domain: str) -> str:
    """Stable for the life of the meeting, so a move updates the diary entry in place."""
    return f"meeting-{meeting_id}@{domain}"


def meeting_event(meeting: Meeting, domain: str, stamp: datetime) -> Event:
    start = datetime.combine(meeting.meeting_date, meeting.start_time, tzinfo=UK)
    event = Event()
    event.add("uid", meeting_uid(meeting.id, domain))
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", start + MEETING_LENGTH)
    event.add("summary", meeting.panel.name)
    if meeting.venue:
        event.add("location", meeting.venue)
    cancelled = meeting.status == MeetingStatus.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    # Meeting.version rises with every change (a move, a cancellation): clients then
    # replace their copy. It starts at 1, SEQUENCE at 0.
    event.add("sequence", max(0, (meeting.version or 1) - 1))
    return event


def build_calendar(meetings: Iterable[Meeting], domain: str, name: str, stamp: datetime) -> bytes:
    """One VCALENDAR with an event per meeting; `meeting.panel` must be loaded."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/London")
    dates = []
    for meeting in meetings:
        cal.add_component(meeting_event(meeting, domain, stamp))
        dates.append(meeting.meeting_date)
    if dates:
        # Only the years the meetings span: a 70-year VTIMEZONE bloats every download.
        cal.add_missing_timezones(
            first_date=date(min(dates).year, 1, 1), last_date=date(max(dates).year + 1, 1, 1)
        )
    return cal.to_ical()
