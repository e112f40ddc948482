"""The API clients' operations, called directly: register, rotate, revoke, record a call."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.accounts.models import Role, User
from marac.api import operations
from marac.api.models import ApiClient
from marac.api.queries import client_for_token
from marac.api.tokens import hash_token
from marac.audit.models import AuditEvent
from marac.operations import Invalid, Refused
from tests.api.helpers import make_api_client
from tests.factories import make_agency, make_user


def _audit(db: Session, action: str) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_register_keeps_only_the_hash_and_makes_a_service_user(db: Session) -> None:
    admin = make_user(db, Role.ADMIN)
    agency = make_agency(db, "North Police")
    client, token = operations.register_client(
        db, admin, name="  North  Niche ", agency_id=agency.id, scopes=["incidents:write"]
    )
    db.expire_all()
    row = db.get(ApiClient, client.id)
    assert row is not None and row.name == "North Niche"
    assert row.token_hash == hash_token(token) and token not in row.token_hash
    assert token.startswith(f"marac_{row.token_prefix}_")
    assert row.scope_set == {"incidents:write"}
    user = row.service_user
    assert user.is_service and user.agency_id == agency.id and user.role == Role.REFERRER.value
    assert user.password_hash == "" and user.email.endswith(".invalid")
    [event] = _audit(db, "api_client_registered")
    assert event.user_id == admin.id and token not in event.summary
    assert client_for_token(db, token) is not None


def test_only_an_admin_registers_and_nothing_is_written(db: Session) -> None:
    coordinator = make_user(db, Role.COORDINATOR)
    agency = make_agency(db)
    users = db.scalar(select(func.count()).select_from(User))
    with pytest.raises(Refused):
        operations.register_client(
            db, coordinator, name="X", agency_id=agency.id, scopes=["incidents:write"]
        )
    assert db.scalar(select(func.count()).select_from(ApiClient)) == 0
    assert db.scalar(select(func.count()).select_from(User)) == users


def test_register_refuses_unknown_scopes_missing_name_and_duplicates(db: Session) -> None:
    admin = make_user(db, Role.ADMIN)
    agency = make_agency(db)
    with pytest.raises(Invalid) as caught:
        operations.register_client(db, admin, name="", agency_id=agency.id, scopes=["root"])
    assert set(caught.value.errors) == {"name", "scopes"}
    operations.register_client(
        db, admin, name="Athena", agency_id=agency.id, scopes=["referrals:read"]
    )
    with pytest.raises(Invalid) as caught:
        operations.register_client(
            db, admin, name="athena", agency_id=agency.id, scopes=["referrals:read"]
        )
    assert set(caught.value.errors) == {"name"}
    with pytest.raises(Invalid) as caught:
        operations.register_client(
            db, admin, name="Other", agency_id=99999, scopes=["referrals:read"]
        )
    assert set(caught.value.errors) == {"agency_id"}


def test_rotate_kills_the_old_token(db: Session) -> None:
    client, old = make_api_client(db)
    admin = make_user(db, Role.ADMIN)
    _, new = operations.rotate_token(db, admin, client.id)
    assert new != old
    assert client_for_token(db, old) is None
    assert client_for_token(db, new) is not None
    assert db.get(ApiClient, client.id).rotated_at is not None
    assert len(_audit(db, "api_token_rotated")) == 1


def test_revoke_kills_the_token_and_the_service_user(db: Session) -> None:
    client, token = make_api_client(db)
    admin = make_user(db, Role.ADMIN)
    with pytest.raises(Refused):
        operations.revoke_client(db, make_user(db, Role.REFERRER), client.id)
    assert client_for_token(db, token) is not None
    operations.revoke_client(db, admin, client.id)
    db.expire_all()
    row = db.get(ApiClient, client.id)
    assert row.revoked_at is not None and not row.service_user.active
    assert client_for_token(db, token) is None
    with pytest.raises(Invalid):
        operations.rotate_token(db, admin, client.id)
    assert len(_audit(db, "api_client_revoked")) == 1


def test_record_call_audits_and_touches_last_use_at_most_once_a_minute(db: Session) -> None:
    client, _ = make_api_client(db)
    operations.record_call(db, client, method="GET", path="/api/v1/strands", status=200,
                           address="192.0.2.1")  # fmt: skip
    first = db.get(ApiClient, client.id).last_used_at
    assert first is not None
    operations.record_call(db, client, method="GET", path="/api/v1/strands", status=200,
                           address="192.0.2.9")  # fmt: skip
    row = db.get(ApiClient, client.id)
    assert row.last_used_at == first and row.last_used_address == "192.0.2.1"
    row.last_used_at = first - timedelta(minutes=2)
    db.commit()
    operations.record_call(db, row, method="GET", path="/api/v1/strands", status=200,
                           address="192.0.2.9")  # fmt: skip
    assert db.get(ApiClient, client.id).last_used_address == "192.0.2.9"
    calls = _audit(db, "api_call")
    assert len(calls) == 3
    assert {c.user_id for c in calls} == {client.service_user_id}
    assert calls[0].summary == "GET /api/v1/strands 200"
