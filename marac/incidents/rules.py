"""Rules for recording an incident, as plain functions: time, strands and perpetrators.

No Flask here: the form calls these and tests call them directly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from marac.incidents.strands import (
    STRAND_LABELS,
    SUBCATEGORY_LABELS,
    SUBCATEGORY_STRAND,
    aggravation_problem,
)

UK = ZoneInfo("Europe/London")
TIME_RE = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")


def parse_time(text: str | None) -> time | None:
    """ "14:30" or "9:05" (24-hour clock) -> time; anything else -> None."""
    match = TIME_RE.match((text or "").strip())
    if not match:
        return None
    return time(int(match.group(1)), int(match.group(2)))


def occurred_at(day: date, at: time) -> datetime:
    """Staff type UK local time; it is stored in UTC."""
    return datetime.combine(day, at, tzinfo=UK).astimezone(UTC)


def when_problem(day: date, at: time, now: datetime) -> tuple[str, str] | None:
    """(field, message) when the incident would be in the future, else None."""
    today = now.astimezone(UK).date()
    if day > today:
        return ("occurred_on", "The date of the incident must be today or in the past")
    if occurred_at(day, at) > now:
        return ("occurred_time", "The time of the incident must be in the past")
    return None


def strand_problem(
    strands: Iterable[str], subcategories: Iterable[str], local: Iterable[str]
) -> str | None:
    """At least one strand; every sub-category needs its own strand selected too."""
    chosen = set(strands)
    for sub in subcategories:
        parent = SUBCATEGORY_STRAND.get(sub)
        if parent is None:
            return "Select sub-categories from the list"
        if parent not in chosen:
            return (
                f"{SUBCATEGORY_LABELS[sub]} is part of {STRAND_LABELS[parent].lower()}: "
                f"select {STRAND_LABELS[parent].lower()} too, or untick {SUBCATEGORY_LABELS[sub]}"
            )
    if not chosen and not list(local):
        return "Select at least one hate strand"
    return None


def aggravated_problem(recorded_as: str, aggravated: bool, strands: Iterable[str]) -> str | None:
    """Only a crime can be an aggravated offence, and it needs race or religion."""
    if recorded_as != "crime":
        if aggravated:
            return (
                "Only a hate crime can be an aggravated offence: select no, "
                "or record it as a hate crime"
            )
        return None
    return aggravation_problem(aggravated, set(strands))


def perpetrator_problem(
    number: int, known: str | None, name: str, relationship: str, age_band: str, description: str
) -> tuple[str, str] | None:
    """(field, message) for a half-filled perpetrator, else None. A blank one is skipped."""
    if perpetrator_is_blank(known, name, relationship, age_band, description):
        return None
    if known not in {"yes", "no"}:
        return ("known", f"Select whether perpetrator {number} is known")
    if known == "yes" and not name:
        return ("name", f"Enter perpetrator {number}'s name, or select that they are not known")
    return None


def perpetrator_is_blank(
    known: str | None, name: str, relationship: str, age_band: str, description: str
) -> bool:
    return not (known or name or relationship or description) and age_band in {"", "unknown"}
