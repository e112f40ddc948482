"""Where documents are listed: the case page, the person timeline and the meeting record,
each showing only those on records the viewer may see."""

from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import Session

from marac.incidents.titles import incident_title
from tests.actions.helpers import PanelWorld
from tests.attachments.helpers import PDF, upload
from tests.referrals.helpers import link


def test_case_page_timeline_and_meeting_record_list_the_documents_each_viewer_may_see(
    app: Flask, db: Session, login
) -> None:
    world = PanelWorld(db)
    link(db, world.referral, world.incident)
    action = world.action()
    coordinator = login(world.coordinator)
    for kind, record_id, name in (
        ("incident", world.incident.id, "graffiti photo.pdf"),
        ("referral", world.referral.id, "housing letter.pdf"),
        ("action", action.id, "visit notes.pdf"),
    ):
        assert upload(coordinator, kind, record_id, PDF, name).status_code == 302

    case = coordinator.get(f"/referrals/{world.referral.id}").get_data(as_text=True)
    for name in ("graffiti photo.pdf", "housing letter.pdf", "visit notes.pdf"):
        assert name in case
    assert incident_title(world.incident) in case and "The referral" in case
    assert f"Incident {world.incident.id}" not in case
    assert 'action="/attachments/referral/' in case  # the coordinator may add more

    timeline = coordinator.get(f"/people/{world.person.id}/timeline").get_data(as_text=True)
    assert f"graffiti photo.pdf (PDF, {len(PDF)} bytes) added to incident" in timeline
    assert "housing letter.pdf" in timeline and "visit notes.pdf" in timeline

    record_url = f"/meetings/{world.meeting.id}/record/{world.item.id}"
    record = coordinator.get(record_url).get_data(as_text=True)
    assert "Documents on the case" in record and "graffiti photo.pdf" in record

    member = login(world.housing_member)
    seen = member.get(record_url).get_data(as_text=True)
    assert "housing letter.pdf" in seen and "visit notes.pdf" in seen
    assert "graffiti photo.pdf" not in seen  # members do not open incidents
    listed = member.get(f"/referrals/{world.referral.id}").get_data(as_text=True)
    assert "housing letter.pdf" in listed and "graffiti photo.pdf" not in listed
    assert 'action="/attachments/referral/' not in listed  # members read, they do not add
