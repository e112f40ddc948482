"""Every write the panel pages do: set panels up, schedule, move and cancel meetings.

Admins manage every panel and coordinators those covering their areas; only the
coordinators running a panel schedule, move and cancel its meetings. Each operation
checks that, changes the rows, records the audit row and commits once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, time

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from marac.accounts.models import Agency, Area, Role, User
from marac.audit import record
from marac.db import utcnow
from marac.formatting import clock, plural, uk_today
from marac.operations import Conflict, Invalid, allow, operation
from marac.panels import queries
from marac.panels.models import CalendarFeed, Meeting, MeetingStatus, Panel
from marac.panels.schedule import (
    MAX_MONTHS,
    WEEKDAYS,
    add_months,
    long_date,
    move_note,
    move_refusal,
    schedule_panel,
)

OBJECT = "panel"
MEETING = "meeting"
FEED = "calendar_feed"
PANEL_CONFLICT = "Someone else changed this panel while you were editing."
MEETING_CONFLICT = "Someone else changed this meeting while you were editing."
MEETING_STATUS_LABELS = {
    MeetingStatus.SCHEDULED.value: "Scheduled",
    MeetingStatus.CANCELLED.value: "Cancelled",
    MeetingStatus.HELD.value: "Held",
}


@dataclass(frozen=True)
class PanelSettings:
    """A panel's settings as plain values (from the form or the API)."""

    name: str
    area_ids: list[int] = field(default_factory=list)
    agency_ids: list[int] = field(default_factory=list)
    chair_id: int | None = None
    cadence_weeks: int = 6
    weekday: int = 0
    start_time: time = time(10, 0)
    venue: str = ""
    slot_minutes: int | None = 15


def _flush(db: Session, message: str) -> None:
    try:
        db.flush()
    except StaleDataError as exc:
        raise Conflict(message) from exc


def _check_panel(db: Session, actor: User, settings: PanelSettings, panel: Panel | None) -> None:
    """Rules beyond single fields: a unique name, the coordinator's own area, one panel
    per area (so an accepted referral waits for exactly one panel)."""
    errors: dict[str, list[str]] = {}
    own_id = panel.id if panel else -1
    if not settings.name.strip():
        errors.setdefault("name", []).append("Enter the panel's name")
    elif queries.name_taken(db, settings.name, own_id):
        errors.setdefault("name", []).append("A panel with this name already exists")
    chosen = set(settings.area_ids)
    if not chosen:
        errors.setdefault("areas", []).append("Select at least one area the panel covers")
    if not queries.is_admin(actor) and not chosen & {a.id for a in actor.areas}:
        errors.setdefault("areas", []).append(
            "Select at least one of your own areas: you can only manage panels for them"
        )
    if chosen and (panel is None or panel.active):
        for area_name, panel_name in queries.areas_covered(db, chosen, own_id):
            errors.setdefault("areas", []).append(f"{area_name} is already covered by {panel_name}")
    if settings.weekday not in range(5):
        errors.setdefault("weekday", []).append(
            "Select the day of the week the panel usually meets"
        )
    if settings.cadence_weeks < 1:
        errors.setdefault("cadence_weeks", []).append("Enter how often the panel meets, in weeks")
    if errors:
        raise Invalid(errors)


def _apply(db: Session, settings: PanelSettings, panel: Panel) -> list[str]:
    """Copy the settings onto the panel; return the names of what changed, for the audit."""
    changed = []
    for attr in ("name", "cadence_weeks", "weekday", "start_time", "venue", "slot_minutes"):
        value = getattr(settings, attr)
        if getattr(panel, attr) != value:
            setattr(panel, attr, value)
            changed.append(attr)
    if panel.chair_id != settings.chair_id:
        panel.chair_id = settings.chair_id
        changed.append("chair")
    areas = set(settings.area_ids)
    if {a.id for a in panel.areas} != areas:
        panel.areas = list(db.scalars(select(Area).where(Area.id.in_(areas))))
        changed.append("areas")
    agencies = set(settings.agency_ids)
    if {a.id for a in panel.agencies} != agencies:
        panel.agencies = list(db.scalars(select(Agency).where(Agency.id.in_(agencies))))
        changed.append("member agencies")
    return changed


