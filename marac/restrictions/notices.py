"""Who hears about a restriction, told nothing but that a restricted record is involved.

Notices and emails never name the restricted person: the reference is "R-<id>" and the
link needs a sign-in and the right to manage the restriction.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role, User
from marac.notify.events import Notice, active, deliver, quietly
from marac.people.restriction import PersonRestriction, RestrictionRequest

ACCESS_REQUESTED = "restriction_access_requested"
ACCESS_DECIDED = "restriction_access_decided"
BREAK_GLASS = "restriction_break_glass"


def reference(restriction: PersonRestriction) -> str:
    return f"R-{restriction.id}"


def _restricting(session: Session, restriction: PersonRestriction) -> list[User]:
    user = session.get(User, restriction.restricted_by_id)
    return active([user]) if user else []


def governance_users(session: Session) -> list[User]:
    return active(session.scalars(select(User).where(User.role == Role.GOVERNANCE.value)))


@quietly
def access_requested(session: Session, restriction: PersonRestriction) -> list[User]:
    ref = reference(restriction)
    notice = Notice(
        ACCESS_REQUESTED,
        f"Someone asked to see restricted record {ref}",
        f"A user asked for access to restricted record {ref}. Grant or refuse the request.",
        ref,
        f"/restrictions/{restriction.id}",
    )
    return deliver(session, _restricting(session, restriction), notice)


@quietly
def access_decided(
    session: Session, restriction: PersonRestriction, asked: RestrictionRequest
) -> list[User]:
    ref = reference(restriction)
    user = session.get(User, asked.user_id)
    outcome = "granted" if asked.status == "granted" else "refused"
    notice = Notice(
        ACCESS_DECIDED,
        f"Your request to see restricted record {ref} was {outcome}",
        f"Your request for access to restricted record {ref} was {outcome}.",
        ref,
        f"/restrictions/people/{restriction.person_id}/ask",
    )
    return deliver(session, active([user]) if user else [], notice)


@quietly
def break_glass_used(session: Session, restriction: PersonRestriction, actor: User) -> list[User]:
    """The restricting coordinator and information governance hear of every break-glass."""
    ref = reference(restriction)
    subject = f"Break-glass access to restricted record {ref}"
    message = f"{actor.name} used break-glass access to restricted record {ref} for 24 hours."
    coordinator = deliver(
        session,
        _restricting(session, restriction),
        Notice(BREAK_GLASS, subject, message, ref, f"/restrictions/{restriction.id}"),
    )
    governors: Sequence[User] = governance_users(session)
    link = f"/admin/audit?object_type=person_restriction&object_id={restriction.id}"
    told = deliver(
        session,
        governors,
        Notice(BREAK_GLASS, subject, f"{message} The reason is in the audit log.", ref, link),
    )
    return [*coordinator, *told]
