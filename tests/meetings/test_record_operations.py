"""The meeting record's operations, called directly (no HTTP): rules, audit, notices, refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.actions.models import Action, ActionReview
from marac.audit.models import AuditEvent
from marac.formatting import uk_today
from marac.meetings import operations as ops
from marac.meetings.models import AgencyAttendance, Attendee, CaseInformation
from marac.notify.events import ACTION_ASSIGNED
from marac.notify.models import Notification
from marac.operations import Conflict, Invalid, NotFound, Refused
from marac.panels.models import MeetingStatus
from marac.referrals.models import ReferralStatus
from tests.actions.helpers import PanelWorld
from tests.meeting_factories import make_action


def _audits(db: Session, action: str) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _review(w: PanelWorld, **changes: object) -> ops.CaseRecord:
    values: dict[str, object] = {
        "information": {w.police.id: "Two calls this month.", w.housing.id: ""},
        "risks_identified": "Targeting at home continues.",
        "risk_level_after": "medium",
        "decision": "review",
        "review_meeting_id": w.later.id,
    }
    values.update(changes)
    return ops.CaseRecord(**values)  # type: ignore[arg-type]


def _new_action(w: PanelWorld, **changes: object) -> ops.NewAction:
    values: dict[str, object] = {
        "description": "Tenancy warning to the neighbour",
        "kind": "enforcement_tenancy",
        "rara": "remove",
        "agency_id": w.housing.id,
        "officer_id": w.housing_officer.id,
        "due_date": uk_today() + timedelta(days=14),
    }
    values.update(changes)
    return ops.NewAction(**values)  # type: ignore[arg-type]


# ---- attendance -------------------------------------------------------------------------


def test_save_attendance_writes_each_agency_and_audits(db: Session) -> None:
    w = PanelWorld(db)
    ops.save_attendance(
        db,
        w.coordinator,
        w.meeting.id,
        statuses={w.police.id: "present", w.housing.id: "apologies"},
    )
    rows = {
        a.agency_id: a.status
        for a in db.scalars(
            select(AgencyAttendance).where(AgencyAttendance.meeting_id == w.meeting.id)
        )
    }
    assert rows == {w.police.id: "present", w.housing.id: "apologies"}
    (audit,) = _audits(db, "meeting_attendance_saved")
    assert audit.user_id == w.coordinator.id and "Apologies" in audit.summary
    # A second save changes the rows rather than adding more.
    ops.save_attendance(
        db, w.coordinator, w.meeting.id, statuses={w.police.id: "absent", w.housing.id: "present"}
    )
    db.expire_all()
    assert db.get(AgencyAttendance, (w.meeting.id, w.police.id)).status == "absent"  # type: ignore[union-attr]
    assert db.scalar(select(func.count()).select_from(AgencyAttendance)) == 2


def _statuses(db: Session, meeting_id: int) -> dict[int, str]:
    db.expire_all()
    return {
        a.agency_id: a.status
        for a in db.scalars(
            select(AgencyAttendance).where(AgencyAttendance.meeting_id == meeting_id)
        )
    }


def test_save_attendance_records_unmarked_agencies_as_not_expected(db: Session) -> None:
    w = PanelWorld(db)
    ops.save_attendance(db, w.coordinator, w.meeting.id, statuses={w.police.id: "present"})
    assert _statuses(db, w.meeting.id) == {w.police.id: "present", w.housing.id: "not_expected"}
    (audit,) = _audits(db, "meeting_attendance_saved")
    assert "Not expected" in audit.summary
    # An empty choice is unmarked too; a status that is not one is refused, nothing saved.
    ops.save_attendance(
        db, w.coordinator, w.meeting.id, statuses={w.police.id: "", w.housing.id: "apologies"}
    )
    assert _statuses(db, w.meeting.id) == {w.police.id: "not_expected", w.housing.id: "apologies"}
    with pytest.raises(Invalid) as raised:
        ops.save_attendance(
            db, w.coordinator, w.meeting.id, statuses={w.police.id: "x", w.housing.id: "present"}
        )
    assert set(raised.value.errors) == {f"agency_{w.police.id}"}
    assert _statuses(db, w.meeting.id) == {w.police.id: "not_expected", w.housing.id: "apologies"}


def test_add_meeting_agency_lists_it_for_attendance_information_and_actions(
    db: Session,
) -> None:
    w = PanelWorld(db)
    guest = w.outsider_agency
    # Not listed for the meeting yet: its status is ignored.
    ops.save_attendance(db, w.coordinator, w.meeting.id, statuses={guest.id: "present"})
    assert guest.id not in _statuses(db, w.meeting.id)
    ops.add_meeting_agency(db, w.coordinator, w.meeting.id, agency_id=guest.id)
    (audit,) = _audits(db, "meeting_agency_added")
    assert audit.user_id == w.coordinator.id
    with pytest.raises(Invalid) as raised:  # once only
        ops.add_meeting_agency(db, w.coordinator, w.meeting.id, agency_id=guest.id)
    assert set(raised.value.errors) == {"agency_id"}
    with pytest.raises(Invalid):  # a panel member is already listed
        ops.add_meeting_agency(db, w.coordinator, w.meeting.id, agency_id=w.police.id)
    ops.save_attendance(db, w.coordinator, w.meeting.id, statuses={guest.id: "present"})
    assert _statuses(db, w.meeting.id)[guest.id] == "present"
    # Present, so it may share information and own an action agreed here.
    saved = ops.record_case(
        db,
        w.coordinator,
        w.meeting.id,
        w.item.id,
        version=w.item.version,
        values=_review(w, information={guest.id: "Known to the charity."}),
        actions=[_new_action(w, agency_id=guest.id, officer_id=None)],
    )
    assert [a.agency_id for a in saved.actions] == [guest.id]
    info = db.scalar(select(CaseInformation).where(CaseInformation.agency_id == guest.id))
    assert info is not None and info.information == "Known to the charity."
    # Only for this meeting: the later meeting does not list it.
    ops.save_attendance(db, w.coordinator, w.later.id, statuses={guest.id: "present"})
    assert guest.id not in _statuses(db, w.later.id)


@pytest.mark.parametrize("who", ["other_coordinator", "housing_member"])
def test_add_meeting_agency_refused_to_others(db: Session, who: str) -> None:
    w = PanelWorld(db)
    with pytest.raises(Refused):
        ops.add_meeting_agency(db, getattr(w, who), w.meeting.id, agency_id=w.outsider_agency.id)
    assert _audits(db, "meeting_agency_added") == []


@pytest.mark.parametrize("who", ["other_coordinator", "housing_member"])
def test_attendance_refused_to_anyone_but_the_coordinator(db: Session, who: str) -> None:
    w = PanelWorld(db)
    with pytest.raises(Refused):
        ops.save_attendance(
            db,
            getattr(w, who),
            w.meeting.id,
            statuses={w.police.id: "present", w.housing.id: "present"},
        )
    with pytest.raises(Refused):
        ops.add_attendee(db, getattr(w, who), w.meeting.id, agency_id=w.housing.id, name="X")
    assert _statuses(db, w.meeting.id) == {w.police.id: "present", w.housing.id: "present"}
    assert db.scalar(select(Attendee)) is None
    assert _audits(db, "meeting_attendee_added") == []


def test_attendee_added_marks_agency_present_then_acknowledged_and_removed(db: Session) -> None:
    w = PanelWorld(db)
    ops.save_attendance(
        db, w.coordinator, w.meeting.id, statuses={w.police.id: "absent", w.housing.id: "absent"}
    )
    attendee = ops.add_attendee(
        db,
        w.coordinator,
        w.meeting.id,
        agency_id=w.housing.id,
        name="  Helen Marsh ",
        job_title="Housing officer",
    )
    db.expire_all()
    saved = db.get(Attendee, attendee.id)
    assert saved is not None and saved.name == "Helen Marsh"
    assert not saved.confidentiality_acknowledged and saved.acknowledged_at is None
    assert db.get(AgencyAttendance, (w.meeting.id, w.housing.id)).status == "present"  # type: ignore[union-attr]
    assert db.get(AgencyAttendance, (w.meeting.id, w.police.id)).status == "absent"  # type: ignore[union-attr]
    (added,) = _audits(db, "meeting_attendee_added")
    assert "Helen" not in added.summary and w.housing.name in added.summary

    ops.acknowledge_attendee(db, w.coordinator, w.meeting.id, attendee.id)
    ops.acknowledge_attendee(db, w.coordinator, w.meeting.id, attendee.id)  # once only
    db.expire_all()
    assert db.get(Attendee, attendee.id).acknowledged_at is not None  # type: ignore[union-attr]
    assert len(_audits(db, "meeting_attendee_acknowledged")) == 1

    assert ops.remove_attendee(db, w.coordinator, w.meeting.id, attendee.id) == "Helen Marsh"
    assert db.scalar(select(Attendee)) is None
    assert len(_audits(db, "meeting_attendee_removed")) == 1


def test_attendee_rules(db: Session) -> None:
    w = PanelWorld(db)
    with pytest.raises(Invalid) as raised:
        ops.add_attendee(db, w.coordinator, w.meeting.id, agency_id=w.outsider_agency.id, name=" ")
    assert set(raised.value.errors) == {"name", "agency_id"}
    assert db.scalar(select(Attendee)) is None
    assert _statuses(db, w.meeting.id) == {w.police.id: "present", w.housing.id: "present"}


def test_attendee_of_another_meeting_is_not_found(db: Session) -> None:
    w = PanelWorld(db)
    attendee = ops.add_attendee(db, w.coordinator, w.later.id, agency_id=w.police.id, name="Al")
    with pytest.raises(NotFound):
        ops.remove_attendee(db, w.coordinator, w.meeting.id, attendee.id)
    assert db.get(Attendee, attendee.id) is not None


# ---- the case record --------------------------------------------------------------------


def test_record_case_with_an_action_audits_and_notifies(db: Session) -> None:
    w = PanelWorld(db)
    version = w.item.version
    saved = ops.record_case(
        db,
        w.coordinator,
        w.meeting.id,
        w.item.id,
        version=version,
        values=_review(w),
        action=_new_action(w),
    )
    db.expire_all()
    item = saved.case.item
    assert item.decision == "review" and item.review_meeting_id == w.later.id
    assert item.risk_level_after == "medium" and item.discussed_at is not None
    assert item.version > version
    assert saved.case.referral.status == ReferralStatus.HEARD.value
    infos = list(db.scalars(select(CaseInformation)))
    assert [(i.agency_id, i.information) for i in infos] == [
        (w.police.id, "Two calls this month.")
    ]  # an empty box adds no row
    action = db.scalar(select(Action).where(Action.agenda_item_id == w.item.id))
    assert action is not None and action.officer_id == w.housing_officer.id
    assert action.created_by_id == w.coordinator.id and action.meeting_id == w.meeting.id
    (audit,) = _audits(db, "meeting_case_recorded")
    assert audit.user_id == w.coordinator.id
    assert "decision: review" in audit.summary and f"agency {w.housing.id}" in audit.summary
    assert "Targeting" not in audit.summary
    told = list(db.scalars(select(Notification).where(Notification.kind == ACTION_ASSIGNED)))
    assert [n.user_id for n in told] == [w.housing_officer.id]


def test_close_then_reopen_for_review(db: Session) -> None:
    w = PanelWorld(db)
    close = _review(
        w,
        decision="close",
        review_meeting_id=None,
        closure_reason="Moved away",
        outcome="risk_reduced",
    )
    ops.record_case(db, w.coordinator, w.meeting.id, w.item.id, version=1, values=close)
    db.expire_all()
    assert w.referral.status == ReferralStatus.CLOSED.value
    assert w.referral.closed_by_id == w.coordinator.id and w.referral.outcome == "risk_reduced"
    ops.record_case(
        db, w.coordinator, w.meeting.id, w.item.id, version=w.item.version, values=_review(w)
    )
    db.expire_all()
    assert w.referral.status == ReferralStatus.HEARD.value
    assert w.referral.closed_at is None and w.referral.outcome == ""


def test_record_case_rules(db: Session) -> None:
    w = PanelWorld(db)
    cases = [
        (_review(w, review_meeting_id=None), {"review_meeting_id"}),
        (_review(w, review_meeting_id=w.earlier.id), {"review_meeting_id"}),
        (_review(w, decision="close", review_meeting_id=None), {"closure_reason", "outcome"}),
        (_review(w, risk_level_after="extreme"), {"risk_level_after"}),
        (_review(w, information={w.outsider_agency.id: "x"}), {f"info_{w.outsider_agency.id}"}),
    ]
    for values, fields in cases:
        with pytest.raises(Invalid) as raised:
            ops.record_case(db, w.coordinator, w.meeting.id, w.item.id, version=1, values=values)
        assert set(raised.value.errors) == fields
    bad_action = _new_action(
        w, description=" ", agency_id=w.outsider_agency.id, due_date=uk_today() - timedelta(1)
    )
    with pytest.raises(Invalid) as raised:
        ops.record_case(
            db,
            w.coordinator,
            w.meeting.id,
            w.item.id,
            version=1,
            values=_review(w),
            action=bad_action,
        )
    assert {
        "action.description",
        "action.agency_id",
        "action.officer_id",
        "action.due_date",
    } == set(raised.value.errors)
    db.expire_all()
    assert w.item.decision is None and w.item.version == 1
    assert db.scalar(select(Action)) is None and db.scalar(select(CaseInformation)) is None
    assert _audits(db, "meeting_case_recorded") == []


@pytest.mark.parametrize("who", ["other_coordinator", "housing_member", "outsider"])
def test_record_case_refused_to_others(db: Session, who: str) -> None:
    w = PanelWorld(db)
    with pytest.raises(Refused):
        ops.record_case(db, getattr(w, who), w.meeting.id, w.item.id, version=1, values=_review(w))
    db.expire_all()
    assert w.item.decision is None and w.referral.status == ReferralStatus.ACCEPTED.value
    assert _audits(db, "meeting_case_recorded") == []


def test_a_member_may_view_but_the_view_is_audited(db: Session) -> None:
    w = PanelWorld(db)
    case = ops.record_case_viewed(db, w.housing_member, w.meeting.id, w.item.id)
    assert not case.editable
    (audit,) = _audits(db, "meeting_case_record_viewed")
    assert audit.user_id == w.housing_member.id and audit.object_id == str(w.referral.id)
    with pytest.raises(Refused):
        ops.record_case_viewed(db, w.outsider, w.meeting.id, w.item.id)


def test_a_stale_version_is_a_conflict_and_saves_nothing(db: Session) -> None:
    w = PanelWorld(db)
    ops.record_case(db, w.coordinator, w.meeting.id, w.item.id, version=1, values=_review(w))
    with pytest.raises(Conflict):
        ops.record_case(
            db,
            w.coordinator,
            w.meeting.id,
            w.item.id,
            version=1,
            values=_review(w, risk_level_after="high"),
            action=_new_action(w),
        )
    db.expire_all()
    assert w.item.risk_level_after == "medium"
    assert db.scalar(select(Action)) is None
    assert len(_audits(db, "meeting_case_recorded")) == 1


# ---- review of earlier actions ----------------------------------------------------------


def test_mark_action_reviewed_once(db: Session) -> None:
    w = PanelWorld(db)
    action = w.action()
    ops.mark_action_reviewed(db, w.coordinator, w.meeting.id, action.id, note="On track")
    ops.mark_action_reviewed(db, w.coordinator, w.meeting.id, action.id, note="again")
    reviews = list(db.scalars(select(ActionReview)))
    assert [(r.action_id, r.note, r.reviewed_by_id) for r in reviews] == [
        (action.id, "On track", w.coordinator.id)
    ]
    (audit,) = _audits(db, "action_reviewed")
    assert "On track" not in audit.summary
    with pytest.raises(Refused):
        ops.mark_action_reviewed(db, w.other_coordinator, w.meeting.id, action.id)
    # An action of this meeting is not an earlier one.
    this = make_action(db, w.referral, w.housing, w.meeting)
    with pytest.raises(NotFound):
        ops.mark_action_reviewed(db, w.coordinator, w.meeting.id, this.id)


# ---- completing the record --------------------------------------------------------------


def test_complete_needs_every_decision_and_the_day(db: Session) -> None:
    w = PanelWorld(db)
    second, _ = w.add_case(2)
    with pytest.raises(Invalid) as raised:
        ops.complete_record(db, w.coordinator, w.meeting.id)
    assert w.referral.reference in raised.value.errors["submit"][0]
    assert second.reference in raised.value.errors["submit"][0]
    with pytest.raises(Invalid) as raised:
        ops.complete_record(db, w.coordinator, w.later.id)
    assert "not happened yet" in raised.value.errors["submit"][0]
    db.expire_all()
    assert w.meeting.status == MeetingStatus.SCHEDULED.value
    assert _audits(db, "meeting_record_completed") == []


def test_complete_marks_the_meeting_held(db: Session) -> None:
    w = PanelWorld(db)
    ops.record_case(db, w.coordinator, w.meeting.id, w.item.id, version=1, values=_review(w))
    with pytest.raises(Refused):
        ops.complete_record(db, w.other_coordinator, w.meeting.id)
    meeting = ops.complete_record(db, w.coordinator, w.meeting.id)
    db.expire_all()
    assert meeting.status == MeetingStatus.HELD.value and meeting.record_completed_at is not None
    (audit,) = _audits(db, "meeting_record_completed")
    assert audit.user_id == w.coordinator.id
