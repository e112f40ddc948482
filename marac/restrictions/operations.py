"""Writes of restricted records: restrict, name users, lift, ask, decide, break glass.

Each checks the actor, changes the rows, writes the audit row (which never names the
person: it names the restriction) and the notices, in one transaction.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.accounts.models import Role, User
from marac.audit.log import record
from marac.db import utcnow
from marac.formatting import plural
from marac.operations import Conflict, Invalid, NotFound, Refused, allow, operation
from marac.people.access import can_view_person
from marac.people.models import Person
from marac.people.restriction import (
    AccessKind,
    PersonRestriction,
    RequestStatus,
    RestrictionAccess,
    RestrictionRequest,
    break_glass_expiry,
    is_hidden,
    no_case_content,
    waived,
)
from marac.restrictions import notices

REASON_LIMIT = 2000


def would_see(db: Session, user: User, person: Person) -> bool:
    """Whether `user` would see the person were they not restricted."""
    with waived():
        return can_view_person(db, user, person)


def _person(db: Session, person_id: int) -> Person:
    person = db.get(Person, person_id)
    if person is None:
        raise NotFound()
    return person


def _restriction(db: Session, restriction_id: int) -> PersonRestriction:
    restriction = db.get(PersonRestriction, restriction_id)
    if restriction is None:
        raise NotFound()
    return restriction


def _reason(reason: str, field: str = "reason") -> str:
    text = (reason or "").strip()
    if not text:
        raise Invalid({field: "Enter the reason"})
    if len(text) > REASON_LIMIT:
        raise Invalid({field: f"The reason must be {REASON_LIMIT} characters or fewer"})
    return text


def _users_by_email(db: Session, emails: list[str], field: str) -> list[User]:
    """Active case workers with these email addresses; any other address is an error."""
    wanted = {e.strip().lower() for e in emails if e.strip()}
    if not wanted:
        return []
    found = list(db.scalars(select(User).where(func.lower(User.email).in_(wanted))))
    usable = [u for u in found if u.active and not u.is_service and not no_case_content(u)]
    unknown = sorted(wanted - {u.email.lower() for u in usable})
    if unknown:
        raise Invalid({field: f"No case worker has the email address {', '.join(unknown)}"})
    return usable


def manages(user: User, restriction: PersonRestriction) -> bool:
    """Only the restricting coordinator manages a restriction (names, requests, lifting)."""
    return restriction.restricted_by_id == user.id and user.has_role(Role.COORDINATOR)


def _name(db: Session, actor: User, restriction: PersonRestriction, user: User) -> None:
    if user.id == restriction.restricted_by_id:
        return
    already = db.scalar(
        select(RestrictionAccess.id).where(
            RestrictionAccess.restriction_id == restriction.id,
            RestrictionAccess.user_id == user.id,
            RestrictionAccess.kind == AccessKind.NAMED.value,
        )
    )
    if already is None:
        db.add(
            RestrictionAccess(
                restriction_id=restriction.id,
                user_id=user.id,
                kind=AccessKind.NAMED.value,
                granted_by_id=actor.id,
            )
        )


@operation
def restrict_person(
    db: Session, actor: User, person_id: int, reason: str, emails: list[str]
) -> PersonRestriction:
    """A coordinator who sees the person restricts them to themselves and the named users."""
    person = _person(db, person_id)
    allow(actor.has_role(Role.COORDINATOR) and can_view_person(db, actor, person))
    text = _reason(reason)
    users = _users_by_email(db, emails, "emails")
    if db.scalar(select(PersonRestriction.id).where(PersonRestriction.person_id == person.id)):
        raise Conflict("This person is already restricted.")
    restriction = PersonRestriction(person_id=person.id, reason=text, restricted_by_id=actor.id)
    db.add(restriction)
    db.flush()
    for user in users:
        _name(db, actor, restriction, user)
    record(
        db,
        "person_restricted",
        "person_restriction",
        restriction.id,
        f"Restricted person {person.id}",
        user=actor,
    )
    return restriction


@operation
def name_users(db: Session, actor: User, restriction_id: int, emails: list[str]) -> int:
    """The restricting coordinator adds users to the list; returns how many were named."""
    restriction = _restriction(db, restriction_id)
    allow(manages(actor, restriction))
    users = _users_by_email(db, emails, "emails")
    if not users:
        raise Invalid({"emails": "Enter the email address of at least one user"})
    for user in users:
        _name(db, actor, restriction, user)
    record(
        db,
        "restriction_named",
        "person_restriction",
        restriction.id,
        f"Named {plural(len(users), 'user')} on the restriction",
        user=actor,
    )
    return len(users)


@operation
def remove_access(db: Session, actor: User, restriction_id: int, access_id: int) -> None:
    restriction = _restriction(db, restriction_id)
    allow(manages(actor, restriction))
    access = db.get(RestrictionAccess, access_id)
    if access is None or access.restriction_id != restriction.id:
        raise NotFound()
    db.delete(access)
    record(
        db,
        "restriction_unnamed",
        "person_restriction",
        restriction.id,
        f"Removed access {access.id} from the restriction",
        user=actor,
    )


@operation
def lift_restriction(db: Session, actor: User, restriction_id: int, confirmed: bool) -> int:
    """The restricting coordinator lifts it: the person is seen as before. Returns the person."""
    restriction = _restriction(db, restriction_id)
    allow(manages(actor, restriction))
    if not confirmed:
        raise Invalid({"confirm": "Confirm that the restriction should be lifted"})
    person_id = restriction.person_id
    for model in (RestrictionAccess, RestrictionRequest):
        for row in db.scalars(select(model).where(model.restriction_id == restriction.id)):
            db.delete(row)
    db.delete(restriction)
    record(
        db,
        "restriction_lifted",
        "person_restriction",
        restriction.id,
        f"Lifted restriction {restriction.id}",
        user=actor,
    )
    return person_id


def _restriction_of(db: Session, person_id: int) -> PersonRestriction | None:
    return db.scalar(select(PersonRestriction).where(PersonRestriction.person_id == person_id))


def shut_out(db: Session, actor: User, person_id: int) -> PersonRestriction:
    """The restriction keeping `actor` from a person they would otherwise see.

    Refused to anyone with no reason to see the person (they are not told it exists);
    `Conflict` when the actor already sees the person.
    """
    person = _person(db, person_id)
    allow(not no_case_content(actor) and would_see(db, actor, person))
    restriction = _restriction_of(db, person.id)
    if restriction is None or not is_hidden(db, actor, person.id):
        raise Conflict("You can already see this record.")
    return restriction


@operation
def request_access(db: Session, actor: User, person_id: int, reason: str) -> RestrictionRequest:
    """Someone who would have seen the case asks the restricting coordinator for access."""
    restriction = shut_out(db, actor, person_id)
    text = _reason(reason)
    pending = db.scalar(
        select(RestrictionRequest.id).where(
            RestrictionRequest.restriction_id == restriction.id,
            RestrictionRequest.user_id == actor.id,
            RestrictionRequest.status == RequestStatus.PENDING.value,
        )
    )
    if pending is not None:
        raise Conflict("You have already asked; the coordinator has not yet decided.")
    asked = RestrictionRequest(restriction_id=restriction.id, user_id=actor.id, reason=text)
    db.add(asked)
    db.flush()
    record(
        db,
        "restriction_access_requested",
        "person_restriction",
        restriction.id,
        f"Asked for access to the restriction (request {asked.id})",
        user=actor,
    )
    notices.access_requested(db, restriction)
    return asked


@operation
def decide_request(db: Session, actor: User, request_id: int, decision: str) -> RestrictionRequest:
    """The restricting coordinator grants (the user joins the list) or refuses a request."""
    asked = db.get(RestrictionRequest, request_id)
    if asked is None:
        raise NotFound()
    restriction = _restriction(db, asked.restriction_id)
    allow(manages(actor, restriction))
    if decision not in {"grant", "refuse"}:
        raise Invalid({"decision": "Select grant or refuse"})
    if asked.status != RequestStatus.PENDING.value:
        raise Conflict("This request has already been decided.")
    asked.status = (RequestStatus.GRANTED if decision == "grant" else RequestStatus.REFUSED).value
    asked.decided_by_id = actor.id
    asked.decided_at = utcnow()
    requester = db.get(User, asked.user_id)
    if decision == "grant" and requester is not None:
        _name(db, actor, restriction, requester)
    record(
        db,
        f"restriction_request_{asked.status}",
        "person_restriction",
        restriction.id,
        f"Request {asked.id} {asked.status}",
        user=actor,
    )
    notices.access_decided(db, restriction, asked)
    return asked


@operation
def break_glass(db: Session, actor: User, person_id: int, reason: str) -> RestrictionAccess:
    """A coordinator who would see the case opens it now, for 24 hours, with a reason.

    Audited with the reason, and notified to the restricting coordinator and every
    information governance user.
    """
    if not actor.has_role(Role.COORDINATOR):
        raise Refused()
    restriction = shut_out(db, actor, person_id)
    text = _reason(reason)
    now = utcnow()
    access = RestrictionAccess(
        restriction_id=restriction.id,
        user_id=actor.id,
        kind=AccessKind.BREAK_GLASS.value,
        reason=text,
        granted_by_id=actor.id,
        granted_at=now,
        expires_at=break_glass_expiry(now),
    )
    db.add(access)
    db.flush()
    record(
        db,
        "restriction_break_glass",
        "person_restriction",
        restriction.id,
        f"Break-glass access {access.id} for 24 hours",
        user=actor,
    )
    notices.break_glass_used(db, restriction, actor)
    return access
