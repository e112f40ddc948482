"""Server-side sessions: the cookie holds a token, the `user_session` row decides."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, session
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from marac.accounts.models import UserSession
from marac.accounts.sessions import token_hash
from marac.accounts.signin import SESSION_TOKEN_KEY, finish_first_factor
from marac.db import utcnow
from tests.conftest import Client
from tests.factories import make_user

COOKIE = "marac_session"


def _copy_cookie(source: Client, app: Flask) -> Client:
    thief: Client = app.test_client()
    thief.set_cookie(COOKIE, source.get_cookie(COOKIE).value)
    return thief


def test_a_cookie_copied_before_sign_out_opens_nothing_after(
    db: Session, app: Flask, login
) -> None:
    user = make_user(db)
    client = login(user)
    thief = _copy_cookie(client, app)
    assert thief.get("/").status_code == 200  # the copy works while the session lives
    assert client.submit("/sign-out").status_code == 302
    replay = thief.get("/")
    assert replay.status_code == 302
    assert replay.headers["Location"].startswith("/sign-in")
    db.expire_all()
    row = db.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert row.revoked_at is not None


def test_sign_in_stores_a_hashed_token_with_method_and_address(
    db: Session, app: Flask, login
) -> None:
    user = make_user(db)
    client = login(user)
    with client.session_transaction() as cookie_session:
        token = cookie_session[SESSION_TOKEN_KEY]
        assert set(cookie_session) & {"last_seen"} == set()
    row = db.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert row.token_hash == token_hash(token) and token not in row.token_hash
    assert (row.method, row.address) == ("password", "127.0.0.1")
    assert row.second_factor_at is not None and row.revoked_at is None


def test_each_request_looks_the_session_up_once_and_writes_last_seen_rarely(
    db: Session, login, count_queries
) -> None:
    user = make_user(db)
    client = login(user)
    with count_queries() as q:
        assert client.get("/account/password").status_code == 200
    lookups = [s for s in q.statements if "FROM user_session" in s]
    writes = [s for s in q.statements if s.startswith("UPDATE user_session")]
    assert len(lookups) == 1 and writes == []

    db.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(seconds=61)))
    db.commit()
    with count_queries() as q:
        client.get("/account/password")
        client.get("/account/password")
    writes = [s for s in q.statements if s.startswith("UPDATE user_session")]
    assert len(writes) == 1  # the first request after a minute; not the second


def test_a_revoked_row_ends_the_session_whatever_the_cookie_says(db: Session, login) -> None:
    user = make_user(db)
    client = login(user)
    db.execute(update(UserSession).values(revoked_at=utcnow()))
    db.commit()
    assert client.get("/").headers["Location"].startswith("/sign-in")


def test_finish_first_factor_with_an_asserted_second_factor_starts_the_session(
    db: Session, app: Flask
) -> None:
    """What single sign-on calls when the identity provider asserted multi-factor sign-in."""
    user = make_user(db, second_factor=False)
    with app.test_request_context("/sso/callback"):
        response = finish_first_factor(
            user, method="sso", mfa_asserted=True, next_url="//evil.example/"
        )
        assert response.headers["Location"] == "/"
        token = session[SESSION_TOKEN_KEY]
    row = db.scalar(select(UserSession).where(UserSession.token_hash == token_hash(token)))
    assert row.method == "sso" and row.second_factor_at is not None


def test_finish_first_factor_without_assertion_sends_to_our_second_factor(
    db: Session, app: Flask
) -> None:
    with_app, without_app = make_user(db), make_user(db, second_factor=False)
    with app.test_request_context("/sso/callback"):
        response = finish_first_factor(
            with_app, method="sso", mfa_asserted=False, next_url="/referrals/"
        )
        assert response.headers["Location"] == "/sign-in/code"
        assert session["after_sign_in"] == "/referrals/"
    with app.test_request_context("/sso/callback"):
        response = finish_first_factor(without_app, method="sso", mfa_asserted=False, next_url=None)
        assert response.headers["Location"] == "/sign-in/set-up-authenticator"
    rows = db.scalars(select(UserSession)).all()
    assert {r.method for r in rows} == {"sso"}
    assert all(r.second_factor_at is None for r in rows)
