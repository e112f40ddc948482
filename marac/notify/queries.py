"""Reads of notifications: a user's own list, and the admins' outbox."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role, User
from marac.notify.models import Notification, NotificationPreference, OutboxMessage
from marac.operations import NotFound, allow
from marac.pagination import Page, paginate

# Admins get no in-app notifications; everyone else does.
USER_ROLES = (Role.REFERRER, Role.MEMBER, Role.COORDINATOR)


def my_notifications(db: Session, viewer: User, page: int = 1) -> Page[Notification]:
    """The viewer's own notifications, newest first."""
    allow(viewer.has_role(*USER_ROLES))
    query = (
        select(Notification)
        .where(Notification.user_id == viewer.id)
        .order_by(Notification.id.desc())
    )
    return paginate(db, query, page, per_page=50)


def own_notification(db: Session, viewer: User, notification_id: int) -> Notification:
    """One of the viewer's notifications; someone else's is none of their business (404)."""
    notification = db.get(Notification, notification_id)
    if notification is None or notification.user_id != viewer.id:
        raise NotFound()
    return notification


def wants_digests(db: Session, viewer: User) -> bool:
    """The viewer's weekly digest preference (on unless they turned it off)."""
    pref = db.get(NotificationPreference, viewer.id)
    return pref.digests if pref else True


def outbox_page(db: Session, viewer: User, page: int = 1) -> Page[OutboxMessage]:
    """Stored emails, newest first: admins only."""
    allow(viewer.has_role(Role.ADMIN))
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    return paginate(db, query, page, per_page=50)
