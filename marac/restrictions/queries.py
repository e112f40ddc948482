"""Reads of the restriction pages, and the placeholder shown instead of a restricted record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role, User
from marac.db import utcnow
from marac.incidents.access import can_view_incident
from marac.incidents.models import Incident
from marac.operations import NotFound, allow
from marac.people.access import can_view_person
from marac.people.models import Person
from marac.people.restriction import (
    PersonRestriction,
    RequestStatus,
    RestrictionAccess,
    RestrictionRequest,
    is_hidden,
    no_case_content,
    waived,
)
from marac.referrals.access import can_view_referral
from marac.referrals.models import Referral
from marac.restrictions.operations import manages


@dataclass
class Granted:
    access: RestrictionAccess
    user: User
    live: bool


@dataclass
class Asked:
    request: RestrictionRequest
    user: User


@dataclass
class RestrictionPage:
    restriction: PersonRestriction
    person: Person
    granted: list[Granted]
    pending: list[Asked]


def restriction_page(db: Session, viewer: User, restriction_id: int) -> RestrictionPage:
    """The restricting coordinator's page: who is named, who broke the glass, who asks."""
    restriction = db.get(PersonRestriction, restriction_id)
    if restriction is None:
        raise NotFound()
    allow(manages(viewer, restriction))
    person = db.get(Person, restriction.person_id)
    if person is None:
        raise NotFound()
    now = utcnow()
    rows = db.execute(
        select(RestrictionAccess, User)
        .join(User, User.id == RestrictionAccess.user_id)
        .where(RestrictionAccess.restriction_id == restriction.id)
        .order_by(RestrictionAccess.granted_at, RestrictionAccess.id)
    )
    granted = [
        Granted(access, user, access.expires_at is None or access.expires_at > now)
        for access, user in rows
    ]
    asks = db.execute(
        select(RestrictionRequest, User)
        .join(User, User.id == RestrictionRequest.user_id)
        .where(
            RestrictionRequest.restriction_id == restriction.id,
            RestrictionRequest.status == RequestStatus.PENDING.value,
        )
        .order_by(RestrictionRequest.created_at)
    )
    return RestrictionPage(restriction, person, granted, [Asked(r, u) for r, u in asks])


@dataclass
class MyRestriction:
    restriction: PersonRestriction
    person: Person
    pending: int


def my_restrictions(db: Session, viewer: User) -> list[MyRestriction]:
    """The restrictions a coordinator made, with how many requests wait on each."""
    allow(viewer.has_role(Role.COORDINATOR))
    rows = list(
        db.execute(
            select(PersonRestriction, Person)
            .join(Person, Person.id == PersonRestriction.person_id)
            .where(PersonRestriction.restricted_by_id == viewer.id)
            .order_by(PersonRestriction.created_at.desc())
        )
    )
    waiting: dict[int, int] = {}
    for (restriction_id,) in db.execute(
        select(RestrictionRequest.restriction_id).where(
            RestrictionRequest.restriction_id.in_([r.id for r, _ in rows]),
            RestrictionRequest.status == RequestStatus.PENDING.value,
        )
    ):
        waiting[restriction_id] = waiting.get(restriction_id, 0) + 1
    return [MyRestriction(r, p, waiting.get(r.id, 0)) for r, p in rows]


def restriction_of(db: Session, person_id: int) -> PersonRestriction | None:
    return db.scalar(select(PersonRestriction).where(PersonRestriction.person_id == person_id))


def _would_see(db: Session, viewer: User, record: Any) -> bool:
    with waived():
        if isinstance(record, Person):
            return can_view_person(db, viewer, record)
        if isinstance(record, Referral):
            return can_view_referral(viewer, record, db)
        return can_view_incident(viewer, record)


def placeholder_for(
    db: Session, viewer: Any, view_args: Mapping[str, Any] | None
) -> PersonRestriction | None:
    """The restriction behind a refused page, if it is the only thing in the viewer's way.

    Only someone who would have seen the record gets the placeholder (and learns that a
    restricted record exists); everyone else gets the ordinary refusal.
    """
    if not getattr(viewer, "is_authenticated", False) or no_case_content(viewer):
        return None
    args = view_args or {}
    record: Any = None
    if isinstance(args.get("person_id"), int):
        record = db.get(Person, args["person_id"])
        person_id = record.id if record else None
    elif isinstance(args.get("referral_id"), int):
        record = db.get(Referral, args["referral_id"])
        person_id = record.person_id if record else None
    elif isinstance(args.get("incident_id"), int):
        record = db.get(Incident, args["incident_id"])
        person_id = record.person_id if record else None
    else:
        return None
    if record is None or person_id is None or not is_hidden(db, viewer, person_id):
        return None
    if not _would_see(db, viewer, record):
        return None
    return restriction_of(db, person_id)


def ask_state(db: Session, viewer: User, person_id: int) -> RestrictionRequest | None:
    """The viewer's latest request for this person's restriction, if any."""
    restriction = restriction_of(db, person_id)
    if restriction is None:
        return None
    return db.scalar(
        select(RestrictionRequest)
        .where(
            RestrictionRequest.restriction_id == restriction.id,
            RestrictionRequest.user_id == viewer.id,
        )
        .order_by(RestrictionRequest.created_at.desc(), RestrictionRequest.id.desc())
        .limit(1)
    )


def person_to_restrict(db: Session, viewer: User, person_id: int) -> Person:
    """A coordinator restricts only a person they can see now."""
    person = db.get(Person, person_id)
    if person is None:
        raise NotFound()
    allow(viewer.has_role(Role.COORDINATOR) and can_view_person(db, viewer, person))
    return person
