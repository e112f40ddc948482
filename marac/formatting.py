"""Dates and times as council staff read them: UK time, GOV.UK style ("5 March 2026")."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # rule modules and notices use these helpers without Flask
    from flask import Flask

UK = ZoneInfo("Europe/London")


def uk_time(value: datetime) -> datetime:
    return value.astimezone(UK)


def uk_today() -> date:
    """Today's date in the UK: meetings and due dates are local calendar days."""
    return datetime.now(UK).date()


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = uk_time(value)
    return f"{value.day} {value:%B %Y}"


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = uk_time(value)
    return f"{local.day} {local:%B %Y} at {clock(local)}"


def clock(value: datetime | time | None) -> str:
    """One way to write a time everywhere (pages, PDFs, emails): GOV.UK style, "1:30pm",
    "10am".

    A datetime is read in UK time; a bare time (a meeting's start) is already local.
    Midday and midnight are written "12pm" and "12am" would be ambiguous, so GOV.UK's
    "midday" and "midnight" are used for them.
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = uk_time(value)
    if value.minute == 0 and value.hour in (0, 12):
        return "midnight" if value.hour == 0 else "midday"
    hour = value.hour % 12 or 12
    minutes = f":{value.minute:02d}" if value.minute else ""  # "10am", "10:15am"
    return f"{hour}{minutes}{'am' if value.hour < 12 else 'pm'}"


def format_time(value: datetime | None) -> str:
    return clock(value)


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """ "1 case", "3 cases": never "case(s)", which screen readers spell out."""
    word = singular if count == 1 else (plural_form or f"{singular}s")
    return f"{count} {word}"


def register(app: Flask) -> None:
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_time, "time")
    app.add_template_filter(clock, "clock")
    app.add_template_filter(plural, "plural")
    app.add_template_global(plural, "plural")
