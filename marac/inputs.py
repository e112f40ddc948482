"""Hostile-input guards shared by every view: ids, dates and text the database can store.

A bad value must give a clear page or field error, never a 500: the database refuses ids
beyond its integer type and text with NUL bytes, and Python's dates stop at year 9999.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, request
from werkzeug.routing import IntegerConverter

# Primary keys are PostgreSQL `integer`; a larger id cannot name a row.
MAX_ID = 2**31 - 1
# Dates people type: the service has no use for years outside these.
MIN_YEAR = 1900
MAX_YEAR = 2100


class IdConverter(IntegerConverter):
    """`<int:...>` in URLs, bounded to what an id column holds: anything larger is a 404."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def as_id(value: str | None) -> int | None:
    """A submitted id as a number, or None when it is missing or cannot name a row."""
    text = (value or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def id_arg(name: str) -> int | None:
    """An id from the query string (see `as_id`)."""
    return as_id(request.args.get(name))


def year_error(year: int, label: str, low: int = MIN_YEAR, high: int = MAX_YEAR) -> str | None:
    """The message for a year outside the field's bounds, or None when it is fine."""
    if low <= year <= high:
        return None
    return f"{label} must have a year between {low} and {high}"


def iso_day(value: str | None) -> date | None:
    """A `YYYY-MM-DD` query value within the service's years, or None."""
    try:
        day = date.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return day if MIN_YEAR <= day.year <= MAX_YEAR else None


def _has_nul(values: Any) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values.getlist(key)) for key in values)


def refuse_nul_bytes() -> None:
    """No text the service stores or searches may hold a NUL byte (PostgreSQL refuses it)."""
    if "\x00" in request.path or _has_nul(request.args):
        abort(400)
    if (
        request.method == "POST"
        and request.mimetype
        in {
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        }
        and _has_nul(request.form)
    ):
        abort(400)
