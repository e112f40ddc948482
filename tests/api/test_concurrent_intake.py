"""Ten identical POSTs at once make exactly one record (PostgreSQL: real concurrency)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.api.models import ApiIntake
from marac.assessments.models import RiskAssessment
from marac.incidents.models import Incident
from marac.people.models import Person
from marac.referrals.models import Referral
from tests.api.helpers import bearer, make_api_client
from tests.api.payloads import assessment_body, incident_body
from tests.conftest import BACKEND
from tests.factories import make_area

pytestmark = pytest.mark.skipif(
    BACKEND != "postgresql", reason="SQLite serialises every write: nothing runs at once"
)


def _burst(
    app: Flask,
    token: str,
    bodies: list[tuple[str, dict[str, Any]]],
    path: str = "/api/v1/incidents",
) -> list[Any]:
    barrier = threading.Barrier(len(bodies))
    results: list[Any] = [None] * len(bodies)

    def send(index: int, key: str, body: dict[str, Any]) -> None:
        web = app.test_client()
        barrier.wait()
        response = web.post(path, json=body, headers={**bearer(token), "Idempotency-Key": key})
        results[index] = (response.status_code, response.get_json())

    threads = [
        threading.Thread(target=send, args=(i, key, body)) for i, (key, body) in enumerate(bodies)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def _count(db: Session, model: Any) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_ten_concurrent_identical_posts_make_one_incident(app: Flask, db: Session) -> None:
    _, token = make_api_client(db)
    results = _burst(app, token, [("same-key", incident_body())] * 10)
    codes = sorted(code for code, _ in results)
    assert codes == [200] * 9 + [201], results
    assert len({body["incident_id"] for _, body in results}) == 1
    db.expire_all()
    assert _count(db, Incident) == 1 and _count(db, Person) == 1 and _count(db, ApiIntake) == 1


def test_concurrent_posts_with_different_keys_but_one_reference_make_one_incident(
    app: Flask, db: Session
) -> None:
    _, token = make_api_client(db)
    results = _burst(app, token, [(f"key-{i}", incident_body()) for i in range(6)])
    assert sorted(code for code, _ in results) == [200] * 5 + [201], results
    db.expire_all()
    assert _count(db, Incident) == 1


def test_ten_concurrent_endorsed_high_assessments_make_one_assessment_and_one_referral(
    app: Flask, db: Session
) -> None:
    make_area(db, "North", districts="AK1")
    _, token = make_api_client(db)
    [(code, _)] = _burst(app, token, [("incident-key", incident_body())])
    assert code == 201
    body = assessment_body()
    results = _burst(app, token, [("ra-key", body)] * 10, path="/api/v1/assessments")
    assert sorted(code for code, _ in results) == [200] * 9 + [201], results
    assert len({body["assessment_id"] for _, body in results}) == 1
    db.expire_all()
    assert _count(db, RiskAssessment) == 1 and _count(db, Referral) == 1
    assert _count(db, ApiIntake) == 2
