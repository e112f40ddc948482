"""Members see a case from the agenda's publication until the case is closed, no longer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.audit.models import AuditEvent
from marac.db import utcnow
from marac.incidents.titles import incident_title
from marac.meetings.access import (
    can_run_meeting,
    can_see_meeting,
    member_can_view_referral,
    member_viewable_referrals,
)
from marac.meetings.models import ItemStatus
from marac.panels.models import AgendaStatus
from marac.people.models import Person
from marac.referrals.access import can_view_referral, viewable_referrals
from marac.referrals.models import Referral, ReferralStatus
from tests.factories import make_user
from tests.meetings import PanelWorld
from tests.referrals.helpers import link, make_incident


def _visible_ids(db: Session, user) -> set[int]:
    return set(db.scalars(select(Referral.id).where(member_viewable_referrals(user))))


def test_member_sees_listed_case_only_after_publication(db: Session, login) -> None:
    w = PanelWorld(db)
    meeting = w.meeting()
    referral = w.referral()
    w.listed(meeting, referral)
    url = f"/referrals/{referral.id}"
    housing = login(w.housing_member)

    meeting.agenda_status = AgendaStatus.DRAFT.value
    db.commit()
    assert housing.get(url).status_code == 403
    assert not member_can_view_referral(db, w.housing_member, referral.id)

    w.publish(meeting)
    response = housing.get(url)
    assert response.status_code == 200
    assert referral.reference in response.get_data(as_text=True)
    assert member_can_view_referral(db, w.housing_member, referral.id)
    assert can_view_referral(w.housing_member, referral, db)
    assert _visible_ids(db, w.housing_member) == {referral.id}
    viewed = db.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "referral_viewed",
            AuditEvent.user_id == w.housing_member.id,
            AuditEvent.object_id == str(referral.id),
        )
    )
    assert viewed is not None


def test_refused_for_other_panels_non_members_and_unlisted_cases(db: Session, login) -> None:
    w = PanelWorld(db)
    meeting = w.meeting(agenda_status=AgendaStatus.PUBLISHED.value)
    referral = w.referral()
    unlisted = w.referral()
    w.listed(meeting, referral)
    url = f"/referrals/{referral.id}"

    assert login(w.outsider_member).get(url).status_code == 403
    assert login(w.housing_member).get(f"/referrals/{unlisted.id}").status_code == 403
    # A referrer of a panel agency is not a member: only their own referrals.
    colleague = make_user(db, Role.REFERRER, agency=w.housing)
    assert login(colleague).get(url).status_code == 403
    assert not can_view_referral(colleague, referral, db)
    assert _visible_ids(db, w.outsider_member) == set()
    assert _visible_ids(db, colleague) == set()
    # Without a session the plain rule cannot tell, so it refuses.
    assert not can_view_referral(w.housing_member, referral)


def test_closure_ends_member_access_and_removal_hides_deferral_keeps(db: Session, login) -> None:
    w = PanelWorld(db)
    meeting = w.meeting(agenda_status=AgendaStatus.PUBLISHED.value)
    closed = w.referral()
    removed = w.referral()
    deferred = w.referral()
    w.listed(meeting, closed, 1)
    w.listed(meeting, removed, 2, status=ItemStatus.REMOVED.value, status_reason="Duplicate")
    w.listed(meeting, deferred, 3, status=ItemStatus.DEFERRED.value, status_reason="Police")
    police = login(w.police_member)
    assert police.get(f"/referrals/{closed.id}").status_code == 200

    closed.status = ReferralStatus.CLOSED.value
    closed.closed_at = utcnow()
    db.commit()
    assert police.get(f"/referrals/{closed.id}").status_code == 403
    assert police.get(f"/referrals/{removed.id}").status_code == 403
    assert police.get(f"/referrals/{deferred.id}").status_code == 200
    assert _visible_ids(db, w.police_member) == {deferred.id}


def test_heard_case_stays_visible_after_the_meeting_until_closed(db: Session, login) -> None:
    w = PanelWorld(db)
    meeting = w.meeting(days_ahead=-7, agenda_status=AgendaStatus.PUBLISHED.value, status="held")
    referral = w.referral(status=ReferralStatus.HEARD)
    w.listed(meeting, referral)
    assert login(w.vs_member).get(f"/referrals/{referral.id}").status_code == 200


def test_viewable_referrals_combines_every_rule(db: Session) -> None:
    w = PanelWorld(db)
    meeting = w.meeting(agenda_status=AgendaStatus.PUBLISHED.value)
    listed = w.referral(referrer=w.housing_member)
    own = w.referral(status=ReferralStatus.NEW, referrer=w.housing_member)
    w.listed(meeting, listed)
    elsewhere = w.referral(area=w.other_area)

    def ids(user) -> set[int]:
        return set(db.scalars(select(Referral.id).where(viewable_referrals(user))))

    assert ids(w.housing_member) == {listed.id, own.id}
    assert ids(w.coordinator) == {listed.id, own.id}
    assert ids(w.other_coordinator) == {elsewhere.id}
    assert ids(w.outsider_member) == set()


def test_who_runs_and_who_sees_a_meeting(db: Session) -> None:
    w = PanelWorld(db)
    meeting = w.meeting()
    assert can_run_meeting(w.coordinator, meeting)
    assert can_see_meeting(w.coordinator, meeting)
    assert not can_run_meeting(w.other_coordinator, meeting)
    assert not can_see_meeting(w.other_coordinator, meeting)
    assert can_see_meeting(w.housing_member, meeting)
    assert not can_run_meeting(w.housing_member, meeting)
    assert not can_see_meeting(w.outsider_member, meeting)
    assert not can_see_meeting(w.referrer, meeting)


def test_member_sees_the_incidents_of_a_listed_case_without_links_they_cannot_open(
    db: Session, login
) -> None:
    w = PanelWorld(db)
    meeting = w.meeting(agenda_status=AgendaStatus.PUBLISHED.value)
    referral = w.referral()
    person = db.get(Person, referral.person_id)
    incident = make_incident(db, w.referrer, person, w.area)
    link(db, referral, incident)
    w.listed(meeting, referral)

    page = login(w.housing_member).get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert incident_title(incident) in page  # the incident is described on the case page
    assert f"/incidents/{incident.id}" not in page  # but not linked: its page would refuse
    assert login(w.housing_member).get(f"/incidents/{incident.id}").status_code == 403
    assert "Back to meetings" in page

    coordinator_page = login(w.coordinator).get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert f"/incidents/{incident.id}" in coordinator_page
