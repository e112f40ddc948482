"""Who may report on what: admins on every panel and the whole borough, coordinators on
the panels covering their areas and on their own areas together."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from marac.accounts.models import Area, Role
from marac.panels.models import Panel, panel_area
from marac.reports.queries import Scope, panel_areas

REPORTING_ROLES = (Role.COORDINATOR, Role.ADMIN)


def reportable_panels(session: Session, user: Any) -> list[Panel]:
    """The panels `user` may report on, by name."""
    query = select(Panel).order_by(Panel.name)
    if not user.has_role(Role.ADMIN):
        mine = [a.id for a in user.areas]
        query = query.where(
            exists().where(panel_area.c.panel_id == Panel.id, panel_area.c.area_id.in_(mine))
        )
    return list(session.scalars(query))


def borough(session: Session, user: Any) -> tuple[tuple[int, ...], str]:
    """The areas of a borough-wide report for `user`, and how the page names them."""
    if user.has_role(Role.ADMIN):
        ids = tuple(session.scalars(select(Area.id).order_by(Area.id)))
        return ids, "Whole borough"
    areas = sorted(user.areas, key=lambda a: a.name)
    return tuple(sorted(a.id for a in areas)), "Your areas: " + ", ".join(a.name for a in areas)


def scope_for(
    session: Session, user: Any, panel: Panel | None, start: date, end: date, today: date
) -> Scope:
    """The scope of a report on `panel` (or the borough when None) for `user`."""
    if panel is None:
        area_ids, label = borough(session, user)
    else:
        area_ids, label = panel_areas(session, panel.id), panel.name
    return Scope(start=start, end=end, area_ids=area_ids, area_label=label, today=today)
