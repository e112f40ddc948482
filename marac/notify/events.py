"""How a notice reaches people: the in-app list and the outbox, no Flask.

Each capability's `notices.py` says who hears about its events; this module knows no
case. An event decides its recipients by plain rules, then adds an in-app Notification and
an OutboxMessage per recipient to the caller's session, so they commit (or roll back)
with the change that caused them. Nothing about the case goes into an email beyond its
reference and a link that needs a sign-in: the content is OFFICIAL-SENSITIVE.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.accounts.areas import covers_area
from marac.accounts.models import Role, User
from marac.notify.models import Notification, NotificationPreference, OutboxMessage

P = ParamSpec("P")
R = TypeVar("R")

# Event kinds (also the Notify personalisation's "kind" and the in-app list's tag).
REFERRAL_CREATED = "referral_created"
MORE_INFO_REQUESTED = "more_info_requested"
ASSESSMENT_SUBMITTED = "assessment_submitted"
AGENDA_PUBLISHED = "agenda_published"
AGENDA_AMENDED = "agenda_amended"
ACTION_ASSIGNED = "action_assigned"
ACTION_DUE = "action_due"
ACTION_OVERDUE = "action_overdue"
OVERDUE_DIGEST = "overdue_digest"
MINUTES_ISSUED = "minutes_issued"

# Stands for the service's address in a message: empty in-app (a relative link works
# there), MARAC_BASE_URL in emails (filled in when sent, see backends.email_text).
SITE = "((site))"

# Non-essential email a user may turn off; everything else always goes.
DIGEST_KINDS = frozenset({OVERDUE_DIGEST})


@dataclass(frozen=True)
class Notice:
    """What one recipient is told: a short message, the case or meeting reference, a link."""

    kind: str
    subject: str
    message: str
    reference: str
    link: str


def active(users: Iterable[User]) -> list[User]:
    return sorted({u.id: u for u in users if u.active}.values(), key=lambda u: u.id)


def wants_email(session: Session, user: User, kind: str) -> bool:
    """Assignment notices and other essentials always go; digests follow the preference.

    An API client's service user has no mailbox: it never gets email.
    """
    if user.is_service:
        return False
    if kind not in DIGEST_KINDS:
        return True
    pref = session.get(NotificationPreference, user.id)
    return pref is None or pref.digests


def deliver(session: Session, users: Sequence[User], notice: Notice) -> list[User]:
    """Add a notification (always) and an email (if wanted) per user; returns the users."""
    for user in users:
        session.add(
            Notification(
                user_id=user.id,
                kind=notice.kind,
                reference=notice.reference,
                message=notice.message.replace(SITE, ""),
                link=notice.link,
            )
        )
        if wants_email(session, user, notice.kind):
            session.add(
                OutboxMessage(
                    user_id=user.id,
                    recipient=user.email,
                    kind=notice.kind,
                    subject=notice.subject,
                    body=notice.message,
                    link=notice.link,
                )
            )
    return list(users)


def quietly(event: Callable[P, R]) -> Callable[P, R]:
    """Run the event under `session.no_autoflush` (the session is the first argument)."""

    @wraps(event)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        session = args[0]
        with session.no_autoflush:  # type: ignore[attr-defined]
            return event(*args, **kwargs)

    return run


# ---- recipient rules -------------------------------------------------------------------


def coordinators_for_area(session: Session, area_id: int | None) -> list[User]:
    """The coordinators covering the area; every coordinator while the area is unknown."""
    users = session.scalars(select(User).where(User.role == Role.COORDINATOR.value))
    return active(u for u in users if covers_area(u, area_id))


def supervisors_of(session: Session, agency_id: int, assessor_id: int) -> list[User]:
    """The agency's supervisors, never the assessor themself."""
    users = session.scalars(
        select(User).where(
            User.agency_id == agency_id,
            User.is_supervisor.is_(True),
            User.id != assessor_id,
            User.role != Role.ADMIN.value,
        )
    )
    return active(users)


def members_of_agencies(session: Session, agency_ids: Iterable[int]) -> list[User]:
    """Panel members (the member role) of the given agencies."""
    ids = set(agency_ids)
    if not ids:
        return []
    users = session.scalars(
        select(User).where(User.agency_id.in_(ids), User.role == Role.MEMBER.value)
    )
    return active(users)


def unread_count(session: Session, user: Any) -> int:
    """The header's unread notifications count: one query."""
    return (
        session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )
