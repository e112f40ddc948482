"""Panel management: who may list, set up, change and deactivate panels; audit; conflicts."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.panels.models import Panel
from tests.meeting_factories import make_panel
from tests.panels.helpers import World, audit_actions


def panel_data(world: World, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "South Community MARAC",
        "areas": [str(world.south.id)],
        "cadence_weeks": "6",
        "weekday": "2",
        "start_time": "13:30",
        "venue": "Room 4, Southmoor Library",
        "slot_minutes": "12",
        "chair_id": str(world.south_coordinator.id),
        "agencies": [str(world.police.id), str(world.charity.id)],
        "version": "1",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("who", ["coordinator", "admin"])
def test_coordinators_and_admins_list_panels(db: Session, login, who: str) -> None:
    world = World(db)
    page = login(getattr(world, who)).get("/panels/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "North Community MARAC" in html
    assert "Every 6 weeks, Monday at 10am" in html
    assert "None scheduled" in html


def test_a_coordinator_lists_only_the_panels_of_their_areas(db: Session, login) -> None:
    world = World(db)
    html = login(world.south_coordinator).get("/panels/").get_data(as_text=True)
    assert "North Community MARAC" not in html


@pytest.mark.parametrize("who", ["member", "referrer"])
def test_others_may_not_manage_panels(db: Session, login, who: str) -> None:
    world = World(db)
    client = login(getattr(world, who))
    pid = world.panel.id
    for url in ("/panels/", "/panels/new", f"/panels/{pid}", f"/panels/{pid}/edit"):
        assert client.get(url).status_code == 403, url
    assert client.submit("/panels/new", panel_data(world)).status_code == 403
    assert client.submit(f"/panels/{pid}/deactivate", {"version": "1"}).status_code == 403
    assert db.scalar(select(Panel).where(Panel.name == "South Community MARAC")) is None


def test_a_coordinator_may_not_open_or_change_another_areas_panel(db: Session, login) -> None:
    world = World(db)
    client = login(world.south_coordinator)
    pid = world.panel.id
    assert client.get(f"/panels/{pid}").status_code == 403
    assert client.get(f"/panels/{pid}/edit").status_code == 403
    data = panel_data(world, name="Renamed", areas=[str(world.north.id)])
    assert client.submit(f"/panels/{pid}/edit", data).status_code == 403
    assert client.submit(f"/panels/{pid}/deactivate", {"version": "1"}).status_code == 403
    db.refresh(world.panel)
    assert world.panel.name == "North Community MARAC" and world.panel.active


def test_a_coordinator_sets_up_a_panel_for_their_area(db: Session, login) -> None:
    world = World(db)
    client = login(world.south_coordinator)
    form = client.get("/panels/new")
    assert form.status_code == 200
    assert world.north.name not in form.get_data(as_text=True)  # only their own areas
    response = client.submit("/panels/new", panel_data(world))
    assert response.status_code == 302
    panel = db.scalar(select(Panel).where(Panel.name == "South Community MARAC"))
    assert panel is not None
    assert [a.id for a in panel.areas] == [world.south.id]
    assert {a.id for a in panel.agencies} == {world.police.id, world.charity.id}
    assert (panel.weekday, panel.start_time.strftime("%H:%M"), panel.slot_minutes) == (
        2,
        "13:30",
        12,
    )
    assert panel.chair_id == world.south_coordinator.id
    assert "panel_created" in audit_actions(db)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "South Community MARAC set up" in page


def test_bad_input_names_the_fields_and_keeps_what_was_typed(db: Session, login) -> None:
    world = World(db)
    client = login(world.admin)
    data = panel_data(
        world,
        name="",
        areas=[],
        cadence_weeks="six",
        start_time="25:99",
        slot_minutes="30",
        venue="Kept venue text",
        agencies=[],
        chair_id="0",
    )
    response = client.submit("/panels/new", data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "govuk-error-summary" in html
    for message in (
        "Enter the panel&#39;s name",
        "Select at least one area the panel covers",
        "How often it meets must be a whole number of weeks, like 6",
        "Start time must be a real time in 24-hour format",
        "Minutes for each case must be between 12 and 15",
        "Select at least one member agency",
        "Select the chair",
    ):
        assert message in html, message
    assert "Kept venue text" in html
    assert db.scalar(select(Panel).where(Panel.venue == "Kept venue text")) is None


def test_an_area_has_one_active_panel_and_names_are_unique(db: Session, login) -> None:
    world = World(db)
    client = login(world.admin)
    data = panel_data(world, name="North Community MARAC", areas=[str(world.north.id)])
    html = client.submit("/panels/new", data).get_data(as_text=True)
    assert "A panel with this name already exists" in html
    assert f"{world.north.name} is already covered by North Community MARAC" in html


def test_a_coordinator_must_include_one_of_their_areas(db: Session, login) -> None:
    world = World(db)
    client = login(world.south_coordinator)
    # The north area is not offered to them, so picking it is refused either way.
    html = client.submit("/panels/new", panel_data(world, areas=[str(world.north.id)])).get_data(
        as_text=True
    )
    assert "govuk-error-summary" in html
    assert db.scalar(select(Panel).where(Panel.name == "South Community MARAC")) is None


def test_an_admin_edits_any_panel_and_it_is_audited(db: Session, login) -> None:
    world = World(db)
    client = login(world.admin)
    edit = client.get(f"/panels/{world.panel.id}/edit")
    assert edit.status_code == 200
    assert "North Community MARAC" in edit.get_data(as_text=True)
    data = panel_data(
        world,
        name="North and Central Community MARAC",
        areas=[str(world.north.id)],
        chair_id=str(world.coordinator.id),
        version=str(world.panel.version),
    )
    assert client.submit(f"/panels/{world.panel.id}/edit", data).status_code == 302
    db.refresh(world.panel)
    assert world.panel.name == "North and Central Community MARAC"
    assert world.panel.cadence_weeks == 6 and world.panel.weekday == 2
    assert "panel_updated" in audit_actions(db)


def test_a_stale_edit_is_refused_and_keeps_what_was_typed(db: Session, login) -> None:
    world = World(db)
    client = login(world.coordinator)
    stale = str(world.panel.version)
    world.panel.venue = "Changed by someone else"
    db.commit()
    data = panel_data(
        world,
        name="My new name",
        areas=[str(world.north.id)],
        chair_id=str(world.coordinator.id),
        version=stale,
    )
    response = client.submit(f"/panels/{world.panel.id}/edit", data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Someone else changed this panel while you were editing it" in html
    assert "My new name" in html
    db.refresh(world.panel)
    assert world.panel.name == "North Community MARAC"
    # Saving again with the version the page now carries goes through.
    data["version"] = str(world.panel.version)
    assert client.submit(f"/panels/{world.panel.id}/edit", data).status_code == 302
    db.refresh(world.panel)
    assert world.panel.name == "My new name"


def test_deactivate_and_reactivate(db: Session, login) -> None:
    world = World(db)
    client = login(world.coordinator)
    url = f"/panels/{world.panel.id}"
    assert client.submit(f"{url}/deactivate", {"version": "0"}).status_code == 302
    db.refresh(world.panel)
    assert world.panel.active  # a stale page changes nothing
    response = client.submit(f"{url}/deactivate", {"version": str(world.panel.version)})
    assert response.status_code == 302
    db.refresh(world.panel)
    assert not world.panel.active
    assert "Inactive" in client.get(url).get_data(as_text=True)
    # Another panel now covers the area: reactivating would leave it with two.
    make_panel(db, [world.north], [world.police], name="Replacement panel")
    client.submit(f"{url}/reactivate", {"version": str(world.panel.version)})
    db.refresh(world.panel)
    assert not world.panel.active
    assert audit_actions(db).count("panel_deactivated") == 1


def test_the_panel_page_lists_meetings_with_status(db: Session, login) -> None:
    from datetime import date, timedelta

    from tests.meeting_factories import make_meeting

    world = World(db)
    today = date.today()
    make_meeting(db, world.panel, today + timedelta(days=10))
    make_meeting(
        db, world.panel, today + timedelta(days=52), status="cancelled", change_note="Cancelled: x"
    )
    make_meeting(db, world.panel, today - timedelta(days=32), status="held")
    html = login(world.coordinator).get(f"/panels/{world.panel.id}").get_data(as_text=True)
    assert "Upcoming meetings" in html and "Past meetings" in html
    assert "Scheduled" in html and "Cancelled" in html and "Held" in html
    assert "Schedule meetings" in html
    # Admins see it but do not schedule.
    admin_html = login(world.admin).get(f"/panels/{world.panel.id}").get_data(as_text=True)
    assert "Upcoming meetings" in admin_html
    assert "Schedule meetings</a>" not in admin_html


@pytest.mark.parametrize("who", ["south_coordinator", "member", "referrer"])
def test_others_may_not_reactivate(db: Session, login, who: str) -> None:
    world = World(db)
    world.panel.active = False
    db.commit()
    client = login(getattr(world, who))
    url = f"/panels/{world.panel.id}/reactivate"
    assert client.submit(url, {"version": str(world.panel.version)}).status_code == 403
    db.refresh(world.panel)
    assert not world.panel.active
