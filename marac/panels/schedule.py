"""When a panel meets: dates at its cadence, moved off bank holidays and weekends.

Plain functions (no Flask): the date rules take plain values; `schedule_panel` applies
them to a panel with a database session, for the views and the demo alike. England
and Wales bank holidays come from the `holidays` package, which works offline.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.panels.models import Meeting, Panel

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WORKING_WEEKDAYS = range(5)  # Monday to Friday
MAX_MONTHS = 24  # how far ahead one "Schedule meetings" run may reach


@dataclass(frozen=True)
class PlannedMeeting:
    """A meeting to add: its date and, when moved off its cadence date, why."""

    meeting_date: date
    cadence_date: date
    change_note: str = ""


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("GB", subdiv="ENG", years=year).items())


def _holiday_label(name: str) -> str:
    """The package's name in the panel's words, e.g. "Spring bank holiday"."""
    parts = []
    for one in name.split("; "):
        one = one.replace("Bank Holiday", "bank holiday")
        one = one.replace("(observed)", "(substitute day)")
        parts.append(one)
    return "; ".join(parts)


def bank_holiday(day: date) -> str | None:
    """The England and Wales bank holiday on `day`, if any (substitute days included)."""
    name = _bank_holidays(day.year).get(day)
    return _holiday_label(name) if name else None


def not_working_reason(day: date) -> str | None:
    """Why nobody meets on `day` (a bank holiday or the weekend), or None on a working day."""
    holiday = bank_holiday(day)
    if holiday:
        return holiday
    if day.weekday() not in WORKING_WEEKDAYS:
        return "weekend"
    return None


def next_working_day(day: date) -> date:
    """`day` itself when it is a working day, otherwise the first working day after it."""
    while not_working_reason(day) is not None:
        day += timedelta(days=1)
    return day


def long_date(day: date) -> str:
    """ "Monday 25 May 2026", as the change note reads."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {day:%B %Y}"


def move_note(original: date, reason: str) -> str:
    return f"Moved from {long_date(original)}: {reason}"


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - every month has 28 days


def on_or_after_weekday(day: date, weekday: int) -> date:
    """The first date on or after `day` that falls on `weekday` (Monday 0)."""
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def continue_after(last_meeting: date, weekday: int, cadence_weeks: int) -> date:
    """The next cadence date after the panel's last meeting.

    A moved meeting (Tuesday after a bank holiday Monday) counts from the usual weekday
    of its week, so the cycle does not drift a day each time a meeting is moved.
    """
    back = (last_meeting.weekday() - weekday) % 7
    return last_meeting - timedelta(days=back) + timedelta(weeks=cadence_weeks)


def cadence_dates(first: date, cadence_weeks: int, until: date) -> list[date]:
    """`first` and every `cadence_weeks` after it, before `until` (exclusive)."""
    if cadence_weeks < 1:
        raise ValueError("cadence_weeks must be at least 1")
    dates = []
    day = first
    while day < until:
        dates.append(day)
        day += timedelta(weeks=cadence_weeks)
    return dates


def plan_meetings(
    first: date,
    cadence_weeks: int,
    until: date,
    existing: Iterable[date] = (),
) -> list[PlannedMeeting]:
    """The meetings to add from `first` (inclusive) to `until` (exclusive).

    Each cadence date on a bank holiday or weekend moves to the next working day, with
    the reason in its change note. A date is skipped when the panel already has a
    meeting in that cycle (within half the cadence either side, so a meeting the
    coordinator moved by hand, or one scheduled by an earlier run, is never doubled).
    """
    taken = sorted(set(existing))
    window = timedelta(days=cadence_weeks * 7 / 2)
    planned: list[PlannedMeeting] = []
    for cadence_date in cadence_dates(first, cadence_weeks, until):
        reason = not_working_reason(cadence_date)
        meeting_date = next_working_day(cadence_date)
        if any(abs(t - meeting_date) < window or t == cadence_date for t in taken):
            continue
        note = move_note(cadence_date, reason) if reason else ""
        planned.append(PlannedMeeting(meeting_date, cadence_date, note))
        taken.append(meeting_date)
    return planned


def move_refusal(new_date: date, today: date) -> str | None:
    """Why a meeting may not move to `new_date`, or None when it may."""
    if new_date < today:
        return "The new date must be today or in the future"
    holiday = bank_holiday(new_date)
    if holiday:
        return f"{long_date(new_date)} is a bank holiday ({holiday}): choose another date"
    return None


def schedule_panel(db: Session, panel: Panel, first: date, until: date) -> list[Meeting]:
    """Add `panel`'s meetings from `first` to `until` (exclusive); return the new ones.

    `first` moves on to the panel's usual weekday. The panel's existing meetings, in any
    state (a cancelled one too: that cycle does not meet), are never doubled.
    """
    existing = db.scalars(select(Meeting.meeting_date).where(Meeting.panel_id == panel.id))
    start = on_or_after_weekday(first, panel.weekday)
    added = []
    for plan in plan_meetings(start, panel.cadence_weeks, until, existing):
        meeting = Meeting(
            panel_id=panel.id,
            meeting_date=plan.meeting_date,
            start_time=panel.start_time,
            venue=panel.venue,
            change_note=plan.change_note,
        )
        db.add(meeting)
        added.append(meeting)
    db.flush()
    return added
