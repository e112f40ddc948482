"""The authenticator second factor: set-up, codes, replay, recovery codes, lockout, resets."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.accounts import two_factor
from marac.accounts.models import RecoveryCode, Role, User, UserSession
from marac.audit.models import AuditEvent
from marac.db import utcnow
from marac.notify.models import OutboxMessage
from tests.conftest import SECRET_RE, Client, _csrf, settings_for
from tests.factories import PASSWORD, TOTP_SECRET, make_user, unused_code


def _password(client: Client, email: str) -> str:
    token = _csrf(client.get("/sign-in").get_data(as_text=True))
    response = client.post(
        "/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return response.headers["Location"]


def _post_code(client: Client, code: str, path: str = "/sign-in/code") -> object:
    token = _csrf(client.get(path).get_data(as_text=True))
    return client.post(path, data={"code": code, "csrf_token": token})


def _step_now() -> int:
    return two_factor.time_step(utcnow())


def _wrong_code(secret: str = TOTP_SECRET) -> str:
    """Six digits that are no valid code for `secret` around now."""
    valid = {two_factor.code_at(secret, _step_now() + d) for d in range(-2, 3)}
    return next(c for c in (f"{n:06d}" for n in range(1000000)) if c not in valid)


def test_until_the_code_is_entered_only_the_code_pages_open(db: Session, client: Client) -> None:
    user = make_user(db, Role.ADMIN)
    assert _password(client, user.email) == "/sign-in/code"
    for url in ("/", "/admin/users", "/account/password", "/referrals/", "/sign-in"):
        response = client.get(url, follow_redirects=True)
        assert response.request.path == "/sign-in/code", url
    page = client.get("/sign-in/code").get_data(as_text=True)
    assert "Main menu" not in page or 'href="/admin/users"' not in page  # no navigation yet
    assert "I cannot use my authenticator app" in page
    # Sign-out works from here, and ends the half-open session.
    client.csrf_token = _csrf(page)
    assert client.submit("/sign-out").headers["Location"] == "/sign-in"
    assert client.get("/sign-in/code").headers["Location"].startswith("/sign-in?next=")


def test_the_right_code_opens_the_session_and_a_code_works_once(
    db: Session, client: Client
) -> None:
    user = make_user(db)
    _password(client, user.email)
    code, step = unused_code(TOTP_SECRET, None)
    assert _post_code(client, code).headers["Location"] == "/"
    db.expire_all()
    assert db.get(User, user.id).totp_last_step == step
    client.csrf_token = _csrf(client.get("/").get_data(as_text=True))
    client.submit("/sign-out")
    # The same code again (seen over a shoulder, say) is refused.
    _password(client, user.email)
    page = _post_code(client, code).get_data(as_text=True)
    assert "Enter the code your authenticator app shows now; each code works only once" in page
    assert "There is a problem" in page
    db.expire_all()
    assert db.get(User, user.id).failed_logins == 1


def test_codes_one_step_either_side_are_accepted() -> None:
    now = utcnow()
    step = two_factor.time_step(now)
    for offset in (-1, 0, 1):
        assert two_factor.matching_step(
            TOTP_SECRET, two_factor.code_at(TOTP_SECRET, step + offset), now, None
        ) == (step + offset)
    for offset in (-3, -2, 2, 3):
        code = two_factor.code_at(TOTP_SECRET, step + offset)
        assert two_factor.matching_step(TOTP_SECRET, code, now, None) is None
    # Never at or before the last step used.
    code = two_factor.code_at(TOTP_SECRET, step)
    assert two_factor.matching_step(TOTP_SECRET, code, now, step) is None
    assert two_factor.matching_step(TOTP_SECRET, code, now, step - 1) == step


def test_badly_formed_codes_get_a_clear_error(db: Session, client: Client) -> None:
    user = make_user(db)
    _password(client, user.email)
    page = _post_code(client, "").get_data(as_text=True)
    assert "Enter the 6-digit code from your authenticator app" in page
    page = _post_code(client, "12ab").get_data(as_text=True)
    assert "Enter the code as 6 digits, like 123456" in page
    assert 'href="#code"' in page


def test_wrong_codes_count_towards_the_lockout(db: Session, client: Client) -> None:
    user = make_user(db, failed_logins=2)  # two wrong passwords already
    _password(client, user.email)
    wrong = _wrong_code()
    _post_code(client, wrong)
    _post_code(client, wrong)
    response = _post_code(client, wrong)
    assert response.headers["Location"] == "/sign-in"
    assert "Your account is locked for 15 minutes" in client.get("/sign-in").get_data(as_text=True)
    db.expire_all()
    assert db.get(User, user.id).locked_until is not None
    assert db.scalar(select(UserSession.revoked_at).where(UserSession.user_id == user.id))
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "account_locked"))


def _set_up(client: Client, email: str) -> list[str]:
    """Password, then the set-up page read as a person reads it; returns the recovery codes."""
    assert _password(client, email) == "/sign-in/set-up-authenticator"
    html = client.get("/sign-in/set-up-authenticator").get_data(as_text=True)
    secret = SECRET_RE.search(html).group(1).replace(" ", "")
    page = _post_code(client, unused_code(secret, None)[0], "/sign-in/set-up-authenticator")
    text = page.get_data(as_text=True)
    assert "Save your recovery codes" in text
    return re.findall(r"<code>([a-z0-9-]+)</code>", text)


def test_first_sign_in_sets_up_the_app_with_a_qr_code_and_recovery_codes(
    db: Session, client: Client
) -> None:
    user = make_user(db, second_factor=False)
    assert _password(client, user.email) == "/sign-in/set-up-authenticator"
    html = client.get("/sign-in/set-up-authenticator").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in html  # drawn inline: the CSP allows data: images
    assert "QR code to add Community MARAC to your authenticator app" in html
    secret = SECRET_RE.search(html).group(1)
    assert re.fullmatch(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", secret)
    # A wrong code keeps the same secret on the page and says what to do.
    page = _post_code(
        client, _wrong_code(secret.replace(" ", "")), "/sign-in/set-up-authenticator"
    ).get_data(as_text=True)
    assert "Enter the code your authenticator app shows now for this service" in page
    assert secret in page
    client.get("/sign-in/set-up-authenticator")  # still the same secret

    code, step = unused_code(secret.replace(" ", ""), None)
    done = _post_code(client, code, "/sign-in/set-up-authenticator").get_data(as_text=True)
    codes = re.findall(r"<code>([a-z0-9-]+)</code>", done)
    assert len(codes) == 10 and len(set(codes)) == 10
    db.expire_all()
    fresh = db.get(User, user.id)
    assert fresh.totp_secret == secret.replace(" ", "") and fresh.totp_last_step == step
    hashes = set(db.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)))
    assert len(hashes) == 10 and not any(c in h for c in codes for h in hashes)
    assert client.get("/").status_code == 200
    # The set-up page never replaces a working second factor.
    assert client.get("/sign-in/set-up-authenticator").headers["Location"] == "/"


def test_set_up_page_is_closed_to_someone_who_has_an_app_already(
    db: Session, client: Client
) -> None:
    user = make_user(db)
    _password(client, user.email)
    response = client.get("/sign-in/set-up-authenticator")
    assert response.headers["Location"] == "/sign-in/code"
    html = client.get("/sign-in/code").get_data(as_text=True)
    new_secret = two_factor.new_secret()
    client.post(
        "/sign-in/set-up-authenticator",
        data={"code": two_factor.code_at(new_secret, _step_now()), "csrf_token": _csrf(html)},
    )
    db.expire_all()
    assert db.get(User, user.id).totp_secret == TOTP_SECRET


def test_a_recovery_code_works_once_instead_of_the_app(db: Session, app: Flask) -> None:
    user = make_user(db, second_factor=False, name="Robin Recover")
    codes = _set_up(app.test_client(), user.email)

    client: Client = app.test_client()
    _password(client, user.email)
    page = client.get("/sign-in/recovery-code").get_data(as_text=True)
    assert "Enter a recovery code" in page
    response = _post_code(client, codes[3].upper().replace("-", " "), "/sign-in/recovery-code")
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "You signed in with a recovery code. You have 9 left." in page

    again: Client = app.test_client()
    _password(again, user.email)
    page = _post_code(again, codes[3], "/sign-in/recovery-code").get_data(as_text=True)
    assert "Enter a recovery code you have not used before" in page
    assert again.get("/").headers["Location"] == "/sign-in/code"
    db.expire_all()
    assert db.get(User, user.id).failed_logins == 1


def test_admin_resets_a_second_factor(db: Session, login, app: Flask) -> None:
    user = make_user(db, name="Lou Lostphone")
    their_session = login(user)
    admin = login(make_user(db, Role.ADMIN))
    assert "Reset authenticator app" in admin.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert admin.submit(f"/admin/users/{user.id}/reset-second-factor").status_code == 302

    assert their_session.get("/").status_code == 302
    db.expire_all()
    assert db.get(User, user.id).totp_secret is None
    assert not db.scalar(select(func.count(RecoveryCode.id)).where(RecoveryCode.user_id == user.id))
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "second_factor_reset"))
    assert event.object_id == str(user.id)
    email = db.scalar(select(OutboxMessage).where(OutboxMessage.user_id == user.id))
    assert email.kind == "second_factor_reset" and email.recipient == user.email
    assert "reset the authenticator app" in email.body
    # Next sign-in sets the app up again.
    assert _password(app.test_client(), user.email) == "/sign-in/set-up-authenticator"


@pytest.mark.parametrize(("env", "accepted"), [("production", False), ("test", True)])
def test_the_demo_secret_works_only_outside_production(
    database_url: str, env: str, accepted: bool
) -> None:
    from marac import create_app

    app = create_app(settings_for(database_url, env=env))
    app.test_client_class = Client
    session = app.extensions["marac_db"].sessionmaker()
    user = make_user(session, second_factor=False)
    user.totp_secret = two_factor.DEMO_SECRET
    session.commit()
    client: Client = app.test_client()
    _password(client, user.email)
    response = _post_code(client, unused_code(two_factor.DEMO_SECRET, None)[0])
    assert (response.status_code == 302) is accepted
    session.close()
    app.extensions["marac_db"].engine.dispose()


def test_a_lock_during_the_code_step_cannot_be_waited_out_by_a_new_password(
    db: Session, client: Client
) -> None:
    user = make_user(db, failed_logins=4)
    _password(client, user.email)
    _post_code(client, _wrong_code())
    db.expire_all()
    fresh = db.get(User, user.id)
    assert fresh.locked_until is not None and fresh.locked_until > utcnow()
    token = _csrf(client.get("/sign-in").get_data(as_text=True))
    page = client.post(
        "/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert page.status_code == 200  # refused while locked
    assert fresh.locked_until - utcnow() <= timedelta(minutes=15)