def _describe(panel: Panel) -> str:
    return (
        f"{panel.name}: areas {', '.join(a.name for a in panel.areas)}; every "
        f"{panel.cadence_weeks} weeks on {WEEKDAYS[panel.weekday]} at "
        f"{clock(panel.start_time)}; "
        f"{plural(len(panel.agencies), 'member agency', 'member agencies')}"
    )


@operation
def create_panel(db: Session, actor: User, settings: PanelSettings) -> Panel:
    """Set up a panel: admins for any areas, coordinators for one of their own."""
    allow(actor.has_role(Role.ADMIN, Role.COORDINATOR))
    _check_panel(db, actor, settings, None)
    panel = Panel(active=True)
    panel.areas, panel.agencies = [], []
    db.add(panel)
    _apply(db, settings, panel)
    db.flush()
    record(db, "panel_created", OBJECT, panel.id, _describe(panel), user=actor)
    return panel


@operation
def edit_panel(
    db: Session, actor: User, panel_id: int, *, version: int, settings: PanelSettings
) -> list[str]:
    """Change a panel's settings; returns the names of what changed (none: nothing saved)."""
    panel = queries.managed_panel(db, actor, panel_id)
    _check_panel(db, actor, settings, panel)
    if version != panel.version:
        raise Conflict(PANEL_CONFLICT)
    changed = _apply(db, settings, panel)
    if not changed:
        return []
    record(
        db,
        "panel_updated",
        OBJECT,
        panel.id,
        f"Changed {', '.join(changed)}. {_describe(panel)}",
        user=actor,
    )
    _flush(db, PANEL_CONFLICT)
    return changed


@operation
def set_panel_active(
    db: Session, actor: User, panel_id: int, *, version: int, active: bool
) -> Panel:
    """Deactivate a panel (it gets no new meetings) or reactivate it if its areas are free."""
    panel = queries.managed_panel(db, actor, panel_id)
    if version != panel.version:
        raise Conflict(PANEL_CONFLICT)
    if active and queries.areas_covered(db, {a.id for a in panel.areas}, panel.id):
        raise Invalid(
            {
                "active": f"{panel.name} cannot be reactivated: another active panel "
                "now covers its areas."
            }
        )
    panel.active = active
    action = "panel_reactivated" if active else "panel_deactivated"
    record(db, action, OBJECT, panel.id, panel.name, user=actor)
    _flush(db, PANEL_CONFLICT)
    return panel


@operation
def schedule_meetings(
    db: Session, actor: User, panel_id: int, *, first: date, months: int
) -> list[Meeting]:
    """Add the panel's meetings for `months` from `first` at its cadence, moved off bank
    holidays and weekends; returns the new ones (none if it already meets then)."""
    panel = queries.run_panel(db, actor, panel_id)
    if not panel.active:
        raise Invalid({"panel": f"{panel.name} is not active: reactivate it before scheduling."})
    if first < uk_today():
        raise Invalid({"first_date": "The date to schedule from must be today or in the future"})
    if not 1 <= months <= MAX_MONTHS:
        raise Invalid({"months": f"Number of months must be between 1 and {MAX_MONTHS}"})
    until = add_months(first, months)
    added = schedule_panel(db, panel, first, until)
    record(
        db,
        "meetings_scheduled",
        OBJECT,
        panel.id,
        f"{panel.name}: {len(added)} meetings from {first.isoformat()} for "
        f"{months} months: " + ", ".join(m.meeting_date.isoformat() for m in added),
        user=actor,
    )
    return added


def _changeable_meeting(db: Session, actor: User, meeting_id: int) -> Meeting:
    meeting = queries.run_meeting(db, actor, meeting_id)
    if meeting.status != MeetingStatus.SCHEDULED.value:
        raise Invalid({"meeting": not_changeable_message(meeting)})
    return meeting


def not_changeable_message(meeting: Meeting) -> str:
    return (
        f"The meeting on {long_date(meeting.meeting_date)} is "
        f"{MEETING_STATUS_LABELS[meeting.status].lower()}: it can no longer be changed."
    )


