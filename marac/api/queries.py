"""Reads about API clients shared by the admin pages and the API door."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Agency, Area, Role, User
from marac.api.models import ApiClient
from marac.api.tokens import matches, prefix_of
from marac.incidents.models import LocalStrand
from marac.operations import allow


def clients(db: Session, viewer: User) -> list[ApiClient]:
    """Every client, by agency then name (a handful per council: no paging needed)."""
    allow(viewer.has_role(Role.ADMIN) and not viewer.is_service)
    query = select(ApiClient).join(ApiClient.agency).order_by(Agency.name, ApiClient.name)
    return list(db.scalars(query))


def active_agencies(db: Session) -> list[Agency]:
    return list(db.scalars(select(Agency).where(Agency.active).order_by(Agency.name)))


def client_for_token(db: Session, token: str) -> ApiClient | None:
    """The live client this bearer token belongs to, else None (unknown, rotated, revoked)."""
    prefix = prefix_of(token)
    if prefix is None:
        return None
    client = db.scalar(select(ApiClient).where(ApiClient.token_prefix == prefix))
    if client is None or not matches(token, client.token_hash):
        return None
    if client.is_revoked or not client.service_user.active or not client.agency.active:
        return None
    return client


def local_strands(db: Session) -> list[Any]:
    """Every area's active local strands (id, name, area): the codes a sender may use."""
    rows = db.execute(
        select(LocalStrand.id, LocalStrand.name, Area.name.label("area"))
        .join(Area, Area.id == LocalStrand.area_id)
        .where(LocalStrand.active, Area.active)
        .order_by(Area.name, LocalStrand.name)
        .limit(500)
    )
    return list(rows)
