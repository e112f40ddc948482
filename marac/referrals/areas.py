"""Which area (and so which panel) a postcode belongs to."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Area
from marac.people.models import postcode_district


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
