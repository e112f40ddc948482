"""Reads the panel pages share with the API and jobs: bounded, and checked for the viewer.

Admins see every panel; a coordinator those covering their areas; a member those their
agency sits on. Each function raises `NotFound` or `Refused` itself.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.orm import Session

from marac.accounts.models import Agency, Area, Role, User
from marac.operations import NotFound, allow
from marac.panels.access import can_see_panel, runs_panel, visible_panels
from marac.panels.models import CalendarFeed, Meeting, MeetingStatus, Panel
from marac.panels.schedule import continue_after, on_or_after_weekday

FEED_HISTORY = timedelta(days=366)  # how far back a subscription reaches


def is_admin(user: Any) -> bool:
    return bool(user.has_role(Role.ADMIN))


def may_manage(user: Any, panel: Panel) -> bool:
    """Admins manage any panel; coordinators those covering one of their areas."""
    return is_admin(user) or runs_panel(user, panel)


def _managed_scope(viewer: Any) -> ColumnElement[bool]:
    return true() if is_admin(viewer) else visible_panels(viewer)


def managed_panels(db: Session, viewer: Any, today: date) -> tuple[list[Panel], dict[int, date]]:
    """The panels the viewer manages, and each one's next scheduled meeting (two queries)."""
    panels = list(
        db.scalars(
            select(Panel).where(_managed_scope(viewer)).order_by(Panel.active.desc(), Panel.name)
        )
    )
    next_dates: dict[int, date] = {}
    if panels:
        next_dates = dict(
            db.execute(
                select(Meeting.panel_id, func.min(Meeting.meeting_date))
                .where(
                    Meeting.panel_id.in_([p.id for p in panels]),
                    Meeting.status == MeetingStatus.SCHEDULED.value,
                    Meeting.meeting_date >= today,
                )
                .group_by(Meeting.panel_id)
            ).all()
        )
    return panels, next_dates


def panel(db: Session, panel_id: int) -> Panel:
    found = db.get(Panel, panel_id)
    if found is None:
        raise NotFound()
    return found


def managed_panel(db: Session, viewer: Any, panel_id: int) -> Panel:
    """A panel the viewer may change (`Refused` otherwise)."""
    found = panel(db, panel_id)
    allow(may_manage(viewer, found))
    return found


def run_panel(db: Session, viewer: Any, panel_id: int) -> Panel:
    """A panel the viewer runs as its coordinator: they schedule its meetings."""
    found = panel(db, panel_id)
    allow(runs_panel(viewer, found))
    return found


def panel_meetings(db: Session, panel: Panel) -> list[Meeting]:
    """Every meeting of the panel by date (one query)."""
    return list(
        db.scalars(
            select(Meeting)
            .where(Meeting.panel_id == panel.id)
            .order_by(Meeting.meeting_date, Meeting.start_time, Meeting.id)
        )
    )


def panel_choices(
    db: Session, viewer: Any, panel: Panel | None
) -> tuple[list[Area], list[User], list[Agency]]:
    """Areas the viewer may give a panel, active coordinators and active agencies.

    What the panel already has stays listed even when inactive, so it can be removed.
    """
    held_areas = {a.id for a in panel.areas} if panel else set()
    held_agencies = {a.id for a in panel.agencies} if panel else set()
    if is_admin(viewer):
        area_filter = or_(Area.active, Area.id.in_(held_areas))
    else:
        mine = {a.id for a in viewer.areas}
        area_filter = Area.id.in_(mine | held_areas)
    areas = list(db.scalars(select(Area).where(area_filter).order_by(Area.name)))
    chair_filter = User.role == Role.COORDINATOR.value
    chair_filter = chair_filter & (User.active | (User.id == (panel.chair_id if panel else -1)))
    chairs = list(db.scalars(select(User).where(chair_filter).order_by(User.name)))
    agencies = list(
        db.scalars(
            select(Agency)
            .where(or_(Agency.active, Agency.id.in_(held_agencies)))
            .order_by(Agency.name)
        )
    )
    return areas, chairs, agencies


def name_taken(db: Session, name: str, panel_id: int) -> bool:
    clash = db.scalar(select(Panel.id).where(Panel.name == name, Panel.id != panel_id))
    return clash is not None


def areas_covered(db: Session, area_ids: set[int], panel_id: int) -> list[tuple[str, str]]:
    """(area name, panel name) for each of the areas another active panel covers."""
    if not area_ids:
        return []
    rows = db.execute(
        select(Area.name, Panel.name)
        .join(Panel.areas)
        .where(Area.id.in_(area_ids), Panel.active, Panel.id != panel_id)
        .order_by(Area.name)
    ).all()
    return [(area_name, panel_name) for area_name, panel_name in rows]


def default_first_date(db: Session, panel: Panel, today: date) -> date:
    """After the last meeting at the panel's cadence, or the usual weekday from today."""
    last = db.scalar(select(func.max(Meeting.meeting_date)).where(Meeting.panel_id == panel.id))
    if last is not None:
        following = continue_after(last, panel.weekday, panel.cadence_weeks)
        if following >= today:
            return following
    return on_or_after_weekday(today, panel.weekday)


def meeting(db: Session, meeting_id: int) -> Meeting:
    found = db.get(Meeting, meeting_id)
    if found is None:
        raise NotFound()
    return found


def run_meeting(db: Session, viewer: Any, meeting_id: int) -> Meeting:
    """A meeting of a panel the viewer runs as its coordinator."""
    found = meeting(db, meeting_id)
    allow(runs_panel(viewer, found.panel))
    return found


def seen_meeting(db: Session, viewer: Any, meeting_id: int) -> Meeting:
    """A meeting of a panel the viewer sits on or runs (its date and place, no cases)."""
    found = meeting(db, meeting_id)
    allow(can_see_panel(viewer, found.panel))
    return found


def meets_on(db: Session, meeting: Meeting, day: date) -> bool:
    """Whether the meeting's panel has another, not cancelled, meeting on `day`."""
    other = db.scalar(
        select(Meeting.id)
        .where(
            Meeting.panel_id == meeting.panel_id,
            Meeting.meeting_date == day,
            Meeting.id != meeting.id,
            Meeting.status != MeetingStatus.CANCELLED.value,
        )
        .limit(1)
    )
    return other is not None


def has_panels(db: Session, viewer: Any) -> bool:
    return db.scalar(select(Panel.id).where(visible_panels(viewer)).limit(1)) is not None


def calendar_feed(db: Session, viewer: Any) -> CalendarFeed | None:
    """The viewer's own calendar subscription, if they made one."""
    return db.get(CalendarFeed, viewer.id)


def feed_owner(db: Session, token: str) -> User:
    """The active user whose secret feed address this is (`NotFound` otherwise)."""
    feed = db.scalar(select(CalendarFeed).where(CalendarFeed.token == token))
    if feed is None or not secrets.compare_digest(feed.token, token):
        raise NotFound()
    user = db.get(User, feed.user_id)
    if user is None or not user.active:
        raise NotFound()
    return user


def feed_meetings(db: Session, user: Any, today: date) -> list[Meeting]:
    """The meetings of the user's panels from a year back (one query)."""
    return list(
        db.scalars(
            select(Meeting)
            .join(Panel, Panel.id == Meeting.panel_id)
            .where(visible_panels(user), Meeting.meeting_date >= today - FEED_HISTORY)
            .order_by(Meeting.meeting_date, Meeting.id)
        )
    )
