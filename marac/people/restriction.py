"""Restricted records: a person only a named list of users may see (issue 17, item 5).

A coordinator restricts a person (a member of staff, a relative of staff, someone in the
public eye) with a reason. From then on only the restricting coordinator and the users
on the restriction's list see the person and every case recorded against them, whatever
other reason they had; a break-glass grant is a list entry with an expiry. Everyone else
is told only that a restricted record exists. The roles that run or govern the system
(`NO_CASE_ROLES`) never see case content at all. Plain rules and SQL clauses, no Flask,
so the access layers of people, incidents and referrals all apply the same rule.

`waived()` lets the error page ask "would this user see the record were it not
restricted?" (to show them the placeholder and the way to ask), and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Text,
    exists,
    false,
    not_,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from marac.accounts.models import Role
from marac.db import Base, UTCDateTime, utcnow
from marac.operations import Refused

# Roles that run (admin) or govern (information governance) the service: no case content.
NO_CASE_ROLES = (Role.ADMIN, Role.GOVERNANCE)
BREAK_GLASS_HOURS = 24


class AccessKind(StrEnum):
    NAMED = "named"  # put on the list by the restricting coordinator (or a granted request)
    BREAK_GLASS = "break_glass"  # a coordinator's own emergency view, time-limited


class RequestStatus(StrEnum):
    PENDING = "pending"
    GRANTED = "granted"
    REFUSED = "refused"


class PersonRestriction(Base):
    """One person's restriction; the row existing is what restricts them."""

    __tablename__ = "person_restriction"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    restricted_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RestrictionAccess(Base):
    """A user who may see a restricted person: named (no expiry) or break-glass (expiring)."""

    __tablename__ = "restriction_access"
    __table_args__ = (Index("ix_restriction_access_user", "user_id", "restriction_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    restriction_id: Mapped[int] = mapped_column(
        ForeignKey("person_restriction.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    kind: Mapped[str] = mapped_column(String(20), default=AccessKind.NAMED.value)
    reason: Mapped[str] = mapped_column(Text, default="")
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RestrictionRequest(Base):
    """Someone who would have seen the case asks the restricting coordinator for access."""

    __tablename__ = "restriction_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    restriction_id: Mapped[int] = mapped_column(
        ForeignKey("person_restriction.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=RequestStatus.PENDING.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


_WAIVED: ContextVar[bool] = ContextVar("marac_restrictions_waived", default=False)


@contextmanager
def waived() -> Iterator[None]:
    """Judge access as if no person were restricted (only to decide on the placeholder)."""
    token = _WAIVED.set(True)
    try:
        yield
    finally:
        _WAIVED.reset(token)


def no_case_content(user: Any) -> bool:
    """Admins and information governance see no case content, whatever else is true."""
    return bool(user.has_role(*NO_CASE_ROLES))


def allowed_restrictions(user: Any, now: datetime | None = None) -> ColumnElement[bool]:
    """A WHERE clause on PersonRestriction: the restrictions `user` is let through."""
    now = now or utcnow()
    on_list = exists().where(
        RestrictionAccess.restriction_id == PersonRestriction.id,
        RestrictionAccess.user_id == user.id,
        or_(RestrictionAccess.expires_at.is_(None), RestrictionAccess.expires_at > now),
    )
    return or_(PersonRestriction.restricted_by_id == user.id, on_list)


def hidden_person(user: Any, person_id: Any) -> ColumnElement[bool]:
    """True where `person_id` (a column) is restricted and `user` is not let through."""
    if _WAIVED.get():
        return false()
    return exists().where(
        PersonRestriction.person_id == person_id, not_(allowed_restrictions(user))
    )


def shown_person(user: Any, person_id: Any) -> ColumnElement[bool]:
    """The negation of `hidden_person`, for ANDing into a list's WHERE clause."""
    return not_(hidden_person(user, person_id))


def waiving() -> bool:
    """Inside `waived()`: restrictions are set aside to ask what the user would see."""
    return bool(_WAIVED.get())


def is_hidden(session: Session | None, user: Any, person_id: int | None) -> bool:
    """Is this person restricted from `user`? One query; no session means no check possible."""
    if person_id is None or session is None or _WAIVED.get():
        return False
    query = select(
        exists().where(PersonRestriction.person_id == person_id, not_(allowed_restrictions(user)))
    )
    return bool(session.scalar(query))


def hidden_restrictions(
    session: Session, user: Any | None, person_ids: Iterable[int | None]
) -> dict[int, int]:
    """Person id -> restriction id (the `R-<n>`) of those restricted from `user`, one query.

    `user` None stands for a document shared with many (an agenda or minutes PDF sent to
    every member agency): every restricted person is withheld, whoever asked for it.
    """
    ids = {i for i in person_ids if i is not None}
    if not ids or (user is not None and _WAIVED.get()):
        return {}
    query = select(PersonRestriction.person_id, PersonRestriction.id).where(
        PersonRestriction.person_id.in_(ids)
    )
    if user is not None:
        query = query.where(not_(allowed_restrictions(user)))
    return {person_id: restriction_id for person_id, restriction_id in session.execute(query)}


class RestrictedRecord(Refused):
    """Refused because the case's person is restricted from the actor.

    Carries the referral, so a page keyed by something else (an agenda item) can still
    show the restricted-record placeholder rather than the plain refusal.
    """

    def __init__(self, referral_id: int) -> None:
        super().__init__()
        self.referral_id = referral_id


def break_glass_expiry(now: datetime) -> datetime:
    return now + timedelta(hours=BREAK_GLASS_HOURS)


def restricted_ids(session: Session, ids: set[int]) -> set[int]:
    """Which of these people are restricted at all (for a list's placeholder rows)."""
    if not ids:
        return set()
    return set(
        session.scalars(
            select(PersonRestriction.person_id).where(PersonRestriction.person_id.in_(ids))
        )
    )


__all__ = [
    "NO_CASE_ROLES",
    "AccessKind",
    "PersonRestriction",
    "RequestStatus",
    "RestrictedRecord",
    "RestrictionAccess",
    "RestrictionRequest",
    "allowed_restrictions",
    "hidden_person",
    "hidden_restrictions",
    "is_hidden",
    "no_case_content",
    "shown_person",
    "waived",
]
