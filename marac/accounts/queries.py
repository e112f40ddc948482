"""Reads the admin pages share: users, agencies and areas, ordered for lists and choices."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Agency, Area
from marac.accounts.sso_models import IdentityProvider


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
