"""An area's locally-defined hate strands: the admin's reads and writes, and a new area's
defaults (received from accounts' `area_created` signal, so accounts needs no incidents)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.accounts.models import Area, Role, User
from marac.accounts.signals import area_created
from marac.audit import record
from marac.incidents.models import LocalStrand
from marac.incidents.strands import DEFAULT_LOCAL_STRANDS
from marac.operations import Invalid, NotFound, allow, operation


def area_strands(db: Session, viewer: User, area_id: int) -> tuple[Area, list[LocalStrand]]:
    """The area and its local strands, active first then by name: admins only."""
    allow(viewer.has_role(Role.ADMIN))
    area = db.get(Area, area_id)
    if area is None:
        raise NotFound()
    strands = db.scalars(
        select(LocalStrand)
        .where(LocalStrand.area_id == area.id)
        .order_by(LocalStrand.active.desc(), LocalStrand.name)
    ).all()
    return area, list(strands)


def strand_in_area(db: Session, viewer: User, area_id: int, strand_id: int) -> LocalStrand:
    """A local strand, found only under its own area (404 otherwise): admins only."""
    allow(viewer.has_role(Role.ADMIN))
    strand = db.get(LocalStrand, strand_id)
    if strand is None or strand.area_id != area_id or db.get(Area, area_id) is None:
        raise NotFound()
    return strand


def _refuse_clash(db: Session, area: Area, name: str, strand_id: int | None) -> None:
    if not name.strip():
        raise Invalid({"name": "Enter the name of the local strand"})
    clash = db.scalar(
        select(LocalStrand.id).where(
            LocalStrand.area_id == area.id, func.lower(LocalStrand.name) == name.lower()
        )
    )
    if clash is not None and clash != strand_id:
        raise Invalid({"name": f"{area.name} already has a local strand called {name}"})


@operation
def add_local_strand(
    db: Session, actor: User, area_id: int, *, name: str, active: bool = True
) -> LocalStrand:
    """Add a strand to one area; names are unique within the area in any case."""
    area, _ = area_strands(db, actor, area_id)
    _refuse_clash(db, area, name, None)
    strand = LocalStrand(area_id=area.id, name=name, active=bool(active))
    db.add(strand)
    db.flush()
    record(
        db,
        "local_strand_added",
        "local_strand",
        strand.id,
        f"Added {name} to {area.name}",
        user=actor,
    )
    return strand


@operation
def change_local_strand(
    db: Session, actor: User, area_id: int, strand_id: int, *, name: str, active: bool
) -> LocalStrand:
    """Rename a strand, or retire it (incidents keep it; new ones cannot pick it)."""
    strand = strand_in_area(db, actor, area_id, strand_id)
    area = db.get(Area, area_id)
    assert area is not None  # strand_in_area found it
    _refuse_clash(db, area, name, strand.id)
    changed = [
        f for f, new in (("name", name), ("active", bool(active))) if getattr(strand, f) != new
    ]
    summary = f"Changed {', '.join(changed) or 'nothing'} of {strand.name} in {area.name}"
    if "name" in changed:
        summary += f" (now {name})"
    strand.name, strand.active = name, bool(active)
    record(db, "local_strand_updated", "local_strand", strand.id, summary, user=actor)
    return strand


@area_created.connect
def add_default_strands(area: Area, *, db: Session, **_: Any) -> list[LocalStrand]:
    """Every new area starts with the borough's usual local strands; admins adjust them."""
    strands = [LocalStrand(area_id=area.id, name=name) for name in DEFAULT_LOCAL_STRANDS]
    db.add_all(strands)
    return strands
