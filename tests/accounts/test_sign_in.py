"""Sign-in, lockout, enumeration, idle timeout, sign-out and password changes, via the pages."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from datetime import timedelta
from statistics import median

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from marac.accounts.models import Role, User, UserSession
from marac.accounts.passwords import hash_password, verify_password
from marac.accounts.signin import safe_next
from marac.audit.models import AuditEvent
from marac.db import utcnow
from tests.conftest import CSRF_RE, Client, _csrf
from tests.factories import PASSWORD, make_user

FAILURE = (
    "Enter a correct email address and password. After 5 wrong attempts an account is "
    "locked for 15 minutes: if you cannot sign in, ask your MARAC administrator"
)


def _post_login(client: Client, email: str, password: str, next_url: str = "") -> object:
    token = _csrf(client.get("/sign-in").get_data(as_text=True))
    url = "/sign-in" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"email": email, "password": password, "csrf_token": token})


def _sign_in(client: Client, email: str, next_url: str = "") -> object:
    """Password then code; returns the response that ends the sign-in."""
    response = _post_login(client, email, PASSWORD, next_url)
    assert response.headers["Location"] == "/sign-in/code"  # type: ignore[attr-defined]
    return client.pass_second_factor(email, "/sign-in/code")


def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")


def test_sign_in_shows_name_agency_and_role(db: Session, client: Client) -> None:
    user = make_user(db, Role.COORDINATOR, name="Ada Byron")
    response = _post_login(client, user.email.upper(), PASSWORD)  # email is case-insensitive
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in/code"
    assert client.pass_second_factor(user.email, "/sign-in/code").headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Welcome, Ada Byron" in page
    assert user.agency.name in page
    assert "MARAC coordinator" in page
    db.expire_all()
    assert db.get(User, user.id).last_login_at is not None
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "login")).user_id == user.id


def _failure_page(client: Client, email: str, password: str) -> str:
    response = _post_login(client, email, password)
    assert response.status_code == 200
    return CSRF_RE.sub("", response.get_data(as_text=True))


def test_every_failed_sign_in_gets_the_same_words(db: Session, client: Client) -> None:
    """Unknown, wrong password, locked and deactivated: one page, word for word."""
    known = make_user(db)
    locked = make_user(db, failed_logins=5, locked_until=utcnow() + timedelta(minutes=10))
    inactive = make_user(db, active=False)
    pages = [
        _failure_page(client, "nobody@test.example", "wrong-password-here"),
        _failure_page(client, known.email, "wrong-password-here"),
        _failure_page(client, locked.email, PASSWORD),  # even the right password
        _failure_page(client, locked.email, "wrong-password-here"),
        _failure_page(client, inactive.email, PASSWORD),
    ]
    assert FAILURE in pages[0]
    assert "There is a problem" in pages[0]
    for email, page in zip(
        ["nobody@test.example", known.email, locked.email, locked.email, inactive.email],
        pages,
        strict=True,
    ):
        assert page.replace(email, "EMAIL") == pages[0].replace("nobody@test.example", "EMAIL")


def _timed_failures(client: Client, email: str, password: str, times: int = 5) -> float:
    """The median CPU time of failed sign-ins: the work done, not the machine's load (the
    test client runs the request in this process, and the hash check is CPU work)."""
    token = _csrf(client.get("/sign-in").get_data(as_text=True))
    durations = []
    for _ in range(times):
        start = time.process_time()
        client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})
        durations.append(time.process_time() - start)
    return median(durations)


def test_unknown_and_locked_accounts_take_as_long_as_a_wrong_password(
    db: Session, app: Flask, client: Client
) -> None:
    """Each attempt runs one password hash check, whatever the account's state."""
    # Never lock the known account while timing it.
    app.config["MARAC_SETTINGS"] = replace(app.config["MARAC_SETTINGS"], lockout_attempts=1000)
    # Production-strength hashes: the factories' cheap test hash would make a wrong password
    # quicker than the unknown account's dummy check.
    strong = hash_password(PASSWORD)
    known = make_user(db, password_hash=strong)
    locked = make_user(
        db, failed_logins=5, locked_until=utcnow() + timedelta(hours=1), password_hash=strong
    )
    inactive = make_user(db, active=False, password_hash=strong)
    _timed_failures(client, known.email, "warm-up-attempt", times=2)
    wrong = _timed_failures(client, known.email, "wrong-password-here")
    for email in ("nobody@test.example", locked.email, inactive.email):
        ratio = _timed_failures(client, email, "wrong-password-here") / wrong
        assert 0.5 < ratio < 2.0, (email, ratio)


def test_empty_form_names_each_missing_field(client: Client) -> None:
    page = _post_login(client, "", "").get_data(as_text=True)
    assert "Enter your email address" in page
    assert "Enter your password" in page
    assert 'href="#email"' in page


def test_lockout_after_repeated_failures_then_admin_unlocks(
    db: Session, client: Client, login
) -> None:
    user = make_user(db)
    for _ in range(5):
        assert FAILURE in _post_login(client, user.email, "wrong-password-here").get_data(
            as_text=True
        )
    db.expire_all()
    assert db.get(User, user.id).locked_until is not None
    # Even the right password is refused while locked, with the same words as any failure.
    page = _post_login(client, user.email, PASSWORD).get_data(as_text=True)
    assert FAILURE in page
    assert "Welcome" not in client.get("/").get_data(as_text=True)

    admin = login(make_user(db, Role.ADMIN))
    assert "This account is locked" in admin.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert admin.submit(f"/admin/users/{user.id}/unlock").status_code == 302
    _sign_in(client, user.email)


