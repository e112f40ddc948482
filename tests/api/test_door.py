"""The API door over HTTP: bearer tokens only, problem details, rate limits, audit."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac import create_app
from marac.accounts.models import Role
from marac.api import operations
from marac.assessments.instrument import CURRENT_VERSION
from marac.audit.models import AuditEvent
from marac.auth import PUBLIC_ENDPOINTS
from marac.incidents.models import LocalStrand
from tests.api.helpers import call, make_api_client
from tests.conftest import Client, settings_for
from tests.factories import _PASSWORD_HASH, PASSWORD, make_area, make_user

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert set(body) >= PROBLEM_KEYS and body["status"] == status
    assert body["instance"] == response.request.path
    return body


def test_reference_data_with_a_valid_token(db: Session, client: Client) -> None:
    area = make_area(db, "North")
    db.add(LocalStrand(area_id=area.id, name="Alternative subcultures"))
    db.commit()
    _, token = make_api_client(db, scopes=["referrals:read"])
    listed = call(client, "GET", "/api/v1/instruments", token)
    assert listed.status_code == 200 and listed.headers["Cache-Control"] == "no-store"
    assert {"version": CURRENT_VERSION, "title": "Hate crime risk assessment", "current": True} in (
        listed.get_json()["items"]
    )
    one = call(client, "GET", f"/api/v1/instruments/{CURRENT_VERSION}", token).get_json()
    question_ids = [q["id"] for s in one["sections"] for q in s["questions"]]
    assert len(question_ids) == 27 and "incident_weapon" in question_ids
    assert one["diagnostics"][0]["answer_key"].startswith("diag.")
    strands = call(client, "GET", "/api/v1/strands", token).get_json()
    religion = next(s for s in strands["monitored"] if s["code"] == "religion")
    assert {"code": "antisemitic", "label": "Antisemitic"} in religion["subcategories"]
    assert strands["local"][0]["label"] == "Alternative subcultures"
    assert strands["local"][0]["code"].startswith("local:")
    _problem(call(client, "GET", "/api/v1/instruments/1999.9", token), 404)


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer marac_000000000000_x"],
)
def test_no_valid_token_is_401_with_a_bearer_challenge(
    db: Session, client: Client, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/strands", headers=headers)
    _problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_secret_with_a_real_prefix_is_refused(db: Session, client: Client) -> None:
    _, token = make_api_client(db)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    _problem(call(client, "GET", "/api/v1/strands", forged), 401)


def test_revoked_and_rotated_tokens_are_refused(db: Session, client: Client) -> None:
    api_client, token = make_api_client(db)
    admin = make_user(db, Role.ADMIN)
    assert call(client, "GET", "/api/v1/strands", token).status_code == 200
    _, new = operations.rotate_token(db, admin, api_client.id)
    _problem(call(client, "GET", "/api/v1/strands", token), 401)
    assert call(client, "GET", "/api/v1/strands", new).status_code == 200
    operations.revoke_client(db, admin, api_client.id)
    _problem(call(client, "GET", "/api/v1/strands", new), 401)


def test_a_signed_in_browser_session_does_not_open_the_api(db: Session, login: Any) -> None:
    browser = login(make_user(db, Role.ADMIN))
    assert browser.get("/admin/api-clients").status_code == 200
    _problem(browser.get("/api/v1/strands"), 401)


def test_unknown_paths_and_methods_are_problems_not_pages(db: Session, client: Client) -> None:
    _, token = make_api_client(db)
    _problem(call(client, "GET", "/api/v1/nothing-here", token), 404)
    _problem(client.get("/api/v2/strands"), 404)
    response = call(client, "DELETE", "/api/v1/strands", token)
    _problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_a_nul_byte_in_the_query_is_a_problem(db: Session, client: Client) -> None:
    _, token = make_api_client(db)
    _problem(call(client, "GET", "/api/v1/strands?x=%00", token), 400)


def test_an_unexpected_error_is_a_500_problem_without_details(
    db: Session, client: Client, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, token = make_api_client(db)

    def broken(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("marac.api.reference.local_code", broken)
    area = make_area(db)
    db.add(LocalStrand(area_id=area.id, name="Age"))
    db.commit()
    response = call(client, "GET", "/api/v1/strands", token)
    body = _problem(response, 500)
    assert "secret internals" not in response.get_data(as_text=True) and body["detail"]


def test_every_call_is_audited_with_the_client_and_address(db: Session, client: Client) -> None:
    api_client, token = make_api_client(db)
    call(client, "GET", "/api/v1/strands", token, environ_overrides={"REMOTE_ADDR": "198.51.100.7"})
    call(client, "GET", "/api/v1/instruments/0.0", token)
    rows = list(
        db.scalars(
            select(AuditEvent).where(AuditEvent.action == "api_call").order_by(AuditEvent.id)
        )
    )
    assert [r.summary for r in rows] == [
        "GET /api/v1/strands 200",
        "GET /api/v1/instruments/0.0 404",
    ]
    assert {r.user_id for r in rows} == {api_client.service_user_id}
    assert rows[0].ip_address == "198.51.100.7" and rows[0].object_id == str(api_client.id)


def test_each_client_is_rate_limited_on_its_own(database_url: str) -> None:
    app = create_app(settings_for(database_url, ratelimit_api="3 per minute"))
    session = app.extensions["marac_db"].sessionmaker()
    try:
        _, first = make_api_client(session)
        _, second = make_api_client(session)
        web = app.test_client()
        codes = [call(web, "GET", "/api/v1/strands", first).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        response = call(web, "GET", "/api/v1/strands", first)
        _problem(response, 429)
        assert 1 <= int(response.headers["Retry-After"]) <= 60
        assert call(web, "GET", "/api/v1/strands", second).status_code == 200
    finally:
        session.close()
        app.extensions["marac_db"].engine.dispose()


def test_calls_without_a_valid_token_are_audited_until_an_address_is_slowed(
    database_url: str,
) -> None:
    app = create_app(settings_for(database_url, ratelimit_per_address="3 per minute"))
    session = app.extensions["marac_db"].sessionmaker()
    try:
        web = app.test_client()
        codes = [
            call(web, "GET", "/api/v1/strands", None).status_code,
            call(web, "GET", "/api/v1/strands", "marac_forged").status_code,
            call(web, "POST", "/api/v1/incidents", "marac_forged", json={}).status_code,
            call(web, "GET", "/api/v1/strands", None).status_code,
            call(web, "GET", "/api/v1/strands", None).status_code,
        ]
        assert codes == [401, 401, 401, 429, 429]
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "api_unauthenticated")
        ).all()
        assert [r.summary for r in rows] == [
            "GET /api/v1/strands 401 (no bearer token)",
            "GET /api/v1/strands 401 (an unknown or revoked token)",
            "POST /api/v1/incidents 401 (an unknown or revoked token)",
        ]  # the 429s are not audited: nobody fills the log by calling without a token
        assert all(r.user_id is None and r.ip_address for r in rows)
        assert "marac_forged" not in " ".join(r.summary for r in rows)
    finally:
        session.close()
        app.extensions["marac_db"].engine.dispose()


def test_the_document_is_openapi_3_1_with_bearer_security(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"] == "3.1.0"
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert {"/api/v1/instruments", "/api/v1/instruments/{version}", "/api/v1/strands"} <= set(
        spec["paths"]
    )
    strands = spec["paths"]["/api/v1/strands"]["get"]["responses"]
    assert "application/problem+json" in strands["401"]["content"]


def test_the_reference_page_is_ours_and_needs_no_script(client: Client) -> None:
    response = client.get("/api/v1/docs")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "GET /api/v1/strands" in page and "govuk-table" in page
    scripts = re.findall(r"<script[^>]*>", page)
    assert all('src="/static/' in tag for tag in scripts), scripts  # our own files only
    assert "swagger" not in page.lower()


def test_every_api_route_skips_the_cookie_sign_in(app: Flask) -> None:
    api_routes = {r.endpoint for r in app.url_map.iter_rules() if r.rule.startswith("/api/")}
    assert api_routes and api_routes <= PUBLIC_ENDPOINTS


def test_a_service_user_can_never_sign_in(db: Session, client: Client) -> None:
    api_client, _ = make_api_client(db)
    user = api_client.service_user
    user.password_hash = _PASSWORD_HASH  # even if a password were somehow set
    db.commit()
    page = client.get("/sign-in").get_data(as_text=True)
    from tests.conftest import _csrf

    response = client.post(
        "/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": _csrf(page)}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in")
    assert client.get("/").status_code == 302  # still not signed in


def test_the_api_rate_limit_is_a_setting_and_is_checked() -> None:
    from marac.config import ConfigError, Settings

    assert Settings.from_env({"MARAC_RATELIMIT_API": "30 per minute"}).ratelimit_api == (
        "30 per minute"
    )
    with pytest.raises(ConfigError, match="MARAC_RATELIMIT_API"):
        Settings.from_env({"MARAC_RATELIMIT_API": "lots"})


def test_a_database_outage_is_a_503_problem_with_retry_after(
    db: Session, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    def down(*_a: Any, **_k: Any) -> Any:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr("marac.api.queries.client_for_token", down)
    response = client.get("/api/v1/strands", headers={"Authorization": "Bearer marac_x_y"})
    _problem(response, 503)
    assert response.headers["Retry-After"] == "60"
