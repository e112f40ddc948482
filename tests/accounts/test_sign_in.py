"""Sign-in, lockout, idle timeout, sign-out and password changes through the real pages."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role, User
from marac.audit.models import AuditEvent
from marac.db import utcnow
from tests.conftest import Client, _csrf
from tests.factories import PASSWORD, make_user


def _post_login(client: Client, email: str, password: str, next_url: str = "") -> object:
    token = _csrf(client.get("/sign-in").get_data(as_text=True))
    url = "/sign-in" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"email": email, "password": password, "csrf_token": token})


def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")


def test_sign_in_shows_name_agency_and_role(db: Session, client: Client) -> None:
    user = make_user(db, Role.COORDINATOR, name="Ada Byron")
    response = _post_login(client, user.email.upper(), PASSWORD)  # email is case-insensitive
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "Welcome, Ada Byron" in page
    assert user.agency.name in page
    assert "MARAC coordinator" in page
    db.expire_all()
    assert db.get(User, user.id).last_login_at is not None
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "login")).user_id == user.id


def test_wrong_password_gives_one_message_for_unknown_and_known_emails(
    db: Session, client: Client
) -> None:
    user = make_user(db)
    for email in (user.email, "nobody@test.example"):
        response = _post_login(client, email, "wrong-password-here")
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "There is a problem" in page
        assert "Enter a correct email address and password" in page


def test_empty_form_names_each_missing_field(client: Client) -> None:
    page = _post_login(client, "", "").get_data(as_text=True)
    assert "Enter your email address" in page
    assert "Enter your password" in page
    assert 'href="#email"' in page


def test_lockout_after_repeated_failures_then_admin_unlocks(
    db: Session, client: Client, login
) -> None:
    user = make_user(db)
    for _ in range(4):
        _post_login(client, user.email, "wrong-password-here")
    page = _post_login(client, user.email, "wrong-password-here").get_data(as_text=True)
    assert "locked for 15 minutes" in page
    # Even the right password is refused while locked, with a clear message.
    page = _post_login(client, user.email, PASSWORD).get_data(as_text=True)
    assert "This account is locked after 5 wrong passwords" in page
    assert "Welcome" not in client.get("/").get_data(as_text=True)

    admin = login(make_user(db, Role.ADMIN))
    assert "This account is locked" in admin.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert admin.submit(f"/admin/users/{user.id}/unlock").status_code == 302
    assert _post_login(client, user.email, PASSWORD).status_code == 302


def test_lock_expires_by_itself(db: Session, client: Client) -> None:
    user = make_user(db, failed_logins=5, locked_until=utcnow() - timedelta(seconds=1))
    assert _post_login(client, user.email, PASSWORD).status_code == 302
    db.expire_all()
    assert db.get(User, user.id).failed_logins == 0


def test_deactivated_users_cannot_sign_in(db: Session, client: Client) -> None:
    user = make_user(db, active=False)
    page = _post_login(client, user.email, PASSWORD).get_data(as_text=True)
    assert "Enter a correct email address and password" in page


def test_next_only_redirects_within_the_site(db: Session, client: Client) -> None:
    user = make_user(db, Role.ADMIN)
    response = _post_login(client, user.email, PASSWORD, next_url="//evil.example/x")
    assert response.headers["Location"] == "/"
    client.get("/")  # signed in; sign out to try a local next
    client.csrf_token = _csrf(client.get("/").get_data(as_text=True))
    client.submit("/sign-out")
    response = _post_login(client, user.email, PASSWORD, next_url="/admin/areas")
    assert response.headers["Location"] == "/admin/areas"


def test_sign_out_ends_the_session_and_needs_a_post(db: Session, login) -> None:
    client = login(make_user(db))
    assert client.get("/sign-out").status_code == 405
    assert client.submit("/sign-out").status_code == 302
    assert client.get("/").status_code == 302


def test_idle_session_expires(db: Session, app: Flask, login) -> None:
    client = login(make_user(db))
    with client.session_transaction() as session:
        session["last_seen"] = (utcnow() - timedelta(minutes=31)).isoformat()
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "did nothing for 30 minutes" in page
    assert client.get("/").status_code == 302


def test_active_session_is_kept_alive(db: Session, login) -> None:
    client = login(make_user(db))
    with client.session_transaction() as session:
        session["last_seen"] = (utcnow() - timedelta(minutes=29)).isoformat()
    assert client.get("/").status_code == 200


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
