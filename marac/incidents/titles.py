"""How pages, lists, PDFs and packs name an incident: "Verbal abuse, 3 March 2026".

Never the database id ("Incident 95" means nothing to the people in the room) and never
a name or the full address: titles go in page titles, browser history, lists and PDFs
seen by many. Plain rules, no Flask.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from marac.formatting import format_date
from marac.incidents.models import INCIDENT_TYPE_LABELS, IncidentType

# "Other, 3 March 2026" would read as half a title.
_TITLE_LABELS = {**INCIDENT_TYPE_LABELS, IncidentType.OTHER: "Other incident"}


class Titled(Protocol):
    incident_type: str
    occurred_at: datetime | date


def title_for(incident_type: str | None, occurred_at: datetime | date | None) -> str:
    """The title from the two facts it is made of (for rows that are not an `Incident`)."""
    kind = _TITLE_LABELS.get(incident_type or "", "") or "Incident"
    when = format_date(occurred_at)
    return f"{kind}, {when}" if when else kind


def incident_title(incident: Titled) -> str:
    """The incident's type and the day it happened (UK time)."""
    return title_for(incident.incident_type, incident.occurred_at)


def lower_title(incident: Titled) -> str:
    """For the middle of a sentence: "the verbal abuse incident of 3 March 2026"."""
    kind = _TITLE_LABELS.get(incident.incident_type, "") or "incident"
    noun = kind.lower() if kind.lower().endswith("incident") else f"{kind.lower()} incident"
    return f"the {noun} of {format_date(incident.occurred_at)}"
