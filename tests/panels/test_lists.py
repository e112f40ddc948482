"""The panels list and a panel's meetings issue a constant number of SQL queries."""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy.orm import Session

from marac.panels.models import Meeting, Panel
from tests.factories import make_area
from tests.panels.helpers import World


def add_panels(db: Session, world: World, start: int, count: int) -> None:
    """Panels with areas, agencies, a chair and meetings, past and upcoming."""
    today = date.today()
    for n in range(start, start + count):
        panel = Panel(
            name=f"Bulk panel {n}",
            venue="Room 1",
            chair_id=world.coordinator.id,
            weekday=n % 5,
            start_time=time(10, 0),
        )
        panel.areas = [world.north, make_area(db, name=f"Bulk area {n}")]
        panel.agencies = [world.police, world.housing, world.charity][: 1 + n % 3]
        db.add(panel)
        db.flush()
        db.add_all(
            Meeting(
                panel_id=panel.id,
                meeting_date=today + timedelta(weeks=6 * k),
                start_time=time(10, 0),
                venue="Room 1",
            )
            for k in range(-2, 3)
        )
    db.commit()


def add_meetings(db: Session, world: World, start: int, count: int) -> None:
    today = date.today()
    statuses = ["scheduled", "cancelled", "held"]
    db.add_all(
        Meeting(
            panel_id=world.panel.id,
            meeting_date=today + timedelta(weeks=6 * (n - count // 2)),
            start_time=time(10, 0),
            venue="Room 1",
            status=statuses[n % 3],
            change_note="Moved from Monday 25 May 2026: Spring bank holiday" if n % 4 else "",
        )
        for n in range(start, start + count)
    )
    db.commit()


def test_panel_lists_issue_a_constant_number_of_queries(db: Session, login, count_queries) -> None:
    world = World(db)
    admin, coordinator = login(world.admin), login(world.coordinator)
    pages = {
        "/panels/ (admin)": (admin, "/panels/"),
        "/panels/ (coordinator)": (coordinator, "/panels/"),
        "panel page": (coordinator, f"/panels/{world.panel.id}"),
    }
    counts: dict[str, list[int]] = {name: [] for name in pages}
    added_panels = added_meetings = 0
    for panels, meetings in ((3, 3), (30, 60)):
        add_panels(db, world, added_panels, panels - added_panels)
        add_meetings(db, world, added_meetings, meetings - added_meetings)
        added_panels, added_meetings = panels, meetings
        for name, (client, url) in pages.items():
            with count_queries() as q:
                response = client.get(url)
            assert response.status_code == 200
            counts[name].append(q.count)
    html = coordinator.get("/panels/").get_data(as_text=True)
    assert "Bulk panel 29" in html
    for name, (small, large) in counts.items():
        assert small == large, (name, counts)


def test_the_calendar_feed_issues_a_constant_number_of_queries(
    db: Session, client, count_queries
) -> None:
    from marac.panels.models import CalendarFeed

    world = World(db)
    db.add(CalendarFeed(user_id=world.coordinator.id, token="f" * 43))
    db.commit()
    counts = []
    added_panels = added_meetings = 0
    for panels, meetings in ((2, 3), (20, 60)):
        add_panels(db, world, added_panels, panels - added_panels)
        add_meetings(db, world, added_meetings, meetings - added_meetings)
        added_panels, added_meetings = panels, meetings
        with count_queries() as q:
            response = client.get(f"/calendar/{'f' * 43}.ics")
        assert response.status_code == 200
        counts.append(q.count)
    assert response.data.count(b"BEGIN:VEVENT") > 60
    assert counts[0] == counts[1], counts
