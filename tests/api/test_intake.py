"""POST /api/v1/incidents and its read-back: validated as the form, idempotent, scoped."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.audit.models import AuditEvent
from marac.incidents.models import Incident
from marac.people.models import Person
from tests.api.helpers import call, make_api_client
from tests.api.payloads import incident_body
from tests.conftest import Client
from tests.factories import make_agency, make_area


def _post(client: Client, token: str, body: Any, key: str = "key-1", **kw: Any) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return call(client, "POST", "/api/v1/incidents", token, json=body, headers=headers, **kw)


def _count(db: Session, model: Any) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_an_incident_is_recorded_as_the_clients_service_user(db: Session, client: Client) -> None:
    make_area(db, "North", districts="AK1")
    police = make_agency(db, "North Police")
    api_client, token = make_api_client(db, agency=police)
    response = _post(client, token, incident_body())
    assert response.status_code == 201, response.get_data(as_text=True)
    receipt = response.get_json()
    assert receipt["sender_reference"] == "AK/12345/26" and receipt["referral"] is None
    incident = db.get(Incident, receipt["incident_id"])
    assert incident is not None and incident.created_by_id == api_client.service_user_id
    assert incident.agency_id == police.id and incident.crime_reference == "AK/12345/26"
    assert {s.code for s in incident.strands} >= {"religion", "race"}
    actions = [e.action for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert "incident_recorded" in actions and "api_intake" in actions
    assert actions[-1] == "api_call"


def test_a_retry_returns_the_first_result_and_records_nothing_more(
    db: Session, client: Client
) -> None:
    _, token = make_api_client(db)
    first = _post(client, token, incident_body())
    again = _post(client, token, incident_body())
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    # A new key but the same reference and body is still the same incident.
    other_key = _post(client, token, incident_body(), key="key-2")
    assert other_key.status_code == 200
    assert other_key.get_json()["incident_id"] == first.get_json()["incident_id"]
    assert _count(db, Incident) == 1 and _count(db, Person) == 1


def test_the_same_key_with_another_body_is_422_and_another_body_for_a_reference_409(
    db: Session, client: Client
) -> None:
    _, token = make_api_client(db)
    assert _post(client, token, incident_body()).status_code == 201
    changed = incident_body(description="Something else entirely.")
    reused = _post(client, token, changed)
    assert reused.status_code == 422 and reused.mimetype == "application/problem+json"
    assert reused.get_json()["errors"][0]["field"] == "Idempotency-Key"
    clash = _post(client, token, changed, key="key-2")
    assert clash.status_code == 409
    assert _count(db, Incident) == 1


def test_form_rules_come_back_as_field_errors(db: Session, client: Client) -> None:
    _, token = make_api_client(db)
    body = incident_body(strands=["sexual_orientation"], subcategories=[])
    body["victim"]["postcode"] = "NOT A POSTCODE"
    response = _post(client, token, body)
    assert response.status_code == 422, response.get_data(as_text=True)
    fields = {e["field"] for e in response.get_json()["errors"]}
    assert {"victim.postcode", "aggravated_offence"} <= fields
    assert _count(db, Incident) == 0


def test_bad_payloads_are_problems_naming_fields(db: Session, client: Client) -> None:
    _, token = make_api_client(db)
    wrong_types = incident_body(online="sometimes", victim={"full_name": 7})
    response = _post(client, token, wrong_types)
    assert response.status_code == 422
    fields = {e["field"] for e in response.get_json()["errors"]}
    assert {"online", "victim.full_name"} <= fields
    missing = _post(client, token, {"sender_reference": "X1"})
    assert {"occurred_on", "victim"} <= {e["field"] for e in missing.get_json()["errors"]}
    no_key = _post(client, token, incident_body(), key="")
    assert no_key.status_code == 422
    assert "Idempotency-Key" in {e["field"] for e in no_key.get_json()["errors"]}
    bad_json = call(
        client, "POST", "/api/v1/incidents", token, data="{not json",
        headers={"Idempotency-Key": "k", "Content-Type": "application/json"},
    )  # fmt: skip
    assert bad_json.status_code == 400 and bad_json.mimetype == "application/problem+json"
    form = call(
        client, "POST", "/api/v1/incidents", token, data={"a": "b"},
        headers={"Idempotency-Key": "k"},
    )  # fmt: skip
    assert form.status_code == 415
    huge = _post(client, token, incident_body(description="x" * 300_000))
    assert huge.status_code == 413
    nul = _post(client, token, incident_body(description="abc\u0000def"))
    assert nul.status_code in {400, 422} and nul.mimetype == "application/problem+json"
    deep = call(
        client, "POST", "/api/v1/incidents", token, data="[" * 50_000 + "]" * 50_000,
        headers={"Idempotency-Key": "k", "Content-Type": "application/json"},
    )  # fmt: skip
    assert deep.status_code == 400 and deep.mimetype == "application/problem+json"
    assert _count(db, Incident) == 0


def test_scopes_are_needed(db: Session, client: Client) -> None:
    _, reader = make_api_client(db, scopes=["referrals:read"])
    refused = _post(client, reader, incident_body())
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    _, writer = make_api_client(db, scopes=["incidents:write"])
    assert _post(client, writer, incident_body()).status_code == 201
    assert call(client, "GET", "/api/v1/incidents/AK/12345/26", writer).status_code == 403
    assert _count(db, Incident) == 1


def test_read_back_is_only_for_the_sender(db: Session, client: Client) -> None:
    _, token = make_api_client(db)
    _, other = make_api_client(db)
    created = _post(client, token, incident_body()).get_json()
    mine = call(client, "GET", "/api/v1/incidents/AK/12345/26", token)
    assert mine.status_code == 200 and mine.get_json() == created
    theirs = call(client, "GET", "/api/v1/incidents/AK/12345/26", other)
    unknown = call(client, "GET", "/api/v1/incidents/NEVER-SENT", other)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.get_json()["detail"] == unknown.get_json()["detail"]
