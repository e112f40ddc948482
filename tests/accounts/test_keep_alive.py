"""Stay signed in: the endpoint the idle warning calls, and the page attributes it reads."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import UserSession
from marac.config import ConfigError, Settings
from marac.db import utcnow
from tests.factories import make_user


def _idle_for(db: Session, user_id: int, minutes: int) -> UserSession:
    """Make the user's live session row look idle for `minutes` (the server's clock)."""
    row = db.scalars(
        select(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
    ).one()
    row.last_seen_at = utcnow() - timedelta(minutes=minutes)
    db.commit()
    return row


def test_keep_alive_restarts_the_idle_clock(db: Session, login) -> None:
    user = make_user(db)
    client = login(user)
    row = _idle_for(db, user.id, 29)
    response = client.submit("/session/keep-alive")
    assert response.status_code == 204
    db.refresh(row)
    assert utcnow() - row.last_seen_at < timedelta(seconds=30)
    assert client.get("/").status_code == 200


def test_keep_alive_needs_the_csrf_token_and_a_post(db: Session, login) -> None:
    client = login(make_user(db))
    assert client.post("/session/keep-alive").status_code == 400
    assert client.get("/session/keep-alive").status_code == 405


def test_keep_alive_cannot_revive_an_expired_session(db: Session, login) -> None:
    user = make_user(db)
    client = login(user)
    _idle_for(db, user.id, 31)
    response = client.submit("/session/keep-alive")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")
    assert client.get("/").status_code == 302


def test_signed_in_pages_carry_the_timeout_for_the_warning(db: Session, login, client) -> None:
    user = make_user(db)
    page = login(user).get("/").get_data(as_text=True)
    assert 'data-session-timeout="1800"' in page
    assert 'data-session-warning="120"' in page
    assert 'data-keep-alive-url="/session/keep-alive"' in page
    assert f'data-session-user="{user.id}"' in page
    assert 'role="alertdialog"' in page
    signed_out = client.get("/sign-in").get_data(as_text=True)
    assert "data-session-timeout" not in signed_out
    assert "idle-warning.js" not in signed_out


def test_warning_lead_time_setting() -> None:
    assert Settings.from_env({}).session_warning_seconds == 120
    settings = Settings.from_env({"MARAC_SESSION_WARNING_SECONDS": "300"})
    assert settings.session_warning_seconds == 300
    with pytest.raises(ConfigError, match="MARAC_SESSION_WARNING_SECONDS must be at least 1"):
        Settings.from_env({"MARAC_SESSION_WARNING_SECONDS": "0"})
