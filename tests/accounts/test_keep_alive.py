"""Stay signed in: the endpoint the idle warning calls, and the page attributes it reads."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from marac.config import ConfigError, Settings
from marac.db import utcnow
from tests.factories import make_user


def test_keep_alive_restarts_the_idle_clock(db: Session, login) -> None:
    client = login(make_user(db))
    with client.session_transaction() as session:
        session["last_seen"] = (utcnow() - timedelta(minutes=29)).isoformat()
    response = client.submit("/session/keep-alive")
    assert response.status_code == 204
    with client.session_transaction() as session:
        last_seen = datetime.fromisoformat(session["last_seen"])
    assert utcnow() - last_seen < timedelta(seconds=30)


def test_keep_alive_needs_the_csrf_token_and_a_post(db: Session, login) -> None:
    client = login(make_user(db))
    assert client.post("/session/keep-alive").status_code == 400
    assert client.get("/session/keep-alive").status_code == 405


def test_keep_alive_cannot_revive_an_expired_session(db: Session, login) -> None:
    client = login(make_user(db))
    with client.session_transaction() as session:
        session["last_seen"] = (utcnow() - timedelta(minutes=31)).isoformat()
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
