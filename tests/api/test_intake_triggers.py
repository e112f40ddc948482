"""Incidents pushed by a records system fire the referral rules as the page does.

Three incidents against one victim within a year is the escalation rule: the third one
pushed makes exactly one referral, which the area's coordinator sees in screening and the
sender reads back by its own reference (reference, status, no meeting yet).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.people.models import Person
from marac.referrals.models import Referral, ReferralStatus
from tests.api.helpers import call, make_api_client
from tests.api.payloads import incident_body
from tests.conftest import Client
from tests.factories import make_agency, make_area
from tests.referrals.helpers import make_coordinator


def test_a_third_pushed_incident_lands_in_the_coordinators_screening_queue(
    db: Session, client: Client, login: Any
) -> None:
    north = make_area(db, "North", districts="AK1")
    coordinator = make_coordinator(db, north)
    _, token = make_api_client(db, agency=make_agency(db, "North Police"))
    receipts = []
    for n in range(3):
        body = incident_body(reference=f"AK/{n}/26", crime_reference=f"AK/{n}/26")
        response = call(
            client, "POST", "/api/v1/incidents", token, json=body,
            headers={"Idempotency-Key": f"key-{n}"},
        )  # fmt: skip
        assert response.status_code == 201, response.get_data(as_text=True)
        receipts.append(response.get_json())
    assert db.scalar(select(func.count()).select_from(Person)) == 1  # exact match links
    [referral] = db.scalars(select(Referral)).all()
    assert referral.status == ReferralStatus.NEW.value and referral.area_id == north.id
    assert receipts[2]["referral"] == {
        "reference": referral.reference,
        "status": "new",
        "meeting_date": None,
    }
    back = call(client, "GET", "/api/v1/incidents/AK/2/26", token).get_json()
    assert back["referral"]["reference"] == referral.reference
    page = login(coordinator).get("/referrals/screening").get_data(as_text=True)
    assert referral.reference in page
