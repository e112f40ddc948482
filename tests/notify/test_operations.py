"""Notify operations called directly: own notifications only, preferences audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.audit.models import AuditEvent
from marac.notify import events, operations
from marac.notify.models import Notification, NotificationPreference
from marac.operations import NotFound, Refused
from tests.factories import make_user


def _notify(db: Session, user: object, n: int = 1) -> list[Notification]:
    for i in range(n):
        events.deliver(db, [user], events.Notice("test", f"S{i}", f"M{i}", f"R{i}", "/x"))
    db.commit()
    return list(db.scalars(select(Notification).where(Notification.user_id == user.id)))


def test_marking_read_is_for_ones_own_notifications(db: Session) -> None:
    me, them = make_user(db, Role.MEMBER), make_user(db, Role.MEMBER)
    (mine,) = _notify(db, me)
    (theirs,) = _notify(db, them)
    operations.mark_read(db, me, mine.id)
    with pytest.raises(NotFound):
        operations.mark_read(db, me, theirs.id)
    db.expire_all()
    assert db.get(Notification, mine.id).read_at is not None
    assert db.get(Notification, theirs.id).read_at is None


def test_mark_all_read_leaves_others_alone(db: Session) -> None:
    me, them = make_user(db, Role.MEMBER), make_user(db, Role.MEMBER)
    _notify(db, me, 3)
    _notify(db, them)
    operations.mark_all_read(db, me)
    db.expire_all()
    unread = db.scalars(select(Notification.user_id).where(Notification.read_at.is_(None))).all()
    assert unread == [them.id]


def test_preferences_are_saved_and_audited_and_admins_have_none(db: Session) -> None:
    me = make_user(db, Role.REFERRER)
    operations.set_preferences(db, me, digests=False)
    db.expire_all()
    assert db.get(NotificationPreference, me.id).digests is False
    row = db.scalar(
        select(AuditEvent).where(AuditEvent.action == "notification_preferences_changed")
    )
    assert row.user_id == me.id and row.summary == "Weekly digests off"
    with pytest.raises(Refused):
        operations.set_preferences(db, make_user(db, Role.ADMIN), digests=True)


def test_only_admins_read_the_outbox_and_reading_is_audited(db: Session) -> None:
    with pytest.raises(Refused):
        operations.view_outbox(db, make_user(db, Role.COORDINATOR))
    page = operations.view_outbox(db, make_user(db, Role.ADMIN))
    assert page.page == 1
    actions = db.scalars(select(AuditEvent.action)).all()
    assert actions == ["outbox_viewed"]
