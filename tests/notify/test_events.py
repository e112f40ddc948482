"""Each event notifies the right people, and only them; emails carry no case details."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.actions import notices as actions_notices
from marac.assessments import notices as assessments_notices
from marac.assessments.models import RiskAssessment
from marac.meetings import notices as meetings_notices
from marac.minutes import notices as minutes_notices
from marac.notify import events
from marac.notify.models import Notification, NotificationPreference, OutboxMessage
from marac.referrals import notices as referrals_notices
from tests.factories import make_agency, make_user
from tests.meeting_factories import make_action
from tests.meetings import PanelWorld
from tests.referrals.helpers import make_coordinator


def _notified(db: Session, kind: str) -> set[int]:
    return set(db.scalars(select(Notification.user_id).where(Notification.kind == kind)))


def _emailed(db: Session, kind: str) -> set[str]:
    return set(db.scalars(select(OutboxMessage.recipient).where(OutboxMessage.kind == kind)))


def test_new_referral_goes_to_the_area_coordinators_only(db: Session) -> None:
    w = PanelWorld(db)
    referral = w.referral()
    referrals_notices.referral_created(db, referral)
    db.commit()
    assert _notified(db, events.REFERRAL_CREATED) == {w.coordinator.id}
    assert _emailed(db, events.REFERRAL_CREATED) == {w.coordinator.email}


def test_referral_with_unknown_area_goes_to_every_coordinator(db: Session) -> None:
    w = PanelWorld(db)
    inactive = make_coordinator(db, w.area)
    inactive.active = False
    referral = w.referral(area=None)
    referrals_notices.referral_created(db, referral)
    db.commit()
    assert _notified(db, events.REFERRAL_CREATED) == {w.coordinator.id, w.other_coordinator.id}


def test_more_information_goes_to_the_referrer_only(db: Session) -> None:
    w = PanelWorld(db)
    referral = w.referral()
    referrals_notices.more_info_requested(db, referral)
    db.commit()
    assert _notified(db, events.MORE_INFO_REQUESTED) == {w.referrer.id}


def test_submitted_assessment_goes_to_the_agencys_supervisors_never_the_assessor(
    db: Session,
) -> None:
    w = PanelWorld(db)
    supervisor = make_user(db, Role.REFERRER, agency=w.police, supervisor=True)
    assessor = make_user(db, Role.REFERRER, agency=w.police, supervisor=True)
    make_user(db, Role.REFERRER, agency=w.housing, supervisor=True)  # another agency
    assessment = RiskAssessment(
        agency_id=w.police.id, assessor_id=assessor.id, instrument_version="test"
    )
    db.add(assessment)
    db.flush()
    assessments_notices.assessment_submitted(db, assessment)
    db.commit()
    assert _notified(db, events.ASSESSMENT_SUBMITTED) == {supervisor.id}


def test_agenda_published_and_amended_go_to_the_panels_agency_members(db: Session) -> None:
    w = PanelWorld(db)
    meeting = w.meeting()
    meetings_notices.agenda_published(db, meeting)
    meetings_notices.agenda_amended(db, meeting)
    db.commit()
    members = {w.police_member.id, w.housing_member.id, w.vs_member.id}
    assert _notified(db, events.AGENDA_PUBLISHED) == members
    assert _notified(db, events.AGENDA_AMENDED) == members
    message = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "agenda_published"))
    body = next(iter(message)).body
    assert f"/meetings/{meeting.id}.ics" in body
    assert str(meeting.meeting_date.year) in body


def test_action_assigned_to_the_officer_or_else_the_agencys_members(db: Session) -> None:
    w = PanelWorld(db)
    referral = w.referral()
    officer = make_user(db, Role.REFERRER, agency=w.housing)
    named = make_action(db, referral, w.housing, officer_id=officer.id)
    actions_notices.action_assigned(db, named, referral.reference)
    db.commit()
    assert _notified(db, events.ACTION_ASSIGNED) == {officer.id}
    db.query(Notification).delete()
    unnamed = make_action(db, referral, w.housing)
    actions_notices.action_assigned(db, unnamed, referral.reference)
    db.commit()
    assert _notified(db, events.ACTION_ASSIGNED) == {w.housing_member.id}


def test_minutes_go_full_to_members_and_as_extract_to_other_action_agencies(
    db: Session,
) -> None:
    w = PanelWorld(db)
    meeting = w.meeting()
    outside = make_agency(db)
    outside_member = make_user(db, Role.MEMBER, agency=outside)
    # A housing officer (not a panel member) holds two of the meeting's actions; the
    # police member holds one too, and another meeting's action is not this one's.
    officer = make_user(db, Role.REFERRER, agency=w.housing)
    referral = w.referral()
    first = make_action(db, referral, w.housing, meeting, officer_id=officer.id)
    make_action(db, referral, w.housing, meeting, officer_id=officer.id)
    make_action(db, referral, w.police, meeting, officer_id=w.police_member.id)
    elsewhere = make_user(db, Role.REFERRER, agency=w.housing)
    make_action(db, referral, w.housing, w.meeting(42), officer_id=elsewhere.id)
    minutes_notices.minutes_issued(
        db,
        meeting,
        [w.housing.id, outside.id],
        full_link="/minutes/1",
        extract_links={outside.id: "/minutes/1/extract/9"},
    )
    db.commit()
    rows = db.scalars(select(Notification).where(Notification.kind == "minutes_issued")).all()
    links = {r.user_id: r.link for r in rows}
    assert links == {
        w.police_member.id: "/minutes/1",
        w.housing_member.id: "/minutes/1",
        w.vs_member.id: "/minutes/1",
        outside_member.id: "/minutes/1/extract/9",
        officer.id: f"/actions/{first.id}",
    }
    assert len(rows) == 5  # each person told once


def test_emails_carry_only_a_reference_and_a_link(db: Session) -> None:
    w = PanelWorld(db)
    referral = w.referral(reasons="Bricks thrown at the window by a named neighbour.")
    referrals_notices.referral_created(db, referral)
    db.commit()
    message = db.scalars(select(OutboxMessage)).one()
    assert referral.reference in message.subject
    assert "neighbour" not in message.body and "neighbour" not in message.subject
    assert message.link == f"/referrals/{referral.id}"


def test_digest_preference_stops_digest_emails_but_never_assignment_notices(db: Session) -> None:
    w = PanelWorld(db)
    db.add(NotificationPreference(user_id=w.housing_member.id, digests=False))
    db.commit()
    referral = w.referral()
    action = make_action(db, referral, w.housing)
    actions_notices.action_assigned(db, action, referral.reference)
    digest = events.Notice(events.OVERDUE_DIGEST, "Digest", "1 overdue", "", "/actions/mine")
    events.deliver(db, [w.housing_member], digest)
    db.commit()
    assert _emailed(db, events.ACTION_ASSIGNED) == {w.housing_member.email}
    assert _emailed(db, events.OVERDUE_DIGEST) == set()
    assert _notified(db, events.OVERDUE_DIGEST) == {w.housing_member.id}  # still in-app


def test_repeated_amendments_wait_until_the_last_notice_is_read(db: Session) -> None:
    w = PanelWorld(db)
    meeting = w.meeting()
    meetings_notices.agenda_amended(db, meeting)
    meetings_notices.agenda_amended(db, meeting)
    db.commit()
    rows = db.scalars(select(Notification).where(Notification.kind == "agenda_amended")).all()
    assert len(rows) == 3  # one per member, not two
    for row in rows:
        if row.user_id == w.police_member.id:
            row.read_at = row.created_at
    db.commit()
    assert meetings_notices.agenda_amended(db, meeting) == [w.police_member]