@operation
def move_meeting(
    db: Session,
    actor: User,
    meeting_id: int,
    *,
    version: int,
    meeting_date: date,
    start_time: time,
    venue: str,
    reason: str,
) -> Meeting:
    """Move one meeting to another working day, time or venue, with a reason."""
    meeting = _changeable_meeting(db, actor, meeting_id)
    new_date, new_time, new_venue = meeting_date, start_time, venue
    problem = move_refusal(new_date, uk_today())
    if problem is None and (new_date, new_time, new_venue) == (
        meeting.meeting_date,
        meeting.start_time,
        meeting.venue,
    ):
        problem = "Change the date, the start time or the venue, or go back"
    if (
        problem is None
        and new_date != meeting.meeting_date
        and queries.meets_on(db, meeting, new_date)
    ):
        problem = f"{meeting.panel.name} already meets on {long_date(new_date)}"
    if problem is not None:
        raise Invalid({"meeting_date": problem})
    if not (reason or "").strip():
        raise Invalid({"reason": "Enter why the meeting is moving"})
    if version != meeting.version:
        raise Conflict(MEETING_CONFLICT)
    old_date = meeting.meeting_date
    if new_date != old_date:
        meeting.change_note = move_note(old_date, reason)
    else:
        meeting.change_note = f"Time or venue changed: {reason}"
    venue_changed = new_venue != meeting.venue
    record(
        db,
        "meeting_moved",
        MEETING,
        meeting.id,
        f"{meeting.panel.name}: from {old_date.isoformat()} {clock(meeting.start_time)} to "
        f"{new_date.isoformat()} {clock(new_time)}"
        + ("; venue changed" if venue_changed else "")
        + " (reason given)",
        user=actor,
    )
    meeting.meeting_date, meeting.start_time, meeting.venue = new_date, new_time, new_venue
    _flush(db, MEETING_CONFLICT)
    return meeting


@operation
def cancel_meeting(
    db: Session, actor: User, meeting_id: int, *, version: int, reason: str
) -> Meeting:
    """Cancel one scheduled meeting, with a reason."""
    meeting = _changeable_meeting(db, actor, meeting_id)
    if not (reason or "").strip():
        raise Invalid({"reason": "Enter why the meeting is cancelled"})
    if version != meeting.version:
        raise Conflict(MEETING_CONFLICT)
    meeting.status = MeetingStatus.CANCELLED.value
    meeting.change_note = f"Cancelled: {reason}"
    record(
        db,
        "meeting_cancelled",
        MEETING,
        meeting.id,
        f"{meeting.panel.name} on {meeting.meeting_date.isoformat()} (reason given)",
        user=actor,
    )
    _flush(db, MEETING_CONFLICT)
    return meeting


@operation
def issue_calendar_feed(db: Session, actor: User) -> bool:
    """Make the actor's secret calendar address, or a new one (the old stops working).

    Returns whether an earlier address was replaced.
    """
    allow(queries.has_panels(db, actor))
    feed = queries.calendar_feed(db, actor)
    regenerated = feed is not None
    if feed is None:
        feed = CalendarFeed(user_id=actor.id)
        db.add(feed)
    feed.token = secrets.token_urlsafe(32)
    feed.created_at = utcnow()
    action = "calendar_feed_regenerated" if regenerated else "calendar_feed_created"
    record(db, action, FEED, actor.id, "Calendar feed address issued", user=actor)
    return regenerated


@operation
def revoke_calendar_feed(db: Session, actor: User) -> bool:
    """Turn the actor's calendar address off; returns whether there was one."""
    feed = queries.calendar_feed(db, actor)
    if feed is None:
        return False
    db.delete(feed)
    record(db, "calendar_feed_revoked", FEED, actor.id, "Calendar feed revoked", user=actor)
    return True


@operation
def note_calendar_fetched(db: Session, user: User) -> None:
    record(db, "calendar_feed_fetched", FEED, user.id, "Calendar feed read", user=user)


@operation
def note_meeting_ics(db: Session, actor: User, meeting: Meeting) -> None:
    record(db, "meeting_ics_downloaded", MEETING, meeting.id, meeting.panel.name, user=actor)
