"""Invitations and password-reset links: single-use, expiring, only the token's hash kept.

The email goes through the notification outbox (`marac.notify.models.OutboxMessage`) in
the caller's transaction. Only the outbox model is imported: `marac.notify.events`
imports case packages, and accounts must not.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from marac.accounts.models import Invitation, InvitationKind, User
from marac.db import utcnow
from marac.notify.models import OutboxMessage

INVITATION_HOURS = 72
# Stands for the service's address; the outbox fills in MARAC_BASE_URL when it sends
# (the same placeholder as `marac.notify.events.SITE`).
SITE = "((site))"

# Outbox kinds (the email's event).
INVITATION_EMAIL = "account_invitation"
PASSWORD_RESET_EMAIL = "password_reset"
SECOND_FACTOR_RESET_EMAIL = "second_factor_reset"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_path(token: str) -> str:
    return f"/invitation/{token}"


def issue_link(
    db: Session,
    user: User,
    kind: InvitationKind,
    *,
    by: User | None,
    service_name: str,
    hours: int = INVITATION_HOURS,
    now: datetime | None = None,
) -> str:
    """Replace any open link of the user with a new one and queue the email; returns the token.

    The caller records the audit row and commits.
    """
    now = now or utcnow()
    db.execute(
        update(Invitation)
        .where(
            Invitation.user_id == user.id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(hours=hours)
    db.add(
        Invitation(
            token_hash=_hash(token),
            user_id=user.id,
            kind=kind.value,
            created_by_id=by.id if by else None,
            created_at=now,
            expires_at=expires,
        )
    )
    link = f"{SITE}{invitation_path(token)}"
    if kind is InvitationKind.INVITATION:
        subject = f"You have been invited to {service_name}"
        opening = f"You have an account on {service_name}. Set your password with this link:"
        email_kind = INVITATION_EMAIL
    else:
        subject = f"Set a new password for {service_name}"
        opening = (
            f"Your administrator has reset your password for {service_name}. "
            "Set a new one with this link:"
        )
        email_kind = PASSWORD_RESET_EMAIL
    body = (
        f"{opening}\n\n{link}\n\n"
        f"The link works once and expires after {hours} hours. Then you set up an "
        "authenticator app on your phone for the second step of signing in.\n"
        "If you did not expect this email, tell your MARAC administrator."
    )
    db.add(
        OutboxMessage(
            user_id=user.id, recipient=user.email, kind=email_kind, subject=subject, body=body
        )
    )
    db.flush()
    return token


def open_link(db: Session, token: str, now: datetime | None = None) -> Invitation | None:
    """The link for `token` if it is unused, not replaced, not expired and the user active."""
    now = now or utcnow()
    invitation = db.scalar(select(Invitation).where(Invitation.token_hash == _hash(token)))
    if (
        invitation is None
        or invitation.used_at is not None
        or invitation.revoked_at is not None
        or invitation.expires_at <= now
        or not invitation.user.active
    ):
        return None
    return invitation


def tell_second_factor_reset(db: Session, user: User, *, service_name: str) -> None:
    """Email the user that an admin reset their authenticator (so a stranger's reset shows)."""
    db.add(
        OutboxMessage(
            user_id=user.id,
            recipient=user.email,
            kind=SECOND_FACTOR_RESET_EMAIL,
            subject=f"Your authenticator app for {service_name} was reset",
            body=(
                f"Your administrator reset the authenticator app you use to sign in to "
                f"{service_name}. The next time you sign in, you set it up again.\n"
                "If you did not ask for this, tell your MARAC administrator at once."
            ),
        )
    )
