"""The case page made for the room, over HTTP (no script): several actions in one save,
"add another action", boxes only for agencies present, the case summary, agencies added
to one meeting."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.actions.models import Action
from marac.audit.models import AuditEvent
from marac.meetings.models import AgencyAttendance, AgendaItem, CaseInformation, MeetingAgency
from tests.actions.helpers import PanelWorld, action_data, record_data
from tests.referrals.helpers import link, make_endorsed, make_incident


def _url(w: PanelWorld) -> str:
    return f"/meetings/{w.meeting.id}/record/{w.item.id}"


def _second(w: PanelWorld, **changes: Any) -> dict[str, Any]:
    """A second action, for the police, as typed in fieldset 2."""
    first = action_data(w, **{"record-actions-0-agency_id": str(w.police.id)})
    data = {k.replace("actions-0-", "actions-1-"): v for k, v in first.items()}
    data["record-actions-1-description"] = "Patrols past the address twice a night"
    data["record-actions-1-officer_id"] = "0"
    data.update(changes)
    return data


def test_add_another_action_re_renders_with_one_more_fieldset_and_saves_nothing(
    db: Session, login
) -> None:
    w = PanelWorld(db)
    client = login(w.coordinator)
    data = record_data(w, w.item) | action_data(w) | {"record-add_action": "Add another action"}
    del data["record-save"]
    response = client.submit(_url(w), data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="record-actions-1-description"' in html
    assert 'name="record-actions-2-description"' not in html
    assert "Tenancy warning to the neighbour" in html  # what was typed is kept
    assert "govuk-error-summary" not in html
    # The closing fields sit in the decision's conditional reveal, in the markup (shown
    # when script is off: only GOV.UK Frontend's script hides them).
    assert "govuk-radios__conditional" in html and 'name="record-closure_reason"' in html
    assert db.scalar(select(Action)) is None
    db.expire_all()
    assert db.get(AgendaItem, w.item.id).decision is None  # type: ignore[union-attr]


def test_add_another_stops_at_ten(db: Session, login) -> None:
    w = PanelWorld(db)
    client = login(w.coordinator)
    data = record_data(w, w.item) | {"record-add_action": "Add another action"}
    del data["record-save"]
    data.update({f"record-actions-{n}-description": "" for n in range(10)})
    html = client.submit(_url(w), data).get_data(as_text=True)
    assert 'name="record-actions-9-description"' in html
    assert 'name="record-actions-10-description"' not in html
    assert "Add another action" not in html and "Save these, then add more." in html


def test_two_actions_in_one_save_all_or_nothing(db: Session, login) -> None:
    w = PanelWorld(db)
    client = login(w.coordinator)
    base = record_data(w, w.item) | action_data(w)
    # The second action is missing its kind: nothing at all is saved, the error is on it.
    html = client.submit(_url(w), base | _second(w, **{"record-actions-1-kind": ""})).get_data(
        as_text=True
    )
    assert "Select the kind of action" in html
    assert 'id="record-actions-1-kind-error"' in html
    assert 'id="record-actions-0-kind-error"' not in html
    assert db.scalar(select(Action)) is None
    db.expire_all()
    assert db.get(AgendaItem, w.item.id).decision is None  # type: ignore[union-attr]
    # Both valid: one save, two actions through add_action, one record audit naming both.
    response = client.submit(_url(w), base | _second(w))
    assert response.status_code == 302
    actions = list(db.scalars(select(Action).order_by(Action.id)))
    assert [(a.agency_id, a.agenda_item_id) for a in actions] == [
        (w.housing.id, w.item.id),
        (w.police.id, w.item.id),
    ]
    (audit,) = db.scalars(select(AuditEvent).where(AuditEvent.action == "meeting_case_recorded"))
    assert "2 actions agreed" in audit.summary
    added = db.scalars(select(AuditEvent).where(AuditEvent.action == "action_added")).all()
    assert len(added) == 2
    assert "saved with 2 new actions" in client.get(_url(w)).get_data(as_text=True)


def test_information_boxes_only_for_agencies_present(db: Session, login) -> None:
    w = PanelWorld(db)
    db.get(AgencyAttendance, (w.meeting.id, w.housing.id)).status = "apologies"  # type: ignore[union-attr]
    db.commit()
    client = login(w.coordinator)
    html = client.get(_url(w)).get_data(as_text=True)
    assert f"Information shared by {w.police.name}" in html
    assert f"Information shared by {w.housing.name}" not in html
    # Typed anyway (a page from before attendance changed): only present agencies' boxes
    # are read, so the housing text is not stored.
    assert client.submit(_url(w), record_data(w, w.item)).status_code == 302
    db.expire_all()
    stored = {i.agency_id for i in db.scalars(select(CaseInformation))}
    assert stored == {w.police.id}
    # Nobody marked present: no boxes, and the way to attendance.
    for row in db.scalars(select(AgencyAttendance)):
        row.status = "not_expected"
    db.commit()
    html = client.get(_url(w)).get_data(as_text=True)
    # The police shared before, so its box stays (with its text); housing never gets one.
    assert f"Information shared by {w.police.name}" in html
    assert f"Information shared by {w.housing.name}" not in html
    w2 = PanelWorld(db)
    for row in db.scalars(
        select(AgencyAttendance).where(AgencyAttendance.meeting_id == w2.meeting.id)
    ):
        row.status = "not_expected"
    db.commit()
    html = login(w2.coordinator).get(_url(w2)).get_data(as_text=True)
    assert "Information shared by" not in html
    assert "No agency is marked present" in html


def test_the_summary_shows_reasons_incidents_and_the_assessment(db: Session, login) -> None:
    w = PanelWorld(db)
    incident = make_incident(db, w.referrer, w.person, w.area)
    assessment = make_endorsed(db, w.referrer, incident, level="high")
    assessment.endorsed_by_id = w.housing_manager.id
    w.referral.assessment_id = assessment.id
    w.referral.reasons = "Targeted at home for a year."
    db.commit()
    link(db, w.referral, incident)
    html = login(w.coordinator).get(_url(w)).get_data(as_text=True)
    assert "Targeted at home for a year." in html
    assert "Outside the shop on Mill Road" in html and "Threats" in html
    assert "score 0" in html and f"Endorsed by {w.housing_manager.name}" in html


def test_attendance_page_adds_an_agency_to_this_meeting(db: Session, login) -> None:
    w = PanelWorld(db)
    client = login(w.coordinator)
    url = f"/meetings/{w.meeting.id}/attendance/agencies"
    html = client.submit(url, {"add-agency-agency_id": "0"}).get_data(as_text=True)
    assert "Select the agency to add to this meeting" in html and "govuk-error-summary" in html
    assert db.scalar(select(MeetingAgency)) is None
    assert (
        client.submit(url, {"add-agency-agency_id": str(w.outsider_agency.id)}).status_code == 302
    )
    html = client.get(f"/meetings/{w.meeting.id}/attendance").get_data(as_text=True)
    assert f'name="attendance-agency_{w.outsider_agency.id}"' in html
    assert "Added to this meeting" in html
    # A member may not.
    member = login(w.housing_member)
    response = member.submit(url, {"add-agency-agency_id": str(w.outsider_agency.id)})
    assert response.status_code == 403
