"""The events fire from the real pages and rules, in the same transaction as the change."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.db import utcnow
from marac.formatting import uk_today
from marac.meetings.models import AgendaItem
from marac.notify.models import Notification, OutboxMessage
from marac.referrals.triggers import on_assessment_endorsed
from tests.actions.helpers import PanelWorld as ActionWorld
from tests.actions.helpers import action_data, record_data
from tests.meetings import PanelWorld
from tests.referrals.helpers import World, make_endorsed, make_referral
from tests.referrals.test_partner_referral import valid


def _who(db: Session, kind: str) -> set[int]:
    return set(db.scalars(select(Notification.user_id).where(Notification.kind == kind)))


def test_automatic_referral_notifies_the_area_coordinator(db: Session) -> None:
    world = World(db)
    assessment = make_endorsed(db, world.referrer, world.incident, "high")
    on_assessment_endorsed(db, assessment, utcnow())
    db.commit()
    assert _who(db, "referral_created") == {world.coordinator.id}


def test_partner_referral_notifies_the_area_coordinator(db: Session, login) -> None:
    world = World(db)
    client = login(world.referrer)
    response = client.submit(f"/referrals/new?incident_id={world.incident.id}", valid(world))
    assert response.status_code == 302
    assert _who(db, "referral_created") == {world.coordinator.id}


def test_more_information_page_notifies_the_referrer(db: Session, login) -> None:
    world = World(db)
    referral = make_referral(db, world.person, world.area, referrer=world.referrer)
    response = login(world.coordinator).submit(
        f"/referrals/{referral.id}/more-information",
        {"more-version": "1", "more-request_text": "Was a lock change offered?"},
    )
    assert response.status_code == 302
    assert _who(db, "more_info_requested") == {world.referrer.id}
    body = db.scalar(select(OutboxMessage.body))
    assert "lock change" not in body  # the request itself stays behind the sign-in


def test_publishing_and_amending_the_agenda_notify_members(db: Session, login) -> None:
    w = PanelWorld(db)
    meeting = w.meeting()
    a = w.referral(risk_level="medium", created_at=utcnow() - timedelta(days=2))
    w.referral(risk_level="medium", created_at=utcnow() - timedelta(days=1))
    chair = login(w.coordinator)
    url = f"/meetings/{meeting.id}"
    assert chair.submit(f"{url}/agenda/build").status_code == 302
    assert _who(db, "agenda_published") == set()
    assert chair.submit(f"{url}/agenda/publish").status_code == 302
    members = {w.police_member.id, w.housing_member.id, w.vs_member.id}
    assert _who(db, "agenda_published") == members
    item_id = db.scalar(select(AgendaItem.id).where(AgendaItem.referral_id == a.id))
    response = chair.submit(
        f"{url}/agenda/items/{item_id}/move", {"direction": "down", "reason": "Police first"}
    )
    assert response.status_code == 302
    assert _who(db, "agenda_amended") == members


def test_actions_agreed_at_the_meeting_and_reassigned_notify_their_owners(
    db: Session, login
) -> None:
    w = ActionWorld(db)
    client = login(w.coordinator)
    url = f"/meetings/{w.meeting.id}/record/{w.item.id}"
    assert client.submit(url, record_data(w, w.item) | action_data(w)).status_code == 302
    assert _who(db, "action_assigned") == {w.housing_officer.id}

    action = w.action()
    due = uk_today() + timedelta(days=20)
    data = {
        "edit-version": "1",
        "edit-description": action.description,
        "edit-kind": action.kind,
        "edit-rara": action.rara,
        "edit-agency_id": str(w.housing.id),
        "edit-officer_id": str(w.housing_colleague.id),
        "edit-due_date": [str(due.day), str(due.month), str(due.year)],
    }
    assert client.submit(f"/actions/{action.id}/edit", data).status_code == 302
    assert _who(db, "action_assigned") == {w.housing_officer.id, w.housing_colleague.id}


def test_submitting_an_assessment_notifies_the_agencys_supervisors(db: Session, login) -> None:
    from marac.accounts.models import Role
    from marac.assessments.models import AssessmentStatus
    from tests.assessments.helpers import make_assessment, version_of
    from tests.factories import make_agency, make_user

    agency = make_agency(db)
    assessor = make_user(db, Role.REFERRER, agency=agency)
    supervisor = make_user(db, Role.REFERRER, agency=agency, supervisor=True)
    make_user(db, Role.REFERRER, supervisor=True)  # another agency's supervisor
    assessment = make_assessment(db, assessor, status=AssessmentStatus.DRAFT, suggested="low")
    client = login(assessor)
    url = f"/assessments/{assessment.id}/check"
    response = client.submit(url, {"version": version_of(db, assessment.id)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert _who(db, "assessment_submitted") == {supervisor.id}
