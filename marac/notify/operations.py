"""Writes of notify: marking notifications read, email preferences, reading the outbox."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from marac.accounts.models import User
from marac.audit import record
from marac.db import utcnow
from marac.notify.models import Notification, NotificationPreference, OutboxMessage
from marac.notify.queries import USER_ROLES, outbox_page, own_notification
from marac.operations import allow, operation
from marac.pagination import Page


@operation
def mark_read(db: Session, actor: User, notification_id: int) -> Notification:
    """Mark one of the actor's notifications read (once: the first reading time stays)."""
    allow(actor.has_role(*USER_ROLES))
    notification = own_notification(db, actor, notification_id)
    if notification.read_at is None:
        notification.read_at = utcnow()
    return notification


@operation
def mark_all_read(db: Session, actor: User) -> None:
    """Mark every unread notification of the actor read."""
    allow(actor.has_role(*USER_ROLES))
    db.execute(
        update(Notification)
        .where(Notification.user_id == actor.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )


@operation
def set_preferences(db: Session, actor: User, *, digests: bool) -> NotificationPreference:
    """Turn the actor's weekly digest emails on or off."""
    allow(actor.has_role(*USER_ROLES))
    pref = db.get(NotificationPreference, actor.id)
    if pref is None:
        pref = NotificationPreference(user_id=actor.id)
        db.add(pref)
    pref.digests = bool(digests)
    record(
        db,
        "notification_preferences_changed",
        "user",
        actor.id,
        f"Weekly digests {'on' if pref.digests else 'off'}",
        user=actor,
    )
    return pref


@operation
def view_outbox(db: Session, actor: User, page: int = 1) -> Page[OutboxMessage]:
    """One page of stored emails for an admin; reading it is audited."""
    found = outbox_page(db, actor, page)
    record(
        db,
        "outbox_viewed",
        "outbox",
        None,
        f"Viewed the email outbox page {found.page}",
        user=actor,
    )
    return found
