"""API test helpers: a registered client and its token, and calls with it."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marac.accounts.models import Agency, Role
from marac.api import operations
from marac.api.models import ApiClient, Scope
from tests.factories import make_agency, make_user

ALL_SCOPES = [s.value for s in Scope]


def make_api_client(
    db: Session,
    agency: Agency | None = None,
    scopes: list[str] | None = None,
    name: str | None = None,
) -> tuple[ApiClient, str]:
    """A client registered by a fresh admin, with its token."""
    admin = make_user(db, Role.ADMIN)
    agency = agency or make_agency(db)
    return operations.register_client(
        db,
        admin,
        name=name or f"Records system {admin.id}",
        agency_id=agency.id,
        scopes=ALL_SCOPES if scopes is None else scopes,
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def call(client: FlaskClient, method: str, path: str, token: str | None, **kw: Any) -> Any:
    headers = dict(kw.pop("headers", {}))
    if token is not None:
        headers.update(bearer(token))
    return client.open(path, method=method, headers=headers, **kw)
