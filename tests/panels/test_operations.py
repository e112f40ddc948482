"""The panel operations called directly, as the API and jobs will call them (no HTTP)."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from marac.audit.models import AuditEvent
from marac.formatting import uk_today
from marac.operations import Conflict, Invalid, NotFound, Refused
from marac.panels import operations as ops
from marac.panels.models import CalendarFeed, Meeting, MeetingStatus, Panel
from marac.panels.schedule import bank_holiday, on_or_after_weekday
from tests.meeting_factories import make_meeting
from tests.panels.helpers import World, audit_actions


@pytest.fixture
def w(db: Session) -> World:
    return World(db)


def settings(w: World, **changes: object) -> ops.PanelSettings:
    values: dict[str, object] = {
        "name": "South Community MARAC",
        "area_ids": [w.south.id],
        "agency_ids": [w.police.id, w.charity.id],
        "chair_id": w.south_coordinator.id,
        "cadence_weeks": 4,
        "weekday": 2,
        "start_time": time(14, 0),
        "venue": "Civic Centre",
        "slot_minutes": 12,
    }
    values.update(changes)
    return ops.PanelSettings(**values)  # type: ignore[arg-type]


def summaries(db: Session, action: str) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent.summary).where(AuditEvent.action == action)))


def next_bank_holiday_weekday():
    day = uk_today() + timedelta(days=1)
    while not (bank_holiday(day) and day.weekday() < 5):
        day += timedelta(days=1)
    return day


def test_create_and_edit_a_panel(db: Session, w: World) -> None:
    panel = ops.create_panel(db, w.south_coordinator, settings(w))
    db.expire_all()
    panel = db.get(Panel, panel.id)
    assert panel is not None and panel.active
    assert {a.id for a in panel.agencies} == {w.police.id, w.charity.id}
    assert (panel.chair_id, panel.cadence_weeks, panel.weekday) == (w.south_coordinator.id, 4, 2)
    (summary,) = summaries(db, "panel_created")
    assert "South Community MARAC" in summary and "every 4 weeks" in summary
    changed = ops.edit_panel(
        db,
        w.south_coordinator,
        panel.id,
        version=panel.version,
        settings=settings(w, cadence_weeks=6, agency_ids=[w.police.id]),
    )
    assert changed == ["cadence_weeks", "member agencies"]
    db.expire_all()
    assert db.get(Panel, panel.id).cadence_weeks == 6  # type: ignore[union-attr]
    (summary,) = summaries(db, "panel_updated")
    assert summary.startswith("Changed cadence_weeks, member agencies.")
    # Saving the same settings changes nothing and records nothing.
    same = settings(w, cadence_weeks=6, agency_ids=[w.police.id])
    version = db.get(Panel, panel.id).version  # type: ignore[union-attr]
    assert ops.edit_panel(db, w.admin, panel.id, version=version, settings=same) == []
    assert len(summaries(db, "panel_updated")) == 1


def test_wrong_actors_are_refused(db: Session, w: World) -> None:
    for actor in (w.member, w.referrer):
        with pytest.raises(Refused):
            ops.create_panel(db, actor, settings(w))
    for actor in (w.member, w.referrer, w.south_coordinator):
        with pytest.raises(Refused):
            ops.edit_panel(db, actor, w.panel.id, version=w.panel.version, settings=settings(w))
        with pytest.raises(Refused):
            ops.set_panel_active(db, actor, w.panel.id, version=w.panel.version, active=False)
    meeting = make_meeting(db, w.panel, uk_today() + timedelta(days=14))
    for actor in (w.member, w.referrer, w.south_coordinator, w.admin):
        with pytest.raises(Refused):
            ops.schedule_meetings(db, actor, w.panel.id, first=uk_today(), months=3)
        with pytest.raises(Refused):
            ops.cancel_meeting(db, actor, meeting.id, version=meeting.version, reason="x")
        with pytest.raises(Refused):
            ops.move_meeting(
                db,
                actor,
                meeting.id,
                version=meeting.version,
                meeting_date=meeting.meeting_date + timedelta(days=1),
                start_time=meeting.start_time,
                venue=meeting.venue,
                reason="x",
            )
    with pytest.raises(Refused):  # the charity sits on no panel
        ops.issue_calendar_feed(db, w.outside_member)
    with pytest.raises(NotFound):
        ops.cancel_meeting(db, w.coordinator, meeting.id + 999, version=1, reason="x")
    db.expire_all()
    assert db.get(Meeting, meeting.id).status == MeetingStatus.SCHEDULED.value  # type: ignore[union-attr]
    assert db.scalar(select(Panel.id).where(Panel.name == "South Community MARAC")) is None
    assert db.scalar(select(CalendarFeed.user_id)) is None
    assert audit_actions(db) == []


def test_panel_rules_are_invalid(db: Session, w: World) -> None:
    with pytest.raises(Invalid) as raised:  # North is the coordinator's, but already covered
        ops.create_panel(
            db, w.coordinator, settings(w, name="North Community MARAC", area_ids=[w.north.id])
        )
    assert raised.value.errors["name"] == ["A panel with this name already exists"]
    assert any("already covered by" in e for e in raised.value.errors["areas"])
    with pytest.raises(Invalid) as raised:  # not one of the coordinator's areas
        ops.create_panel(db, w.coordinator, settings(w))
    assert "your own areas" in raised.value.errors["areas"][0]
    assert db.scalar(select(Panel.id).where(Panel.name == "South Community MARAC")) is None


def test_schedule_skips_bank_holidays(db: Session, w: World) -> None:
    w.panel.cadence_weeks = 1
    db.commit()
    first = on_or_after_weekday(uk_today() + timedelta(days=1), 0)
    added = ops.schedule_meetings(db, w.coordinator, w.panel.id, first=first, months=12)
    assert len(added) >= 50
    assert not any(bank_holiday(m.meeting_date) for m in added)
    assert any(m.change_note for m in added)  # a Monday bank holiday moved on
    (summary,) = summaries(db, "meetings_scheduled")
    assert summary.startswith(f"{w.panel.name}: {len(added)} meetings")
    with pytest.raises(Invalid) as raised:
        ops.schedule_meetings(
            db, w.coordinator, w.panel.id, first=uk_today() - timedelta(days=1), months=3
        )
    assert "first_date" in raised.value.errors
    w.panel.active = False
    db.commit()
    with pytest.raises(Invalid):
        ops.schedule_meetings(db, w.coordinator, w.panel.id, first=first, months=3)


def test_move_and_cancel(db: Session, w: World) -> None:
    meeting = make_meeting(db, w.panel, uk_today() + timedelta(days=14))
    holiday = next_bank_holiday_weekday()
    with pytest.raises(Invalid) as raised:
        ops.move_meeting(
            db,
            w.coordinator,
            meeting.id,
            version=meeting.version,
            meeting_date=holiday,
            start_time=meeting.start_time,
            venue=meeting.venue,
            reason="Room taken",
        )
    assert "bank holiday" in raised.value.errors["meeting_date"][0]
    new_date = meeting.meeting_date + timedelta(days=1)
    while bank_holiday(new_date) or new_date.weekday() >= 5:
        new_date += timedelta(days=1)
    moved = ops.move_meeting(
        db,
        w.coordinator,
        meeting.id,
        version=meeting.version,
        meeting_date=new_date,
        start_time=time(13, 30),
        venue=meeting.venue,
        reason="Room taken",
    )
    assert (moved.meeting_date, moved.start_time) == (new_date, time(13, 30))
    assert "Room taken" in moved.change_note
    (summary,) = summaries(db, "meeting_moved")
    assert "Room taken" not in summary and summary.endswith("(reason given)")
    db.expire_all()
    fresh = db.get(Meeting, meeting.id)
    assert fresh is not None
    with pytest.raises(Conflict):  # loaded before the move
        ops.cancel_meeting(db, w.coordinator, meeting.id, version=fresh.version - 1, reason="x")
    ops.cancel_meeting(db, w.coordinator, meeting.id, version=fresh.version, reason="Strike")
    db.expire_all()
    assert db.get(Meeting, meeting.id).status == MeetingStatus.CANCELLED.value  # type: ignore[union-attr]
    with pytest.raises(Invalid) as raised:
        ops.cancel_meeting(db, w.coordinator, meeting.id, version=fresh.version + 1, reason="x")
    assert "can no longer be changed" in raised.value.errors["meeting"][0]


def test_a_concurrent_panel_edit_is_a_conflict(db: Session, w: World, app) -> None:
    version = w.panel.version
    with app.extensions["marac_db"].engine.begin() as conn:  # another admin saves first
        conn.execute(update(Panel).where(Panel.id == w.panel.id).values(version=version + 1))
    with pytest.raises(Conflict):
        ops.set_panel_active(db, w.coordinator, w.panel.id, version=version, active=False)
    db.expire_all()
    assert db.get(Panel, w.panel.id).active  # type: ignore[union-attr]
    assert audit_actions(db) == []


def test_calendar_feed_issue_and_revoke(db: Session, w: World) -> None:
    assert ops.issue_calendar_feed(db, w.member) is False
    first = db.get(CalendarFeed, w.member.id).token  # type: ignore[union-attr]
    assert ops.issue_calendar_feed(db, w.member) is True
    db.expire_all()
    assert db.get(CalendarFeed, w.member.id).token != first  # type: ignore[union-attr]
    assert ops.revoke_calendar_feed(db, w.member) is True
    assert ops.revoke_calendar_feed(db, w.member) is False
    assert audit_actions(db) == [
        "calendar_feed_created",
        "calendar_feed_regenerated",
        "calendar_feed_revoked",
    ]
