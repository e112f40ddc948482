"""Invitations and reset links: the admin never types a password; the person sets their own."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from marac.accounts.models import Invitation, Role, User, UserSession
from marac.audit.models import AuditEvent
from marac.db import utcnow
from marac.notify.backends import email_text
from marac.notify.models import OutboxMessage
from tests.conftest import SECRET_RE, Client, _csrf
from tests.factories import PASSWORD, make_agency, make_user, unused_code

NEW_PASSWORD = "lantern-quarry-thistle"


def _invite(db: Session, admin: Client, email: str = "new.person@test.example") -> User:
    agency = make_agency(db)
    response = admin.submit(
        "/admin/users/new",
        {
            "name": "New Person",
            "email": email,
            "agency_id": agency.id,
            "role": "member",
            "active": "y",
        },
    )
    assert response.status_code == 302
    return db.scalar(select(User).where(User.email == email))


def _link(db: Session, user: User) -> str:
    """The path in the newest email to `user`, as the person would click it."""
    body = db.scalars(
        select(OutboxMessage.body)
        .where(OutboxMessage.user_id == user.id)
        .order_by(OutboxMessage.id.desc())
    ).first()
    match = re.search(r"\(\(site\)\)(/invitation/[A-Za-z0-9_-]+)", body)
    assert match, body
    return match.group(1)


def _set_password(client: Client, link: str, password: str = NEW_PASSWORD) -> object:
    token = _csrf(client.get("/sign-in").get_data(as_text=True))
    return client.post(
        link,
        data={"new_password": password, "confirm_password": password, "csrf_token": token},
    )


def test_invited_person_sets_password_then_authenticator(db: Session, login, app) -> None:
    admin = login(make_user(db, Role.ADMIN))
    user = _invite(db, admin)
    link = _link(db, user)
    person: Client = app.test_client()

    page = person.get(link).get_data(as_text=True)
    assert "Create your password" in page and user.email in page
    page = _set_password(person, link, "short").get_data(as_text=True)  # the password policy
    assert "There is a problem" in page and "Password must be 12 characters or more" in page

    response = _set_password(person, link)
    assert response.headers["Location"] == "/sign-in/set-up-authenticator"
    assert person.get("/").headers["Location"] == "/sign-in/set-up-authenticator"
    html = person.get("/sign-in/set-up-authenticator").get_data(as_text=True)
    secret = SECRET_RE.search(html).group(1).replace(" ", "")
    code, _ = unused_code(secret, None)
    done = person.post(
        "/sign-in/set-up-authenticator", data={"code": code, "csrf_token": _csrf(html)}
    )
    assert "Save your recovery codes" in done.get_data(as_text=True)
    assert "Welcome, New Person" in person.get("/").get_data(as_text=True)

    # The link worked once; the password now signs in (with the new authenticator).
    assert person.get(link).status_code == 404
    assert "This link does not work" in person.get(link).get_data(as_text=True)
    login(user.email, NEW_PASSWORD)
    actions = set(db.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(user.id))))
    assert {"user_created", "password_set", "second_factor_set_up", "login"} <= actions


def test_the_email_holds_the_full_link_and_when_it_expires(db: Session, login) -> None:
    admin = login(make_user(db, Role.ADMIN))
    user = _invite(db, admin)
    message = db.scalar(select(OutboxMessage).where(OutboxMessage.user_id == user.id))
    text = email_text(message, "https://marac.council.example")
    assert f"https://marac.council.example{_link(db, user)}" in text
    assert "expires after 72 hours" in text
    # Only the token's hash is stored.
    token = _link(db, user).rsplit("/", 1)[1]
    assert token not in db.scalar(select(Invitation.token_hash))


def test_expired_links_do_not_work(db: Session, login, app) -> None:
    admin = login(make_user(db, Role.ADMIN))
    user = _invite(db, admin)
    link = _link(db, user)
    db.execute(update(Invitation).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.commit()
    client: Client = app.test_client()
    assert client.get(link).status_code == 404
    assert _set_password(client, link).status_code == 404
    db.expire_all()
    assert db.get(User, user.id).password_hash == ""


def test_a_new_invitation_replaces_the_old_link(db: Session, login, app) -> None:
    admin = login(make_user(db, Role.ADMIN))
    user = _invite(db, admin)
    old = _link(db, user)
    page = admin.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "Send a new invitation" in page and "Reset password" not in page
    assert admin.submit(f"/admin/users/{user.id}/invite").status_code == 302
    new = _link(db, user)
    assert new != old
    client: Client = app.test_client()
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "invitation_sent"))


def test_admin_reset_password_sends_a_link_and_ends_sessions(db: Session, login, app) -> None:
    user = make_user(db, name="Rae Reset")
    their_session = login(user)
    admin = login(make_user(db, Role.ADMIN))
    assert admin.submit(f"/admin/users/{user.id}/reset-password").status_code == 302

    assert their_session.get("/").status_code == 302  # signed out at once
    assert db.scalar(select(UserSession.revoked_at).where(UserSession.user_id == user.id))
    client: Client = app.test_client()
    token = _csrf(client.get("/sign-in").get_data(as_text=True))
    refused = client.post(
        "/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert refused.status_code == 200  # the old password no longer works
    message = db.scalars(select(OutboxMessage).where(OutboxMessage.user_id == user.id)).one()
    assert message.kind == "password_reset"
    page = client.get(_link(db, user)).get_data(as_text=True)
    assert "Set a new password" in page
    # They keep their authenticator: after the new password comes the code.
    assert _set_password(client, _link(db, user)).headers["Location"] == "/sign-in/code"
    client.pass_second_factor(user.email, "/sign-in/code")
    assert "Welcome, Rae Reset" in client.get("/").get_data(as_text=True)


def test_the_outbox_page_hides_account_links_from_admins(db: Session, login) -> None:
    """Another admin reading the outbox must not be able to use someone's invitation."""
    admin = login(make_user(db, Role.ADMIN))
    user = _invite(db, admin)
    token = _link(db, user).rsplit("/", 1)[1]
    page = admin.get("/admin/outbox").get_data(as_text=True)
    assert "Set your password with this link" in page
    assert "/invitation/(hidden)" in page
    assert token not in page
