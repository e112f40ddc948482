"""The admin pages for API clients: register (token once), rotate, revoke, all audited."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.api.models import ApiClient
from marac.audit.models import AuditEvent
from tests.api.helpers import call
from tests.factories import make_agency, make_user

TOKEN_RE = re.compile(r'id="api-token"[^>]*>(marac_[A-Za-z0-9_-]+)<')


def test_register_shows_the_token_once_and_uncached(db: Session, login: Any) -> None:
    agency = make_agency(db, "North Police")
    admin = login(make_user(db, Role.ADMIN))
    form = admin.get("/admin/api-clients/new")
    assert form.status_code == 200 and "North Police" in form.get_data(as_text=True)
    response = admin.submit(
        "/admin/api-clients/new",
        {"name": "North Niche", "agency_id": str(agency.id), "scopes": ["incidents:write"]},
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    token = TOKEN_RE.search(response.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    listing = admin.get("/admin/api-clients").get_data(as_text=True)
    assert "North Niche" in listing and token not in listing and "incidents:write" in listing
    assert call(admin, "GET", "/api/v1/strands", token).status_code == 200
    assert "Never" not in admin.get("/admin/api-clients").get_data(as_text=True)
    users = admin.get("/admin/users").get_data(as_text=True)
    assert "API client" in users


def test_register_form_shows_the_operations_errors(db: Session, login: Any) -> None:
    agency = make_agency(db)
    admin = login(make_user(db, Role.ADMIN))
    data = {"name": "Twice", "agency_id": str(agency.id), "scopes": ["referrals:read"]}
    assert admin.submit("/admin/api-clients/new", data).status_code == 200
    again = admin.submit("/admin/api-clients/new", data).get_data(as_text=True)
    assert "A client with this name already exists" in again
    assert len(list(db.scalars(select(ApiClient)))) == 1


def test_rotate_and_revoke_from_the_pages(db: Session, login: Any) -> None:
    agency = make_agency(db)
    admin = login(make_user(db, Role.ADMIN))
    page = admin.submit(
        "/admin/api-clients/new",
        {"name": "Athena", "agency_id": str(agency.id), "scopes": ["referrals:read"]},
    )
    old = TOKEN_RE.search(page.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    client_id = db.scalar(select(ApiClient.id))
    assert admin.get(f"/admin/api-clients/{client_id}/rotate").status_code == 200
    rotated = admin.submit(f"/admin/api-clients/{client_id}/rotate")
    assert rotated.headers["Cache-Control"] == "no-store"
    new = TOKEN_RE.search(rotated.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    assert call(admin, "GET", "/api/v1/strands", old).status_code == 401
    assert call(admin, "GET", "/api/v1/strands", new).status_code == 200
    done = admin.submit(f"/admin/api-clients/{client_id}/revoke")
    assert done.status_code == 302
    assert call(admin, "GET", "/api/v1/strands", new).status_code == 401
    assert "Revoked" in admin.get("/admin/api-clients").get_data(as_text=True)
    actions = set(db.scalars(select(AuditEvent.action)))
    assert {"api_client_registered", "api_token_rotated", "api_client_revoked"} <= actions


def test_only_admins_reach_the_pages(db: Session, login: Any) -> None:
    coordinator = login(make_user(db, Role.COORDINATOR))
    assert coordinator.get("/admin/api-clients").status_code == 403
    assert coordinator.submit("/admin/api-clients/new", {"name": "X"}).status_code == 403


def test_a_service_user_is_managed_with_its_client_not_as_a_user(db: Session, login: Any) -> None:
    from tests.api.helpers import make_api_client

    client, _token = make_api_client(db)
    service_id = client.service_user_id
    admin = login(make_user(db, Role.ADMIN))
    listing = admin.get("/admin/users").get_data(as_text=True)
    assert f'href="/admin/users/{service_id}"' not in listing
    assert 'href="/admin/api-clients"' in listing
    assert admin.get(f"/admin/users/{service_id}").status_code == 404
    for action in ("unlock", "invite", "reset-password", "reset-second-factor"):
        assert admin.submit(f"/admin/users/{service_id}/{action}").status_code == 404
    edit = {"name": "Now a person", "email": "person@test.example", "role": "admin"}
    assert admin.submit(f"/admin/users/{service_id}", edit).status_code == 404
    db.expire_all()
    service = db.get(type(client.service_user), service_id)
    assert service is not None and service.is_service and service.role != "admin"
