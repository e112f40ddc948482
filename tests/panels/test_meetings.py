"""Scheduling a panel's meetings, and moving or cancelling one: rules, refusals, audit."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.panels.models import Meeting
from tests.meeting_factories import make_meeting
from tests.panels.helpers import World, audit_actions, date_fields

EASTER_MONDAY_2030 = date(2030, 4, 22)
SPRING_BANK_HOLIDAY_2030 = date(2030, 5, 27)


def meetings_of(db: Session, world: World) -> list[Meeting]:
    db.expire_all()
    return list(
        db.scalars(
            select(Meeting).where(Meeting.panel_id == world.panel.id).order_by(Meeting.meeting_date)
        )
    )


def test_a_coordinator_schedules_meetings_off_bank_holidays(db: Session, login) -> None:
    world = World(db)
    client = login(world.coordinator)
    url = f"/panels/{world.panel.id}/schedule"
    page = client.get(url)
    assert page.status_code == 200
    assert "Schedule meetings" in page.get_data(as_text=True)
    response = client.submit(url, {**date_fields("first_date", EASTER_MONDAY_2030), "months": "3"})
    assert response.status_code == 302
    meetings = meetings_of(db, world)
    assert [m.meeting_date for m in meetings] == [
        date(2030, 4, 23),
        date(2030, 6, 3),
        date(2030, 7, 15),
    ]
    assert meetings[0].change_note == "Moved from Monday 22 April 2030: Easter Monday"
    assert all(m.start_time == time(10, 0) and m.venue == world.panel.venue for m in meetings)
    assert "meetings_scheduled" in audit_actions(db)
    # Running it again, or over an overlapping period, never doubles a meeting.
    client.submit(url, {**date_fields("first_date", EASTER_MONDAY_2030), "months": "6"})
    dates = [m.meeting_date for m in meetings_of(db, world)]
    assert len(dates) == len(set(dates)) == 5
    assert dates[-2:] == [date(2030, 8, 27), date(2030, 10, 7)]  # off the Late Summer holiday


def test_the_first_date_moves_on_to_the_panels_weekday(db: Session, login) -> None:
    world = World(db)
    client = login(world.coordinator)
    thursday = date(2030, 4, 25)
    client.submit(
        f"/panels/{world.panel.id}/schedule",
        {**date_fields("first_date", thursday), "months": "1"},
    )
    assert [m.meeting_date for m in meetings_of(db, world)] == [date(2030, 4, 29)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"months": "12"}, "Enter the date to schedule from"),
        ({**date_fields("first_date", date(2030, 2, 1)), "months": "0"}, "between 1 and 24"),
        ({**date_fields("first_date", date(2030, 2, 1)), "months": "x"}, "whole number"),
        ({"first_date": ["31", "2", "2030"], "months": "12"}, "must be a real date"),
        (
            {**date_fields("first_date", date.today() - timedelta(days=7)), "months": "12"},
            "must be today or in the future",
        ),
    ],
)
def test_bad_schedule_input_is_explained(db: Session, login, data: dict, message: str) -> None:
    world = World(db)
    response = login(world.coordinator).submit(f"/panels/{world.panel.id}/schedule", data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "govuk-error-summary" in html and message in html
    assert meetings_of(db, world) == []


@pytest.mark.parametrize("who", ["south_coordinator", "admin", "member", "referrer"])
def test_only_the_panels_coordinators_schedule(db: Session, login, who: str) -> None:
    world = World(db)
    client = login(getattr(world, who))
    url = f"/panels/{world.panel.id}/schedule"
    assert client.get(url).status_code == 403
    data = {**date_fields("first_date", EASTER_MONDAY_2030), "months": "3"}
    assert client.submit(url, data).status_code == 403
    assert meetings_of(db, world) == []


def move_data(meeting: Meeting, day: date, **changes: str) -> dict:
    data = {
        **date_fields("meeting_date", day),
        "start_time": "14:00",
        "venue": "Council Chamber",
        "reason": "The chair is at court that morning",
        "version": str(meeting.version),
    }
    data.update(changes)
    return data


def test_a_coordinator_moves_a_meeting(db: Session, login) -> None:
    world = World(db)
    meeting = make_meeting(db, world.panel, date(2030, 5, 20))
    client = login(world.coordinator)
    url = f"/panels/meetings/{meeting.id}/move"
    assert client.get(url).status_code == 200
    response = client.submit(url, move_data(meeting, date(2030, 5, 22)))
    assert response.status_code == 302
    db.refresh(meeting)
    assert meeting.meeting_date == date(2030, 5, 22)
    assert meeting.start_time == time(14, 0) and meeting.venue == "Council Chamber"
    assert (
        meeting.change_note == "Moved from Monday 20 May 2030: The chair is at court that morning"
    )
    assert meeting.version == 2
    assert "meeting_moved" in audit_actions(db)


@pytest.mark.parametrize(
    ("day", "changes", "message"),
    [
        (
            SPRING_BANK_HOLIDAY_2030,
            {},
            "Monday 27 May 2030 is a bank holiday (Spring bank holiday)",
        ),
        (date.today() - timedelta(days=1), {}, "The new date must be today or in the future"),
        (date(2030, 5, 22), {"reason": ""}, "Enter why the meeting is moving"),
        (date(2030, 5, 22), {"start_time": "noon"}, "Start time must be a real time"),
        (
            date(2030, 5, 20),
            {"start_time": "10:00", "venue": "Committee Room 2, Civic Centre"},
            "Change the date, the start time or the venue",
        ),
    ],
)
def test_a_move_is_refused_with_a_clear_error(
    db: Session, login, day: date, changes: dict, message: str
) -> None:
    world = World(db)
    meeting = make_meeting(db, world.panel, date(2030, 5, 20))
    response = login(world.coordinator).submit(
        f"/panels/meetings/{meeting.id}/move", move_data(meeting, day, **changes)
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "govuk-error-summary" in html and message in html
    db.refresh(meeting)
    assert meeting.meeting_date == date(2030, 5, 20) and meeting.version == 1


def test_a_move_onto_another_meeting_of_the_panel_is_refused(db: Session, login) -> None:
    world = World(db)
    meeting = make_meeting(db, world.panel, date(2030, 5, 20))
    make_meeting(db, world.panel, date(2030, 7, 1))
    response = login(world.coordinator).submit(
        f"/panels/meetings/{meeting.id}/move", move_data(meeting, date(2030, 7, 1))
    )
    assert "North Community MARAC already meets on Monday 1 July 2030" in response.get_data(
        as_text=True
    )
    db.refresh(meeting)
    assert meeting.meeting_date == date(2030, 5, 20)


def test_a_stale_move_is_refused_and_keeps_what_was_typed(db: Session, login) -> None:
    world = World(db)
    meeting = make_meeting(db, world.panel, date(2030, 5, 20))
    data = move_data(meeting, date(2030, 5, 22), reason="My typed reason")
    meeting.venue = "Changed elsewhere"
    db.commit()
    response = login(world.coordinator).submit(f"/panels/meetings/{meeting.id}/move", data)
    html = response.get_data(as_text=True)
    assert "Someone else changed this meeting" in html
    assert "My typed reason" in html
    db.refresh(meeting)
    assert meeting.meeting_date == date(2030, 5, 20)


def test_a_coordinator_cancels_a_meeting(db: Session, login) -> None:
    world = World(db)
    meeting = make_meeting(db, world.panel, date(2030, 5, 20))
    client = login(world.coordinator)
    url = f"/panels/meetings/{meeting.id}/cancel"
    assert client.get(url).status_code == 200
    refused = client.submit(url, {"reason": "", "version": "1"})
    assert "Enter why the meeting is cancelled" in refused.get_data(as_text=True)
    response = client.submit(url, {"reason": "Too few cases this cycle", "version": "1"})
    assert response.status_code == 302
    db.refresh(meeting)
    assert meeting.status == "cancelled"
    assert meeting.change_note == "Cancelled: Too few cases this cycle"
    assert "meeting_cancelled" in audit_actions(db)
    # A cancelled meeting cannot be moved or cancelled again.
    assert client.get(f"/panels/meetings/{meeting.id}/move").status_code == 302
    again = client.submit(url, {"reason": "again", "version": str(meeting.version)})
    assert again.status_code == 302
    assert audit_actions(db).count("meeting_cancelled") == 1


def test_a_held_meeting_cannot_be_moved(db: Session, login) -> None:
    world = World(db)
    meeting = make_meeting(db, world.panel, date.today() - timedelta(days=3), status="held")
    client = login(world.coordinator)
    response = client.submit(
        f"/panels/meetings/{meeting.id}/move", move_data(meeting, date(2030, 5, 22))
    )
    assert response.status_code == 302
    db.refresh(meeting)
    assert meeting.status == "held" and meeting.meeting_date != date(2030, 5, 22)


@pytest.mark.parametrize("who", ["south_coordinator", "admin", "member", "referrer"])
def test_only_the_panels_coordinators_move_or_cancel(db: Session, login, who: str) -> None:
    world = World(db)
    meeting = make_meeting(db, world.panel, date(2030, 5, 20))
    client = login(getattr(world, who))
    for action in ("move", "cancel"):
        url = f"/panels/meetings/{meeting.id}/{action}"
        assert client.get(url).status_code == 403
        data = move_data(meeting, date(2030, 5, 22))
        assert client.submit(url, data).status_code == 403
    db.refresh(meeting)
    assert meeting.status == "scheduled" and meeting.version == 1
    assert "meeting_moved" not in audit_actions(db)


def test_unknown_meeting_is_404(db: Session, login) -> None:
    world = World(db)
    assert login(world.coordinator).get("/panels/meetings/999/move").status_code == 404
