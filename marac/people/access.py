"""Who may see a person: anyone who may see one of their incidents, or who recorded them.

A coordinator of an area where the person has an incident is covered by the incident
rule. An incident linked by matching to a person its recorder could not see
(`Incident.person_withheld`) is still the recorder's, but it shows the person only to
the coordinators of its area: linking never widens what the recorder's side may see.
One query at most, whatever the person's history.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, or_, select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.incidents.access import coordinated_incidents, viewable_incidents
from marac.incidents.models import Incident
from marac.people.models import Person


def _showing_person(user: Any) -> ColumnElement[bool]:
    """Incidents (a WHERE clause) that let `user` see the person they are recorded against."""
    return or_(
        and_(Incident.person_withheld.is_(False), viewable_incidents(user)),
        coordinated_incidents(user),
    )


def can_view_person(session: Session, user: Any, person: Person) -> bool:
    if user.has_role(Role.ADMIN):
        return False
    if person.created_by_id == user.id:
        return True
    query = select(exists().where(Incident.person_id == person.id, _showing_person(user)))
    return bool(session.scalar(query))


def viewable_people(user: Any) -> ColumnElement[bool]:
    """`can_view_person` as a WHERE clause on Person, for searches and lists."""
    if user.has_role(Role.ADMIN):
        return false()
    return or_(
        Person.created_by_id == user.id,
        exists().where(Incident.person_id == Person.id, _showing_person(user)),
    )


def viewable_person_ids(session: Session, user: Any, ids: set[int]) -> set[int]:
    """Which of `ids` the user may see, in one query (for matching and lists)."""
    if not ids:
        return set()
    return set(session.scalars(select(Person.id).where(Person.id.in_(ids), viewable_people(user))))
