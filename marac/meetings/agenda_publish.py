"""Before the chair publishes: who will be told, and which agreements have lapsed.

Publishing emails every member of every agency on the panel, so the chair confirms it
on a page that names them first. An agency whose information-sharing agreement has
lapsed is still told (the panel may need it), but only with a reason on the meeting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from marac.accounts.agreements import is_lapsed
from marac.accounts.models import Agency, User
from marac.meetings import queries
from marac.notify.events import members_of_agencies
from marac.panels.models import Meeting

LAPSED_REASON_MISSING = (
    "Enter why you are publishing to agencies whose information-sharing agreement has lapsed"
)


@dataclass
class Recipients:
    """One member agency and the people in it who will be told."""

    agency: Agency
    people: list[User] = field(default_factory=list)
    lapsed: bool = False


@dataclass
class PublishPreview:
    meeting: Meeting
    listed: int
    agencies: list[Recipients]

    @property
    def lapsed(self) -> list[Agency]:
        return [r.agency for r in self.agencies if r.lapsed]

    @property
    def people_count(self) -> int:
        return sum(len(r.people) for r in self.agencies)


def lapsed_agencies(meeting: Meeting, today: date) -> list[Agency]:
    """The panel's member agencies whose agreement has lapsed, by name (no query)."""
    return [a for a in queries.panel_agencies(meeting) if is_lapsed(a, today)]


def recipients(db: Session, meeting: Meeting, today: date) -> list[Recipients]:
    """Each member agency by name with its panel members (one query)."""
    agencies = queries.panel_agencies(meeting)
    by_agency = {a.id: Recipients(a, lapsed=is_lapsed(a, today)) for a in agencies}
    for user in members_of_agencies(db, list(by_agency)):
        by_agency[user.agency_id].people.append(user)
    for entry in by_agency.values():
        entry.people.sort(key=lambda u: (u.name.lower(), u.id))
    return [by_agency[a.id] for a in agencies]


def publish_preview(db: Session, viewer: Any, meeting_id: int, today: date) -> PublishPreview:
    """What publishing this meeting's agenda would do (`Refused` unless the viewer runs it)."""
    meeting = queries.running_meeting(db, viewer, meeting_id)
    return PublishPreview(
        meeting=meeting,
        listed=queries.listed_count(db, meeting),
        agencies=recipients(db, meeting, today),
    )
