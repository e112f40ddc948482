"""Who may see an incident: the rule table, and the same rule over HTTP (403s included)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.audit.models import AuditEvent
from marac.incidents.access import can_view_incident
from marac.incidents.models import Incident
from tests.factories import make_agency, make_area, make_user
from tests.incidents.helpers import make_incident


@pytest.fixture
def case(db: Session) -> dict[str, Any]:
    """An incident in area North recorded by a police referrer, and everyone around it."""
    police, housing = make_agency(db, "Police"), make_agency(db, "Housing")
    north, south = make_area(db, "North", districts="AK1"), make_area(db, "South", districts="AK9")
    creator = make_user(db, Role.REFERRER, agency=police)
    people = {
        "creator": creator,
        "colleague": make_user(db, Role.REFERRER, agency=police),
        "supervisor": make_user(db, Role.REFERRER, agency=police, supervisor=True),
        "other_supervisor": make_user(db, Role.REFERRER, agency=housing, supervisor=True),
        "other_referrer": make_user(db, Role.REFERRER, agency=housing),
        "coordinator_north": make_user(db, Role.COORDINATOR, agency=housing, areas=[north]),
        "coordinator_south": make_user(db, Role.COORDINATOR, agency=housing, areas=[south]),
        "member": make_user(db, Role.MEMBER, agency=police),
        "admin": make_user(db, Role.ADMIN, agency=police, supervisor=True),
    }
    incident = make_incident(db, creator, area=north)
    unplaced = make_incident(db, creator, area=None)
    return {"users": people, "incident": incident, "unplaced": unplaced}


SEES = {
    "creator": (True, True),
    "colleague": (False, False),
    "supervisor": (True, True),
    "other_supervisor": (False, False),
    "other_referrer": (False, False),
    "coordinator_north": (True, True),
    "coordinator_south": (False, True),  # any coordinator sees an incident with no area
    "member": (False, False),
    "admin": (False, False),
}


@pytest.mark.parametrize("who", list(SEES))
def test_rule_table(case: dict[str, Any], who: str) -> None:
    user = case["users"][who]
    placed, unplaced = SEES[who]
    assert can_view_incident(user, case["incident"]) is placed
    assert can_view_incident(user, case["unplaced"]) is unplaced


@pytest.mark.parametrize("who", list(SEES))
def test_rule_over_http(db: Session, login, case: dict[str, Any], who: str) -> None:
    client = login(case["users"][who])
    placed, _ = SEES[who]
    incident: Incident = case["incident"]
    response = client.get(f"/incidents/{incident.id}")
    assert response.status_code == (200 if placed else 403)
    viewed = db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "incident_viewed", AuditEvent.object_id == str(incident.id)
        )
    ).all()
    assert len(viewed) == (1 if placed else 0)
    if placed:
        assert viewed[0].user_id == case["users"][who].id
    # The victim's page follows the same rule for someone they did not create.
    assert client.get(f"/people/{incident.person_id}").status_code == (200 if placed else 403)


def test_missing_incident_is_404(db: Session, login) -> None:
    assert login(make_user(db)).get("/incidents/99999").status_code == 404
