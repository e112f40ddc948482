"""The meeting record: attendance, acknowledgements, each case's record and decision."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.actions.models import Action, ActionUpdate
from marac.audit.models import AuditEvent
from marac.formatting import uk_today
from marac.meetings.models import AgencyAttendance, Attendee, CaseInformation, CaseResearch
from marac.panels.models import AgendaStatus
from marac.referrals.models import Referral
from tests.actions.helpers import PanelWorld, action_data, record_data


def _url(w: PanelWorld, item_id: int | None = None) -> str:
    return f"/meetings/{w.meeting.id}/record/{item_id or w.item.id}"


# ---- attendance -------------------------------------------------------------------------


def test_attendance_per_agency_and_attendees(db: Session, login) -> None:
    w = PanelWorld(db)
    client = login(w.coordinator)
    url = f"/meetings/{w.meeting.id}/attendance"
    html = client.get(url).get_data(as_text=True)
    assert w.police.name in html and w.housing.name in html
    response = client.submit(
        url,
        {
            f"attendance-agency_{w.police.id}": "apologies",
            f"attendance-agency_{w.housing.id}": "absent",
        },
    )
    assert response.status_code == 302
    statuses = {
        a.agency_id: a.status
        for a in db.scalars(
            select(AgencyAttendance).where(AgencyAttendance.meeting_id == w.meeting.id)
        )
    }
    assert statuses == {w.police.id: "apologies", w.housing.id: "absent"}

    add = f"{url}/attendees"
    # Several attendees for one agency, one with the acknowledgement ticked.
    for name, ack in (("Helen Marsh", "y"), ("Amir Khan", None)):
        data = {
            "attendee-name": name,
            "attendee-job_title": "Housing officer",
            "attendee-agency_id": str(w.housing.id),
        }
        if ack:
            data["attendee-acknowledged"] = ack
        assert client.submit(add, data).status_code == 302
    people = {a.name: a for a in db.scalars(select(Attendee))}
    assert people["Helen Marsh"].confidentiality_acknowledged
    assert people["Helen Marsh"].acknowledged_at is not None
    assert not people["Amir Khan"].confidentiality_acknowledged
    db.expire_all()
    assert db.get(AgencyAttendance, (w.meeting.id, w.housing.id)).status == "present"  # type: ignore[union-attr]

    # Acknowledge later, then remove one.
    amir = people["Amir Khan"]
    assert client.submit(f"{url}/attendees/{amir.id}/acknowledge").status_code == 302
    db.expire_all()
    assert db.get(Attendee, amir.id).acknowledged_at is not None  # type: ignore[union-attr]
    assert client.submit(f"{url}/attendees/{amir.id}/remove").status_code == 302
    assert db.scalar(select(Attendee.id).where(Attendee.id == amir.id)) is None
    html = client.get(url).get_data(as_text=True)
    assert 'Remove<span class="govuk-visually-hidden"> Helen Marsh' in html
    assert 'Remove<span class="govuk-visually-hidden"> Amir Khan' not in html
    assert "Acknowledged" in html

    # Errors: name missing, agency not on the panel; nothing saved.
    response = client.submit(add, {"attendee-agency_id": str(w.outsider_agency.id)})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "govuk-error-summary" in html
    assert "Enter the attendee&#39;s name" in html or "Enter the attendee's name" in html
    assert len(list(db.scalars(select(Attendee)))) == 1
    actions = set(db.scalars(select(AuditEvent.action)))
    assert {"meeting_attendance_saved", "meeting_attendee_added", "meeting_attendee_removed"} <= (
        actions
    )


def test_attendance_refusals(db: Session, login) -> None:
    w = PanelWorld(db)
    url = f"/meetings/{w.meeting.id}/attendance"
    assert login(w.other_coordinator).get(url).status_code == 403
    assert login(w.housing_member).get(url).status_code == 403
    response = login(w.housing_member).submit(
        f"{url}/attendees", {"attendee-name": "X", "attendee-agency_id": str(w.housing.id)}
    )
    assert response.status_code == 403
    assert db.scalar(select(Attendee)) is None


# ---- the case record --------------------------------------------------------------------


def test_record_page_shows_summary_and_research(db: Session, login) -> None:
    w = PanelWorld(db)
    db.add(
        CaseResearch(
            meeting_id=w.meeting.id,
            referral_id=w.referral.id,
            agency_id=w.housing.id,
            involvement="Tenant since 2019",
        )
    )
    db.commit()
    html = login(w.coordinator).get(_url(w)).get_data(as_text=True)
    assert w.referral.reference in html and w.person.full_name in html
    assert "Tenant since 2019" in html
    assert "Save and go to the next case" in html
    assert f"Information shared by {w.police.name}" in html
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "meeting_case_record_viewed"))


def test_review_decision_sets_review_meeting_and_heard(db: Session, login) -> None:
    w = PanelWorld(db)
    client = login(w.coordinator)
    # The next meeting is chosen by default.
    assert f'<option selected value="{w.later.id}">' in client.get(_url(w)).get_data(
        as_text=True
    ) or f'value="{w.later.id}" selected' in client.get(_url(w)).get_data(as_text=True)
    response = client.submit(
        _url(w), record_data(w, w.item, **{"record-review_meeting_id": str(w.last.id)})
    )
    assert response.status_code == 302
    db.expire_all()
    item, referral = db.merge(w.item), db.get(Referral, w.referral.id)
    assert item.decision == "review" and item.review_meeting_id == w.last.id
    assert item.risk_level_after == "medium" and item.discussed_at is not None
    assert item.risks_identified == "Targeting at home continues."
    assert referral is not None and referral.status == "heard"
    infos = {
        i.agency_id: i.information
        for i in db.scalars(
            select(CaseInformation).where(CaseInformation.agenda_item_id == item.id)
        )
    }
    assert infos == {
        w.police.id: "Two calls this month.",
        w.housing.id: "Neighbour complaints logged.",
    }
    # Review needs a later meeting of the panel: the earlier one is not a choice.
    response = client.submit(
        _url(w),
        record_data(
            w,
            item,
            **{"record-review_meeting_id": str(w.earlier.id), "record-version": str(item.version)},
        ),
    )
    assert response.status_code == 200 and "govuk-error-summary" in response.get_data(as_text=True)


def test_close_decision_closes_the_referral_with_outcome(db: Session, login) -> None:
    w = PanelWorld(db)
    client = login(w.coordinator)
    data = record_data(w, w.item, **{"record-decision": "close"})
    response = client.submit(_url(w), data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Enter why the case is closed" in html
    assert "Select the outcome" in html
    assert "Two calls this month." in html  # nothing typed is lost
    db.expire_all()
    assert db.get(Referral, w.referral.id).status == "accepted"  # type: ignore[union-attr]

    data |= {
        "record-closure_reason": "Perpetrator moved away; victim feels safe.",
        "record-outcome": "risk_reduced",
        "record-victim_view_of_outcome": "Relieved.",
    }
    assert client.submit(_url(w), data).status_code == 302
    db.expire_all()
    referral = db.get(Referral, w.referral.id)
    assert referral is not None and referral.status == "closed"
    assert referral.closed_at is not None and referral.closed_by_id == w.coordinator.id
    assert referral.closure_reason.startswith("Perpetrator moved away")
    assert referral.outcome == "risk_reduced" and referral.victim_view_of_outcome == "Relieved."
    # Changing the decision back to review reopens the case.
    item = db.merge(w.item)
    db.refresh(item)
    assert item.decision == "close" and item.review_meeting_id is None
    response = client.submit(_url(w), record_data(w, item))
    assert response.status_code == 302
    db.expire_all()
    referral = db.get(Referral, w.referral.id)
    assert referral is not None and referral.status == "heard" and referral.closed_at is None


def test_adding_an_action_with_validation(db: Session, login) -> None:
    w = PanelWorld(db)
    client = login(w.coordinator)
    base = record_data(w, w.item)
    # Officer of another agency, due date in the past: both named, nothing saved.
    past = uk_today() - timedelta(days=1)
    data = base | action_data(
        w, due=past, **{"record-actions-0-officer_id": str(w.police_officer.id)}
    )
    html = client.submit(_url(w), data).get_data(as_text=True)
    assert "The named officer must work for the agency that owns the action" in html
    assert "The due date must be today or in the future" in html
    assert "Tenancy warning to the neighbour" in html
    assert db.scalar(select(Action)) is None
    db.expire_all()
    assert db.merge(w.item).decision is None  # the record was not half-saved
    # A partly typed action is checked as a whole.
    html = client.submit(_url(w), base | {"record-actions-0-description": "Something"}).get_data(
        as_text=True
    )
    assert "Select the kind of action" in html and "Enter the date the action is due" in html
    # Valid: saved with the case, opened in the log.
    assert client.submit(_url(w), base | action_data(w)).status_code == 302
    action = db.scalar(select(Action))
    assert action is not None
    assert (action.agency_id, action.officer_id, action.meeting_id, action.agenda_item_id) == (
        w.housing.id,
        w.housing_officer.id,
        w.meeting.id,
        w.item.id,
    )
    assert action.status == "open" and action.created_by_id == w.coordinator.id
    assert (
        db.scalar(select(ActionUpdate.status_to).where(ActionUpdate.action_id == action.id))
        == "open"
    )
    # An action for the agency as a whole.
    db.expire_all()
    item = db.merge(w.item)
    data = record_data(w, item) | action_data(w, **{"record-actions-0-officer_id": "0"})
    assert client.submit(_url(w), data).status_code == 302
    assert db.scalars(select(Action.officer_id).order_by(Action.id)).all() == [
        w.housing_officer.id,
        None,
    ]


def test_save_and_go_to_the_next_case(db: Session, login) -> None:
    w = PanelWorld(db)
    _, second = w.add_case(2)
    client = login(w.coordinator)
    html = client.get(_url(w)).get_data(as_text=True)
    assert f"/meetings/{w.meeting.id}/record/{second.id}" in html  # next link
    data = record_data(w, w.item) | {"record-save_next": "Save and go to the next case"}
    data.pop("record-save")
    response = client.submit(_url(w), data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/meetings/{w.meeting.id}/record/{second.id}")
    html = client.get(_url(w, second.id)).get_data(as_text=True)
    assert "Case 2 of 2" in html and _url(w) in html  # previous link
    data = record_data(w, second) | {"record-save_next": "Save and go to the next case"}
    data.pop("record-save")
    response = client.submit(_url(w, second.id), data)
    assert response.headers["Location"].endswith(f"/meetings/{w.meeting.id}/complete")


def test_conflicting_saves_of_one_case(db: Session, login) -> None:
    w = PanelWorld(db)
    first, second = login(w.coordinator), login(w.coordinator)
    stale = record_data(w, w.item)
    assert first.submit(_url(w), stale).status_code == 302
    response = second.submit(
        _url(w), stale | {"record-risks_identified": "My own wording of the risks"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert (
        "Someone else saved this case&#39;s record" in html
        or "Someone else saved this case's record" in html
    )
    assert "My own wording of the risks" in html
    db.expire_all()
    assert db.merge(w.item).risks_identified == "Targeting at home continues."


def test_record_access(db: Session, login) -> None:
    w = PanelWorld(db)
    url = _url(w)
    # Another area's coordinator, a member of an agency not on the panel, a referrer.
    assert login(w.other_coordinator).get(url).status_code == 403
    assert login(w.outsider).get(url).status_code == 403
    assert login(w.housing_officer).get(url).status_code == 403
    # A member of a panel agency reads the published record but cannot change it.
    member = login(w.housing_member)
    html = member.get(url).get_data(as_text=True)
    assert w.referral.reference in html and "Save and go to the next case" not in html
    assert member.submit(url, record_data(w, w.item)).status_code == 403
    db.expire_all()
    assert db.merge(w.item).decision is None
    # Not before publication, and not once the case is closed.
    w.meeting.agenda_status = AgendaStatus.DRAFT.value
    db.commit()
    assert member.get(url).status_code == 403
    w.meeting.agenda_status = AgendaStatus.PUBLISHED.value
    w.referral.status = "closed"
    db.commit()
    assert member.get(url).status_code == 403
    # Items of another meeting, or removed, are not found.
    assert login(w.coordinator).get(f"/meetings/{w.later.id}/record/{w.item.id}").status_code == 404
