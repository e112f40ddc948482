"""Dates and times as council staff read them: UK time, GOV.UK style ("5 March 2026")."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

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
    hour = local.hour % 12 or 12
    return f"{local.day} {local:%B %Y} at {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


def format_time(value: datetime | None) -> str:
    if value is None:
        return ""
    local = uk_time(value)
    hour = local.hour % 12 or 12
    return f"{hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


def register(app: Flask) -> None:
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_time, "time")