def test_lock_expires_by_itself(db: Session, client: Client) -> None:
    user = make_user(db, failed_logins=5, locked_until=utcnow() - timedelta(seconds=1))
    _sign_in(client, user.email)
    db.expire_all()
    assert db.get(User, user.id).failed_logins == 0


def test_after_a_lock_expires_one_wrong_password_does_not_lock_again(
    db: Session, client: Client
) -> None:
    user = make_user(db, failed_logins=5, locked_until=utcnow() - timedelta(seconds=1))
    _post_login(client, user.email, "wrong-password-here")
    db.expire_all()
    fresh = db.get(User, user.id)
    assert (fresh.failed_logins, fresh.locked_until) == (1, None)
    _sign_in(client, user.email)


def test_deactivated_users_cannot_sign_in(db: Session, client: Client) -> None:
    user = make_user(db, active=False)
    page = _post_login(client, user.email, PASSWORD).get_data(as_text=True)
    assert FAILURE in page


OFF_SITE = [
    "//evil.example/x",
    "////evil.example/",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "https:evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "%2F%2Fevil.example",
    "%2F%5Cevil.example",
    "/%09/evil.example",
    "/%0a/evil.example",
    "%252F%252Fevil.example",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_next_never_leaves_the_site(db: Session, client: Client, target: str) -> None:
    user = make_user(db, Role.ADMIN)
    response = _sign_in(client, user.email, next_url=target)
    assert response.headers["Location"] == "/"  # type: ignore[attr-defined]


def test_next_is_followed_within_the_site(db: Session, client: Client) -> None:
    user = make_user(db, Role.ADMIN)
    response = _sign_in(client, user.email, next_url="/admin/areas?page=2")
    assert response.headers["Location"] == "/admin/areas?page=2"  # type: ignore[attr-defined]


def test_safe_next_takes_only_paths_on_this_site() -> None:
    assert safe_next("/referrals/3") == "/referrals/3"
    assert safe_next("/") == "/"
    for target in ["", None, "//x", "/\\x", "\\\\x", "https:x", "x", "/a\tb", "/\n/x"]:
        assert safe_next(target) is None, target


def test_sign_out_ends_the_session_and_needs_a_post(db: Session, login) -> None:
    client = login(make_user(db))
    assert client.get("/sign-out").status_code == 405
    assert client.submit("/sign-out").status_code == 302
    assert client.get("/").status_code == 302


def _age_sessions(db: Session, user: User, minutes: int) -> None:
    db.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id)
        .values(last_seen_at=utcnow() - timedelta(minutes=minutes))
    )
    db.commit()


def test_idle_session_expires_from_the_server_side_row(db: Session, login) -> None:
    user = make_user(db)
    client = login(user)
    _age_sessions(db, user, 31)
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "did nothing for 30 minutes" in page
    assert client.get("/").status_code == 302
    db.expire_all()
    assert db.scalar(select(UserSession.revoked_at).where(UserSession.user_id == user.id))


def test_active_session_is_kept_alive(db: Session, login) -> None:
    user = make_user(db)
    client = login(user)
    _age_sessions(db, user, 29)
    assert client.get("/").status_code == 200
    db.expire_all()
    seen = db.scalar(select(UserSession.last_seen_at).where(UserSession.user_id == user.id))
    assert utcnow() - seen < timedelta(minutes=1)


def test_change_password_checks_current_and_policy(db: Session, login) -> None:
    user = make_user(db, name="Grace Hopper")
    client = login(user)
    page = client.submit(
        "/account/password",
        {"current_password": "not-it", "new_password": "x" * 14, "confirm_password": "x" * 14},
    ).get_data(as_text=True)
    assert "Your current password is not correct" in page
    page = client.submit(
        "/account/password",
        {"current_password": PASSWORD, "new_password": "short", "confirm_password": "short"},
    ).get_data(as_text=True)
    assert "Password must be 12 characters or more" in page
    page = client.submit(
        "/account/password",
        {"current_password": PASSWORD, "new_password": "a" * 12, "confirm_password": "b" * 12},
    ).get_data(as_text=True)
    assert "The passwords do not match" in page

    other_session = login(user)
    new = "river-lantern-quartz"
    response = client.submit(
        "/account/password",
        {"current_password": PASSWORD, "new_password": new, "confirm_password": new},
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # this session carries on
    assert other_session.get("/").status_code == 302  # every other session ends
    db.expire_all()
    rows = db.scalars(select(UserSession).where(UserSession.user_id == user.id)).all()
    assert sorted(r.revoked_at is None for r in rows) == [False, True]
    login(user, new)


def test_change_password_refuses_repeated_and_common_passwords(db: Session, login) -> None:
    client = login(make_user(db))
    for new, message in (
        ("aaaaaaaaaaaa", "Password must not be one character repeated"),
        ("password1234", "Password is on a list of common passwords; try three random words"),
    ):
        response = client.submit(
            "/account/password",
            {"current_password": PASSWORD, "new_password": new, "confirm_password": new},
        )
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert message in page
        assert 'href="#new_password"' in page


def test_password_hashes_use_a_modern_algorithm(db: Session) -> None:
    user = make_user(db)
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash
    # The factories' users carry a cheap test hash; what the service stores costs in full:
    # scrypt with N at least 2^15 and r at least 8 (32 MiB of memory per check).
    method, salt, digest = hash_password(PASSWORD).split("$")
    name, n, r, p = method.split(":")
    assert name == "scrypt" and int(n) >= 2**15 and int(r) >= 8 and int(p) >= 1
    assert len(salt) >= 16 and len(digest) >= 64
    assert verify_password(f"{method}${salt}${digest}", PASSWORD)


def test_sign_in_page_says_who_to_ask(client: Client) -> None:
    page = client.get("/sign-in").get_data(as_text=True)
    assert re.search(r"ask your agency.{0,10}s MARAC administrator", page)
