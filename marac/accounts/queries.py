"""Reads the admin pages share: users, agencies and areas, ordered for lists and choices."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.accounts.models import Agency, Area, Role, User
from marac.accounts.sso_models import IdentityProvider
from marac.operations import NotFound, allow
from marac.pagination import Page, paginate


def area_choices(db: Session) -> list[tuple[int, str]]:
    """Every area as (id, name), by name: the choices of an area select."""
    return [(i, name) for i, name in db.execute(select(Area.id, Area.name).order_by(Area.name))]


def agency_choices(db: Session, *, active_only: bool = True) -> list[tuple[int, str]]:
    """Agencies as (id, name), by name; inactive ones left out unless asked for."""
    query = select(Agency.id, Agency.name).order_by(Agency.name)
    if active_only:
        query = query.where(Agency.active.is_(True))
    return [(i, name) for i, name in db.execute(query)]


def agencies_by_name(db: Session) -> list[Agency]:
    """Every agency, active or not, by name."""
    return list(db.scalars(select(Agency).order_by(Agency.name)))


def identity_providers(db: Session) -> list[IdentityProvider]:
    """Every agency's identity providers, by agency name then provider name."""
    return list(
        db.scalars(
            select(IdentityProvider)
            .join(Agency, Agency.id == IdentityProvider.agency_id)
            .order_by(Agency.name, IdentityProvider.display_name)
        )
    )


def users_page(
    db: Session, viewer: User, *, agency_id: int | None, role: str, page: int = 1
) -> Page[User]:
    """Users by agency then name, filtered by agency and role: admins only."""
    allow(viewer.has_role(Role.ADMIN))
    query = select(User).join(User.agency).order_by(Agency.name, User.name)
    if agency_id:
        query = query.where(User.agency_id == agency_id)
    if role in {r.value for r in Role}:
        query = query.where(User.role == role)
    return paginate(db, query, page)


def person_account(db: Session, viewer: User, user_id: int) -> User:
    """A user account for the admin pages; an API client's service user is not one (it is
    managed with its client), so it is not found."""
    allow(viewer.has_role(Role.ADMIN))
    user = db.get(User, user_id)
    if user is None or user.is_service:
        raise NotFound()
    return user


def agencies_with_user_counts(db: Session) -> list[tuple[Agency, int]]:
    """Every agency (active first) with how many active users it has."""
    counts = (
        select(User.agency_id, func.count(User.id).label("n"))
        .where(User.active)
        .group_by(User.agency_id)
        .subquery()
    )
    rows = db.execute(
        select(Agency, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.agency_id == Agency.id)
        .order_by(Agency.active.desc(), Agency.name)
    ).all()
    return [(agency, n) for agency, n in rows]


def areas_by_name(db: Session, *, active_first: bool = False) -> list[Area]:
    """Every area by name (active ones first when asked)."""
    order = (Area.active.desc(), Area.name) if active_first else (Area.name,)
    return list(db.scalars(select(Area).order_by(*order)))


def user_by_email(db: Session, email: str) -> User | None:
    """The account with this email address in any case (emails are unique ignoring case)."""
    return db.scalar(select(User).where(func.lower(User.email) == (email or "").lower()))
