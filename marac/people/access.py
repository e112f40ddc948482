"""Who may see a person: anyone who may see one of their incidents, or who recorded them.

A coordinator of an area where the person has an incident is covered by the incident
rule. One query at most, whatever the person's history.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, false, or_, select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.incidents.access import viewable_incidents
from marac.incidents.models import Incident
from marac.people.models import Person


def can_view_person(session: Session, user: Any, person: Person) -> bool:
    if user.has_role(Role.ADMIN):
        return False
    if person.created_by_id == user.id:
        return True
    query = select(exists().where(Incident.person_id == person.id, viewable_incidents(user)))
    return bool(session.scalar(query))


def viewable_people(user: Any) -> ColumnElement[bool]:
    """`can_view_person` as a WHERE clause on Person, for searches and lists."""
    if user.has_role(Role.ADMIN):
        return false()
    return or_(
        Person.created_by_id == user.id,
        exists().where(Incident.person_id == Person.id, viewable_incidents(user)),
    )
