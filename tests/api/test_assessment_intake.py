"""POST /api/v1/assessments and its read-back: checked as the pages, idempotent, scoped.

An endorsed high assessment pushed by a records system fires the trigger rules with no
human step: exactly one referral, in the area's coordinator's screening queue.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.api.models import Scope
from marac.assessments.models import AssessmentStatus, RiskAssessment
from marac.referrals.models import Referral
from tests.api.helpers import call, make_api_client
from tests.api.payloads import assessment_body, incident_body
from tests.conftest import Client
from tests.factories import make_agency, make_area
from tests.referrals.helpers import make_coordinator

PROBLEM = "application/problem+json"


def _count(db: Session, model: Any) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def _post(client: Client, token: str, body: Any, key: str = "ra-1") -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return call(client, "POST", "/api/v1/assessments", token, json=body, headers=headers)


def _sent_incident(client: Client, token: str, reference: str = "AK/12345/26") -> dict[str, Any]:
    response = call(
        client, "POST", "/api/v1/incidents", token,
        json=incident_body(reference=reference), headers={"Idempotency-Key": f"i-{reference}"},
    )  # fmt: skip
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def _fields(response: Any) -> set[str]:
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    return {e["field"] for e in response.get_json()["errors"]}


def test_a_pushed_endorsed_high_assessment_is_one_referral_in_screening(
    db: Session, client: Client, login: Any
) -> None:
    north = make_area(db, "North", districts="AK1")
    coordinator = make_coordinator(db, north)
    api_client, token = make_api_client(db, agency=make_agency(db, "North Police"))
    _sent_incident(client, token)
    response = _post(client, token, assessment_body())
    assert response.status_code == 201, response.get_data(as_text=True)
    receipt = response.get_json()
    assessment = db.get(RiskAssessment, receipt["assessment_id"])
    assert assessment is not None and assessment.assessor_id == api_client.service_user_id
    assert assessment.status == AssessmentStatus.ENDORSED and assessment.final_level == "high"
    assert assessment.external_endorser_name == "Sgt K. Osei"
    [referral] = db.scalars(select(Referral)).all()
    assert referral.assessment_id == assessment.id and referral.area_id == north.id
    assert receipt == {
        "sender_reference": "RA/777/26",
        "assessment_id": assessment.id,
        "status": "endorsed",
        "final_level": "high",
        "referral": {"reference": referral.reference, "status": "new", "meeting_date": None},
    }
    back = call(client, "GET", "/api/v1/assessments/RA/777/26", token)
    assert back.status_code == 200 and back.get_json() == receipt
    page = login(coordinator).get("/referrals/screening").get_data(as_text=True)
    assert page.count(referral.reference) >= 1
    assert _count(db, Referral) == 1


def test_without_an_endorsement_it_is_submitted_and_no_referral_yet(
    db: Session, client: Client
) -> None:
    make_area(db, "North", districts="AK1")
    _, token = make_api_client(db)
    _sent_incident(client, token)
    response = _post(client, token, assessment_body(endorsed=False))
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["status"], body["final_level"], body["referral"]) == ("submitted", None, None)
    assert _count(db, Referral) == 0


def test_a_retry_returns_the_first_result_and_makes_nothing_more(
    db: Session, client: Client
) -> None:
    make_area(db, "North", districts="AK1")
    _, token = make_api_client(db)
    _sent_incident(client, token)
    body = assessment_body()
    first = _post(client, token, body)
    again = _post(client, token, body)
    other_key = _post(client, token, body, key="ra-2")
    assert (first.status_code, again.status_code, other_key.status_code) == (201, 200, 200)
    assert again.get_json() == first.get_json() == other_key.get_json()
    assert _count(db, RiskAssessment) == 1 and _count(db, Referral) == 1
    changed = {**body, "judgement": {**body["judgement"], "rationale": "Another reason."}}
    reused = _post(client, token, changed)
    assert reused.status_code == 422 and "Idempotency-Key" in _fields(reused)
    clash = _post(client, token, changed, key="ra-3")
    assert clash.status_code == 409 and clash.mimetype == PROBLEM
    assert _count(db, RiskAssessment) == 1


def test_the_endorsement_block_needs_the_endorse_scope(db: Session, client: Client) -> None:
    make_area(db, "North", districts="AK1")
    _, token = make_api_client(
        db, scopes=[Scope.INCIDENTS_WRITE.value, Scope.ASSESSMENTS_WRITE.value]
    )
    _sent_incident(client, token)
    refused = _post(client, token, assessment_body())
    assert refused.status_code == 403 and refused.mimetype == PROBLEM
    assert "assessments:endorse" in refused.get_json()["detail"]
    assert _count(db, RiskAssessment) == 0
    assert _post(client, token, assessment_body(endorsed=False)).status_code == 201


def test_scopes_are_needed_to_send_and_to_read_back(db: Session, client: Client) -> None:
    _, reader = make_api_client(db, scopes=[Scope.REFERRALS_READ.value])
    refused = _post(client, reader, assessment_body())
    assert refused.status_code == 403 and refused.mimetype == PROBLEM
    _, writer = make_api_client(db, scopes=[Scope.ASSESSMENTS_WRITE.value])
    read = call(client, "GET", "/api/v1/assessments/RA/777/26", writer)
    assert read.status_code == 403 and read.mimetype == PROBLEM
    assert call(client, "GET", "/api/v1/assessments/RA/1", None).status_code == 401


def test_another_clients_assessment_and_incident_are_not_found(db: Session, client: Client) -> None:
    make_area(db, "North", districts="AK1")
    _, ours = make_api_client(db)
    _, theirs = make_api_client(db)
    _sent_incident(client, ours)
    assert _post(client, ours, assessment_body()).status_code == 201
    other = call(client, "GET", "/api/v1/assessments/RA/777/26", theirs)
    assert other.status_code == 404 and other.mimetype == PROBLEM
    # Their incident reference means nothing to us: 422 naming the field, nothing made.
    response = _post(client, theirs, assessment_body())
    assert _fields(response) == {"incident_reference"}
    assert _count(db, RiskAssessment) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"instrument_version": "1999.1"}, "instrument_version"),
        ({"answers": "q12"}, "answers"),
        ({"judgement": {"level": "extreme", "rationale": "x"}}, "judgement.level"),
        ({"judgement": {"level": "high", "rationale": " "}}, "judgement.rationale"),
        ({"measures": []}, "measures"),
        ({"measures": [{"description": "", "rara": "x", "responsible": "y"}]},
         "measures.0.description"),
        ({"endorsement": {"endorser_name": "Sgt A"}}, "endorsement.endorser_reference"),
    ],
)  # fmt: skip
def test_bad_shapes_and_broken_rules_are_problems_naming_fields(
    db: Session, client: Client, change: dict[str, Any], field: str
) -> None:
    make_area(db, "North", districts="AK1")
    _, token = make_api_client(db)
    _sent_incident(client, token)
    assert field in _fields(_post(client, token, assessment_body(**change)))
    assert _count(db, RiskAssessment) == 0


def test_bad_answers_name_each_answer(db: Session, client: Client) -> None:
    make_area(db, "North", districts="AK1")
    _, token = make_api_client(db)
    _sent_incident(client, token)
    answers = assessment_body()["answers"]
    answers["q12"] = "perhaps"
    answers["no_such_question"] = "yes"
    answers["incident_weapon"] = {"nested": ["not", "a", "code"]}
    del answers["incident_injury"]
    fields = _fields(_post(client, token, assessment_body(answers=answers)))
    assert {
        "answers.q12",
        "answers.no_such_question",
        "answers.incident_weapon",
        "answers.incident_injury",
    } <= fields
    assert _count(db, RiskAssessment) == 0


def test_an_endorsement_breaking_the_level_rules_names_the_endorsement_field(
    db: Session, client: Client
) -> None:
    make_area(db, "North", districts="AK1")
    _, token = make_api_client(db)
    _sent_incident(client, token)
    body = assessment_body()
    body["endorsement"]["final_level"] = "low"  # a change of level without a reason
    assert "endorsement.reason" in _fields(_post(client, token, body))
    future = assessment_body()
    future["endorsement"]["endorsed_at"] = "2999-01-01T10:00:00+00:00"
    assert "endorsement.endorsed_at" in _fields(_post(client, token, future))
    assert _count(db, RiskAssessment) == 0 and _count(db, Referral) == 0


def test_a_second_assessment_of_the_same_incident_is_refused_as_on_the_pages(
    db: Session, client: Client
) -> None:
    """A records system resending under a new reference cannot assess an incident twice."""
    make_area(db, "North", districts="AK1")
    _, token = make_api_client(db)
    _sent_incident(client, token)
    first = _post(client, token, assessment_body(endorsed=False))
    assert first.status_code == 201, first.get_data(as_text=True)
    second = _post(client, token, {**assessment_body(), "sender_reference": "RA/778/26"}, "ra-2")
    assert second.status_code == 409 and second.mimetype == PROBLEM
    assert "waiting for endorsement" in second.get_json()["detail"]
    assert _count(db, RiskAssessment) == 1 and _count(db, Referral) == 0
