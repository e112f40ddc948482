"""Refused requests are audited once, in one place; forwarded client addresses are
believed only when a deployment says a proxy is in front."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac import create_app
from marac.accounts.models import Role
from marac.audit.chain import verify
from marac.audit.models import AuditEvent
from tests.conftest import Client, settings_for
from tests.factories import make_user
from tests.referrals.helpers import World, make_referral


def _refusals(db: Session) -> list[AuditEvent]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == "access_refused")))


def test_a_refused_case_url_is_audited_with_who_what_and_where(db: Session, login) -> None:
    world = World(db)
    referral = make_referral(db, world.person, world.area, referrer=world.referrer)
    outsider = make_user(db, Role.REFERRER, agency=world.police)
    client = login(outsider)
    response = client.get(f"/referrals/{referral.id}", environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert response.status_code == 403
    [row] = _refusals(db)
    assert (row.user_id, row.object_type, row.object_id) == (
        outsider.id,
        "referral",
        str(referral.id),
    )
    assert row.ip_address == "10.9.8.7"
    assert row.summary == f"Refused GET referrals.view /referrals/{referral.id}"
    assert verify(db).ok


def test_a_refused_role_page_is_audited_and_nothing_else_is_kept(db: Session, login) -> None:
    client = login(make_user(db, Role.REFERRER))
    assert client.get("/admin/audit").status_code == 403
    [row] = _refusals(db)
    assert (row.object_type, row.object_id) == ("page", None)
    assert "audit.log" in row.summary
    assert not db.scalars(select(AuditEvent).where(AuditEvent.action == "audit_viewed")).all()


def test_not_found_writes_nothing(db: Session, client: Client, login) -> None:
    before = len(db.scalars(select(AuditEvent)).all())
    assert client.get("/wp-login.php").status_code in {302, 404}
    assert client.get("/referrals/999999").status_code == 302  # anonymous: sign in first
    signed_in = login(make_user(db, Role.COORDINATOR))
    after_login = len(db.scalars(select(AuditEvent)).all())
    assert signed_in.get("/no/such/page").status_code == 404
    assert len(db.scalars(select(AuditEvent)).all()) == after_login > before
    assert _refusals(db) == []


@pytest.fixture
def proxied_app(database_url: str) -> Iterator[Flask]:
    application = create_app(settings_for(database_url, trusted_proxies=1))
    application.test_client_class = Client
    yield application
    application.extensions["marac_db"].engine.dispose()


def _sign_in_ip(application: Flask, db: Session, email: str) -> str | None:
    """Sign in from 10.0.0.5 with a forwarded-for header claiming 203.0.113.66."""
    client: Client = application.test_client()  # type: ignore[assignment]
    client.environ_base.update(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.66")
    client.login(email)
    db.expire_all()
    row = db.scalar(
        select(AuditEvent).where(AuditEvent.action == "login").order_by(AuditEvent.id.desc())
    )
    assert row is not None
    return row.ip_address


def test_a_forged_forwarded_for_is_ignored_by_default(app: Flask, db: Session) -> None:
    user = make_user(db)
    assert _sign_in_ip(app, db, user.email) == "10.0.0.5"


def test_forwarded_for_is_honoured_behind_a_configured_proxy(
    proxied_app: Flask, db: Session
) -> None:
    session = proxied_app.extensions["marac_db"].sessionmaker()
    user = make_user(session)
    assert _sign_in_ip(proxied_app, session, user.email) == "203.0.113.66"
    session.close()
