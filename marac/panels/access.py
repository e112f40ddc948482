"""Who sits on, and who runs, a panel. Plain rules plus their SQL twins.

A panel member is a user with the member role whose agency sits on the panel. A
coordinator runs the panels that cover one of the areas assigned to them. Admins set
panels up but see no case data. Everything that decides "may this user see this
meeting or case" builds on these.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, exists, false, or_, select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.panels.models import Meeting, MeetingStatus, Panel, panel_agency, panel_area


def sits_on_panel(user: Any, panel: Panel) -> bool:
    """A member whose agency is one of the panel's member agencies."""
    return bool(user.has_role(Role.MEMBER) and any(a.id == user.agency_id for a in panel.agencies))


def runs_panel(user: Any, panel: Panel) -> bool:
    """A coordinator assigned to one of the panel's areas."""
    if not user.has_role(Role.COORDINATOR):
        return False
    mine = {a.id for a in user.areas}
    return any(a.id in mine for a in panel.areas)


def can_see_panel(user: Any, panel: Panel) -> bool:
    return runs_panel(user, panel) or sits_on_panel(user, panel)


def visible_panels(user: Any) -> ColumnElement[bool]:
    """`can_see_panel` as a WHERE clause on Panel, for lists."""
    clauses: list[ColumnElement[bool]] = []
    if user.has_role(Role.COORDINATOR):
        area_ids = [a.id for a in user.areas]
        clauses.append(
            exists().where(panel_area.c.panel_id == Panel.id, panel_area.c.area_id.in_(area_ids))
        )
    if user.has_role(Role.MEMBER):
        clauses.append(
            exists().where(
                panel_agency.c.panel_id == Panel.id, panel_agency.c.agency_id == user.agency_id
            )
        )
    return or_(*clauses) if clauses else false()


def next_meeting(session: Session, panel_id: int, today: date) -> Meeting | None:
    """The panel's next scheduled meeting on or after `today`."""
    return session.scalar(
        select(Meeting)
        .where(
            Meeting.panel_id == panel_id,
            Meeting.status == MeetingStatus.SCHEDULED.value,
            Meeting.meeting_date >= today,
        )
        .order_by(Meeting.meeting_date, Meeting.id)
        .limit(1)
    )
