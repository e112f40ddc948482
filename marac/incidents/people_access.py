"""The incidents' reason to see a person, registered with `marac.people.access`.

A user may see a person through an incident they may see. A coordinator of an area where
the person has an incident is covered by the incident rule. An incident linked by
matching to a person its recorder could not see (`Incident.person_withheld`) is still the
recorder's, but it shows the person only to the coordinators of its area: linking never
widens what the recorder's side may see. Also names the perpetrator link for matching.
Imported by `create_app`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_

from marac.incidents.access import coordinated_incidents, viewable_incidents
from marac.incidents.models import Incident, Perpetrator
from marac.people.access import register_reason
from marac.people.matching import register_perpetrator_link
from marac.people.models import Person


@register_reason
def through_incidents(user: Any) -> ColumnElement[bool]:
    """People with an incident that lets `user` see the person it is recorded against."""
    showing = or_(
        and_(Incident.person_withheld.is_(False), viewable_incidents(user)),
        coordinated_incidents(user),
    )
    return exists().where(Incident.person_id == Person.id, showing)


register_perpetrator_link(Perpetrator.person_id)
