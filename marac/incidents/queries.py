"""Reads of the incident pages, with the need-to-know check inside (pages, API, jobs).

Each function takes `(db, viewer, ...)` and raises `NotFound` or `Refused` itself, so no
door can read an incident or a person the viewer may not open.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from marac.accounts.models import Area, User
from marac.audit import record
from marac.incidents.access import can_view_incident
from marac.incidents.labels import local_strand_names, strand_summary
from marac.incidents.models import Incident
from marac.operations import NotFound, allow, operation
from marac.people.access import can_view_person
from marac.people.models import Person


def victim_for_new_incident(db: Session, viewer: User, person_id: int) -> Person:
    """The known person an incident is about to be recorded against (`?person_id=`)."""
    person = db.get(Person, person_id)
    if person is None:
        raise NotFound()
    allow(can_view_person(db, viewer, person))
    return person


@dataclass(frozen=True)
class IncidentPage:
    """What the incident page shows. `can_view_person` is False when the victim was
    linked by matching to a record outside the viewer's view: the page shows only the
    name they typed, with no link and no other detail."""

    incident: Incident
    person: Person | None
    can_view_person: bool
    area: Area | None
    creator: User | None
    strand_lines: list[str]


@operation
def incident_page(db: Session, viewer: User, incident_id: int) -> IncidentPage:
    """The incident, for a viewer allowed to see it; the view is audited (one commit,
    hence `@operation`: reading a case is recorded like a change)."""
    incident = db.get(Incident, incident_id)
    if incident is None:
        raise NotFound()
    allow(can_view_incident(viewer, incident))
    person = db.get(Person, incident.person_id)
    visible = person is not None and can_view_person(db, viewer, person)
    page = IncidentPage(
        incident=incident,
        person=person,
        can_view_person=visible,
        area=db.get(Area, incident.area_id) if incident.area_id else None,
        creator=db.get(User, incident.created_by_id),
        strand_lines=strand_summary(incident, local_strand_names(db, [incident])),
    )
    record(
        db,
        "incident_viewed",
        "incident",
        incident.id,
        f"Viewed incident {incident.id}",
        user=viewer,
    )
    return page
