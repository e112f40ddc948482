"""The person timeline: everything in date order, chart, counts per 12 months, access."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.audit.models import AuditEvent
from marac.db import utcnow
from marac.panels.models import MeetingStatus
from marac.repeats.timeline import RiskPoint, counts_per_year, risk_chart
from tests.factories import make_user
from tests.meeting_factories import make_action, make_agenda_item, make_meeting, make_panel
from tests.referrals.helpers import (
    World,
    link,
    make_endorsed,
    make_incident,
    make_person,
    make_referral,
)

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("days_ago", "period"),
    [(0, 0), (1, 0), (365, 0), (366, 1), (730, 1), (731, 2)],
)
def test_counts_per_12_months_boundaries(days_ago: int, period: int) -> None:
    periods = counts_per_year([TODAY - timedelta(days=days_ago)], [], TODAY)
    assert len(periods) == period + 1
    assert [p.incidents for p in periods] == [1 if n == period else 0 for n in range(period + 1)]
    assert periods[0].label == "Last 12 months"
    if period:
        assert periods[1].label == "12 to 24 months ago"


def test_risk_chart_places_levels_top_to_bottom() -> None:
    chart = risk_chart(
        [
            RiskPoint(date(2026, 1, 1), "low", "Risk assessment"),
            RiskPoint(date(2026, 7, 1), "high", "Panel"),
        ]
    )
    low, high = chart.points
    assert low.x < high.x and low.y > high.y
    assert chart.path.startswith("M") and " L" in chart.path
    assert risk_chart([]).points == []
    single = risk_chart([RiskPoint(TODAY, "medium", "Panel")])
    assert len(single.points) == 1


def _history(db: Session, world: World, size: int) -> None:
    """`size` incidents, assessments, referrals, hearings and actions for world.person."""
    panel = make_panel(db, [world.area], [world.police])
    for n in range(size):
        incident = make_incident(
            db, world.referrer, world.person, world.area, utcnow() - timedelta(days=30 * n + 5)
        )
        make_endorsed(db, world.referrer, incident, ["low", "medium", "high"][n % 3])
        referral = make_referral(
            db, world.person, world.area, referrer=world.referrer, risk_level="high"
        )
        link(db, referral, incident)
        meeting = make_meeting(
            db, panel, date.today() - timedelta(days=n + 1), status=MeetingStatus.HELD.value
        )
        make_agenda_item(db, meeting, referral, risk_level_after="medium")
        make_action(db, referral, world.police, meeting)


def test_the_timeline_lists_everything_in_date_order(db: Session, login) -> None:
    world = World(db)
    _history(db, world, 2)
    client = login(world.coordinator)
    response = client.get(f"/people/{world.person.id}/timeline")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for kind in ("Incident", "Risk assessment", "Referral", "Meeting", "Action"):
        assert f">{kind}<" in page, kind
    assert "heard at Test Community MARAC" in page and "<svg" in page
    assert "Risk levels as a table" in page and "Last 12 months" in page
    assert page.index("Threats") < page.index("Visit the victim")
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "person_timeline_viewed"))
    assert event is not None and event.object_id == str(world.person.id)
    assert "Timeline" in client.get(f"/people/{world.person.id}").get_data(as_text=True)


def test_the_timeline_is_refused_to_people_without_access(db: Session, login) -> None:
    world = World(db)
    _history(db, world, 1)
    url = f"/people/{world.person.id}/timeline"
    assert login(world.other_coordinator).get(url).status_code == 403
    assert login(make_user(db, Role.REFERRER)).get(url).status_code == 403
    assert login(make_user(db, Role.ADMIN)).get(url).status_code == 403
    assert login(world.referrer).get("/people/999999/timeline").status_code == 404
    assert login(world.referrer).get(url).status_code == 200


def test_the_timeline_shows_only_what_the_viewer_may_see(db: Session, login) -> None:
    world = World(db)
    mine = make_incident(db, world.referrer, world.person, world.area)
    stranger = make_user(db, Role.REFERRER)
    hidden = make_incident(db, stranger, world.person, world.other_area)
    page = login(world.referrer).get(f"/people/{world.person.id}/timeline").get_data(as_text=True)
    assert f"/incidents/{mine.id}" in page and f"/incidents/{hidden.id}" not in page


def test_the_timeline_takes_a_constant_number_of_queries(db: Session, login, count_queries) -> None:
    world = World(db)
    client = login(world.coordinator)
    counts = []
    for size in (1, 6):
        _history(db, world, size)
        with count_queries() as q:
            assert client.get(f"/people/{world.person.id}/timeline").status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[1], counts


def test_a_person_with_no_history(db: Session, login) -> None:
    world = World(db)
    lonely = make_person(db)
    lonely.created_by_id = world.referrer.id
    db.commit()
    page = login(world.referrer).get(f"/people/{lonely.id}/timeline").get_data(as_text=True)
    assert "There is nothing you can see" in page and "No endorsed risk level yet" in page
