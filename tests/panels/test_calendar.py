"""Calendar output: the subscription feed, single-meeting downloads, revoking a feed."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.panels.calendar import build_calendar
from marac.panels.models import CalendarFeed, Meeting
from tests.meeting_factories import make_meeting, make_panel
from tests.panels.helpers import World, audit_actions

LONDON = ZoneInfo("Europe/London")


def events(body: bytes) -> dict[str, dict]:
    """The VEVENTs of an iCalendar body, by UID, as plain values."""
    cal = Calendar.from_ical(body)
    found = {}
    for event in cal.walk("VEVENT"):
        found[str(event["UID"])] = {
            "summary": str(event["SUMMARY"]),
            "location": str(event.get("LOCATION", "")),
            "status": str(event["STATUS"]),
            "sequence": int(event["SEQUENCE"]),
            "start": event.decoded("DTSTART"),
            "end": event.decoded("DTEND"),
            "description": event.get("DESCRIPTION"),
        }
    return found


def test_build_calendar_is_parseable_and_holds_no_case_details(db: Session) -> None:
    world = World(db)
    summer = make_meeting(db, world.panel, date(2030, 7, 1), venue="Room 1, Civic Centre")
    winter = make_meeting(db, world.panel, date(2030, 12, 2), start_time=time(13, 30))
    winter.status = "cancelled"
    winter.change_note = "Cancelled: chair unwell"
    db.commit()
    body = build_calendar([summer, winter], "testshire", "Meetings", datetime.now(LONDON))
    found = events(body)
    first, second = found[f"meeting-{summer.id}@testshire"], found[f"meeting-{winter.id}@testshire"]
    assert first["summary"] == "North Community MARAC"
    assert first["location"] == "Room 1, Civic Centre"
    assert first["status"] == "CONFIRMED"
    # Local time in Europe/London, in summer (BST) and winter (GMT) alike.
    assert first["start"] == datetime(2030, 7, 1, 10, 0, tzinfo=LONDON)
    assert first["start"].utcoffset().total_seconds() == 3600
    assert second["start"].utcoffset().total_seconds() == 0
    assert first["end"] > first["start"]
    assert second["status"] == "CANCELLED"
    assert second["sequence"] == 1  # version 2 after the change
    assert first["description"] is None
    assert b"chair unwell" not in body
    assert b"BEGIN:VTIMEZONE" in body


def make_feed(db: Session, user, token: str = "t" * 43) -> CalendarFeed:
    feed = CalendarFeed(user_id=user.id, token=token)
    db.add(feed)
    db.commit()
    return feed


def test_the_feed_needs_no_sign_in_and_lists_the_users_panels(db: Session, login, client) -> None:
    world = World(db)
    south_panel = make_panel(db, [world.south], [world.charity], name="South Community MARAC")
    mine = make_meeting(db, world.panel, date(2030, 7, 1))
    make_meeting(db, south_panel, date(2030, 7, 2))
    old = make_meeting(db, world.panel, date(2000, 1, 3))
    feed = make_feed(db, world.member)
    response = client.get(f"/calendar/{feed.token}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "no-store" in response.headers["Cache-Control"]
    found = events(response.data)
    assert list(found) == [f"meeting-{mine.id}@testshire-district-council"]
    assert f"meeting-{old.id}@" not in response.get_data(as_text=True)
    assert "calendar_feed_fetched" in audit_actions(db)


def test_a_move_bumps_the_sequence_and_keeps_the_uid(db: Session, login, client) -> None:
    world = World(db)
    meeting = make_meeting(db, world.panel, date(2030, 5, 20))
    feed = make_feed(db, world.coordinator)
    before = events(client.get(f"/calendar/{feed.token}.ics").data)
    login(world.coordinator).submit(
        f"/panels/meetings/{meeting.id}/move",
        {
            "meeting_date": ["22", "5", "2030"],
            "start_time": "10:00",
            "venue": meeting.venue,
            "reason": "Room booked",
            "version": "1",
        },
    )
    after = events(client.get(f"/calendar/{feed.token}.ics").data)
    assert list(before) == list(after)
    uid = next(iter(after))
    assert after[uid]["sequence"] == before[uid]["sequence"] + 1
    assert after[uid]["start"].date() == date(2030, 5, 22)


@pytest.mark.parametrize("case", ["unknown", "revoked", "inactive_user"])
def test_unknown_revoked_or_inactive_feeds_are_404(db: Session, client, case: str) -> None:
    world = World(db)
    make_meeting(db, world.panel, date(2030, 7, 1))
    feed = make_feed(db, world.member)
    token = feed.token
    if case == "unknown":
        token = "x" * 43
    elif case == "revoked":
        db.delete(feed)
        db.commit()
    else:
        world.member.active = False
        db.commit()
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_a_member_makes_regenerates_and_revokes_their_feed(db: Session, login, client) -> None:
    world = World(db)
    make_meeting(db, world.panel, date(2030, 7, 1))
    member = login(world.member)
    page = member.get("/panels/calendar-feed")
    assert page.status_code == 200
    assert "Make my calendar address" in page.get_data(as_text=True)
    assert member.submit("/panels/calendar-feed").status_code == 302
    first = db.scalar(select(CalendarFeed.token).where(CalendarFeed.user_id == world.member.id))
    assert first and len(first) >= 40
    assert f"/calendar/{first}.ics" in member.get("/panels/calendar-feed").get_data(as_text=True)
    assert client.get(f"/calendar/{first}.ics").status_code == 200

    member.submit("/panels/calendar-feed")  # regenerate: the old address stops working
    db.expire_all()
    second = db.scalar(select(CalendarFeed.token).where(CalendarFeed.user_id == world.member.id))
    assert second != first
    assert client.get(f"/calendar/{first}.ics").status_code == 404
    assert client.get(f"/calendar/{second}.ics").status_code == 200

    assert member.submit("/panels/calendar-feed/revoke").status_code == 302
    assert client.get(f"/calendar/{second}.ics").status_code == 404
    db.expire_all()
    assert db.get(CalendarFeed, world.member.id) is None
    actions = audit_actions(db)
    for action in ("calendar_feed_created", "calendar_feed_regenerated", "calendar_feed_revoked"):
        assert action in actions


def test_feed_changes_need_csrf(db: Session, login) -> None:
    world = World(db)
    member = login(world.member)
    assert member.post("/panels/calendar-feed").status_code == 400
    assert db.get(CalendarFeed, world.member.id) is None


@pytest.mark.parametrize("who", ["admin", "referrer", "outside_member", "south_coordinator"])
def test_only_people_on_or_running_a_panel_have_a_feed(db: Session, login, who: str) -> None:
    world = World(db)
    user = getattr(world, who)
    client = login(user)
    assert client.get("/panels/calendar-feed").status_code == 403
    assert client.submit("/panels/calendar-feed").status_code == 403
    assert db.get(CalendarFeed, user.id) is None


def test_the_feed_page_needs_sign_in(client) -> None:
    response = client.get("/panels/calendar-feed")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("who", ["coordinator", "member"])
def test_one_meeting_downloads_as_ics(db: Session, login, who: str) -> None:
    world = World(db)
    meeting = make_meeting(db, world.panel, date(2030, 7, 1))
    response = login(getattr(world, who)).get(f"/meetings/{meeting.id}.ics")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    (event,) = events(response.data).values()
    assert event["summary"] == "North Community MARAC"
    assert "meeting_ics_downloaded" in audit_actions(db)


@pytest.mark.parametrize("who", ["admin", "referrer", "outside_member", "south_coordinator"])
def test_a_meeting_ics_is_refused_to_others(db: Session, login, who: str) -> None:
    world = World(db)
    meeting = make_meeting(db, world.panel, date(2030, 7, 1))
    assert login(getattr(world, who)).get(f"/meetings/{meeting.id}.ics").status_code == 403
    assert "meeting_ics_downloaded" not in audit_actions(db)


def test_meeting_ics_needs_sign_in_and_404s_when_unknown(db: Session, login, client) -> None:
    world = World(db)
    meeting = make_meeting(db, world.panel, date(2030, 7, 1))
    assert client.get(f"/meetings/{meeting.id}.ics").status_code == 302
    assert login(world.member).get("/meetings/9999.ics").status_code == 404
    assert db.scalar(select(Meeting.id)) == meeting.id


@pytest.mark.parametrize("who", ["admin", "referrer"])
def test_others_may_not_revoke_a_feed(db: Session, login, who: str) -> None:
    world = World(db)
    assert login(getattr(world, who)).submit("/panels/calendar-feed/revoke").status_code == 403
