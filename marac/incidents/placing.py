"""Which area (and so which panel) an incident belongs to, and its local strands.

The postcode-to-area rule lives here, below referrals (which reuse it through
`marac.referrals.areas`), because an incident is placed before any referral exists.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.accounts.models import Area
from marac.incidents.models import LocalStrand
from marac.incidents.strands import local_code
from marac.people.models import postcode_district

__all__ = ["area_for_postcode", "local_strand_choices", "resolve_local_strands"]


def area_for_postcode(session: Session, postcode: str | None) -> Area | None:
    """The active area whose postcode districts include this postcode's district.

    One query: the LIKE narrows the candidates, then the exact district list decides
    (so "AK1" never matches an area that only covers "AK10"). When two areas claim the
    same district, the older area wins, so the answer is stable.
    """
    district = postcode_district(postcode)
    if not district:
        return None
    candidates = session.scalars(
        select(Area)
        .where(Area.active, Area.postcode_districts.ilike(f"%{district}%"))
        .order_by(Area.id)
    ).all()
    return next((area for area in candidates if district in area.district_list), None)


def local_strand_choices(session: Session) -> list[tuple[str, str]]:
    """Distinct names of the active local strands of active areas, for the form.

    The area is only known once the postcode is in, so the form offers every name
    and `resolve_local_strands` maps the ticked names to the incident's area.
    """
    rows = session.scalars(
        select(LocalStrand.name)
        .join(Area, Area.id == LocalStrand.area_id)
        .where(LocalStrand.active, Area.active)
        .order_by(func.lower(LocalStrand.name))
    ).all()
    seen: dict[str, str] = {}
    for name in rows:
        seen.setdefault(name.strip().lower(), name.strip())
    return [(name, name) for name in seen.values()]


def resolve_local_strands(
    session: Session, area: Area | None, names: Iterable[str]
) -> tuple[list[str], str | None]:
    """Ticked local strand names -> `local:<id>` codes of `area`, or an error message."""
    wanted = [n for n in names if n]
    if not wanted:
        return [], None
    if area is None:
        return [], (
            "Local strands belong to an area, and the postcode is not in any of the "
            "borough's areas: untick the local strands or check the postcode"
        )
    strands = session.scalars(
        select(LocalStrand).where(LocalStrand.area_id == area.id, LocalStrand.active)
    ).all()
    by_name = {s.name.strip().lower(): s for s in strands}
    codes = []
    for name in wanted:
        strand = by_name.get(name.strip().lower())
        if strand is None:
            available = ", ".join(sorted(s.name for s in strands)) or "none"
            return [], (
                f"{name} is not a local strand in {area.name} (it has: {available}). "
                "Untick it or check the postcode"
            )
        codes.append(local_code(strand.id))
    return codes, None
