"""Who may see an incident. Plain rules (no request needed), plus the same rule as SQL.

The creator; supervisors of the recording agency; coordinators of the incident's area
(any coordinator while the area is unknown, so nothing falls between panels). Admins
run the system and never see case data; panel members get agenda access later.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_
from sqlalchemy.orm import object_session

from marac.accounts.models import Role
from marac.incidents.models import Incident
from marac.people.restriction import is_hidden, no_case_content, shown_person


def _is_supervisor_of(user: Any, agency_id: int) -> bool:
    return bool(user.is_supervisor and user.agency_id == agency_id)


def can_view_incident(user: Any, incident: Incident) -> bool:
    """Also False when the incident's person is restricted from `user`."""
    if no_case_content(user):
        return False
    if is_hidden(object_session(incident), user, incident.person_id):
        return False
    if incident.created_by_id == user.id:
        return True
    if _is_supervisor_of(user, incident.agency_id):
        return True
    if user.has_role(Role.COORDINATOR):
        return incident.area_id is None or incident.area_id in {a.id for a in user.areas}
    return False


def viewable_incidents(user: Any) -> ColumnElement[bool]:
    """`can_view_incident` as a WHERE clause on Incident, for lists and searches."""
    if no_case_content(user):
        return false()
    conditions: list[ColumnElement[bool]] = [Incident.created_by_id == user.id]
    if user.is_supervisor:
        conditions.append(Incident.agency_id == user.agency_id)
    if user.has_role(Role.COORDINATOR):
        area_ids = [a.id for a in user.areas]
        conditions.append(or_(Incident.area_id.is_(None), Incident.area_id.in_(area_ids)))
    return and_(or_(*conditions), shown_person(user, Incident.person_id))


def coordinated_incidents(user: Any) -> ColumnElement[bool]:
    """The coordinator part of `viewable_incidents` alone: the incidents of their areas."""
    if not user.has_role(Role.COORDINATOR) or no_case_content(user):
        return false()
    area_ids = [a.id for a in user.areas]
    return and_(
        or_(Incident.area_id.is_(None), Incident.area_id.in_(area_ids)),
        shown_person(user, Incident.person_id),
    )
