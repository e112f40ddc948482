"""Issued minutes lock the meeting record; a correction re-opens it until it is issued."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.actions.models import Action, ActionReview
from marac.audit.models import AuditEvent
from marac.formatting import uk_today
from marac.meetings import operations as ops
from marac.meetings.models import AgencyAttendance, Attendee, CaseInformation, MeetingAgency
from marac.meetings.record_lock import RecordLocked
from marac.minutes import operations as minutes_ops
from marac.operations import NotFound, Refused
from marac.panels.models import Meeting
from tests.actions.helpers import PanelWorld


def _issue(db: Session, w: PanelWorld, number: int = 1) -> None:
    """The issuing job's last step, as the worker runs it (no documents needed here)."""
    from marac.minutes.models import Minutes, MinutesStatus

    if db.get(Minutes, w.meeting.id) is None:
        db.add(
            Minutes(
                meeting_id=w.meeting.id,
                status=MinutesStatus.APPROVED.value,
                approved_by_id=w.coordinator.id,
                current_version=0,
            )
        )
        db.commit()
    minutes_ops.complete_issue(
        db,
        w.coordinator,
        w.meeting.id,
        number=number,
        reason="" if number == 1 else "Typo",
        documents=[],
    )


def _minutes_version(db: Session, w: PanelWorld) -> int:
    from marac.minutes.models import Minutes

    minutes = db.get(Minutes, w.meeting.id)
    assert minutes is not None
    return minutes.version


def _values(w: PanelWorld, text: str = "Changed after issue.") -> ops.CaseRecord:
    return ops.CaseRecord(
        information={w.police.id: text},
        risks_identified="Still targeted.",
        risk_level_after="high",
        decision="review",
        review_meeting_id=w.later.id,
    )


def _action(w: PanelWorld) -> ops.NewAction:
    return ops.NewAction(
        description="Fit a door camera",
        kind="victim_safety",
        rara="reduce",
        agency_id=w.housing.id,
        officer_id=None,
        due_date=uk_today() + timedelta(days=14),
    )


WRITES: dict[str, Callable[[Session, PanelWorld], object]] = {
    "save_attendance": lambda db, w: ops.save_attendance(
        db, w.coordinator, w.meeting.id, statuses={w.police.id: "absent"}
    ),
    "add_attendee": lambda db, w: ops.add_attendee(
        db, w.coordinator, w.meeting.id, agency_id=w.police.id, name="Late Arrival"
    ),
    "add_meeting_agency": lambda db, w: ops.add_meeting_agency(
        db, w.coordinator, w.meeting.id, agency_id=w.outsider_agency.id
    ),
    "record_case": lambda db, w: ops.record_case(
        db,
        w.coordinator,
        w.meeting.id,
        w.item.id,
        version=w.item.version,
        values=_values(w),
        actions=[_action(w)],
    ),
    "mark_action_reviewed": lambda db, w: ops.mark_action_reviewed(
        db, w.coordinator, w.meeting.id, w.action().id
    ),
    "complete_record": lambda db, w: ops.complete_record(db, w.coordinator, w.meeting.id),
}


def _snapshot(db: Session, w: PanelWorld) -> tuple[object, ...]:
    db.expire_all()
    count = lambda model: db.scalar(select(func.count()).select_from(model))  # noqa: E731
    statuses = sorted(
        (a.agency_id, a.status)
        for a in db.scalars(
            select(AgencyAttendance).where(AgencyAttendance.meeting_id == w.meeting.id)
        )
    )
    return (
        statuses,
        count(Attendee),
        count(MeetingAgency),
        count(CaseInformation),
        db.scalar(
            select(func.count()).select_from(Action).where(Action.meeting_id == w.meeting.id)
        ),
        count(ActionReview),
        db.get(Meeting, w.meeting.id).status,  # type: ignore[union-attr]
    )


@pytest.mark.parametrize("write", sorted(WRITES))
def test_every_record_write_refuses_once_the_minutes_are_issued(db: Session, write: str) -> None:
    w = PanelWorld(db)
    _issue(db, w)
    db.expire_all()
    assert db.get(Meeting, w.meeting.id).minutes_issued_at is not None  # type: ignore[union-attr]
    before = _snapshot(db, w)
    with pytest.raises(RecordLocked) as raised:
        WRITES[write](db, w)
    assert "start a correction" in raised.value.message
    assert raised.value.meeting_id == w.meeting.id
    db.rollback()
    assert _snapshot(db, w) == before


def test_before_issue_the_same_writes_succeed(db: Session) -> None:
    w = PanelWorld(db)
    saved = WRITES["record_case"](db, w)
    assert len(saved.actions) == 1  # type: ignore[attr-defined]


def test_a_correction_reopens_the_record_until_the_corrected_version_is_issued(
    db: Session,
) -> None:
    w = PanelWorld(db)
    _issue(db, w)
    with pytest.raises(RecordLocked):
        WRITES["record_case"](db, w)
    db.rollback()
    meeting = minutes_ops.start_correction(
        db, w.coordinator, w.meeting.id, version=_minutes_version(db, w)
    )
    assert meeting.correction_open
    (audit,) = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "minutes_correction_started")
    ).all()
    assert audit.user_id == w.coordinator.id
    # Starting again changes nothing (and is not audited twice).
    minutes_ops.start_correction(db, w.coordinator, w.meeting.id, version=_minutes_version(db, w))
    assert (
        db.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "minutes_correction_started")
        )
        == 1
    )
    db.expire_all()
    item_version = w.item.version
    ops.record_case(
        db,
        w.coordinator,
        w.meeting.id,
        w.item.id,
        version=item_version,
        values=_values(w, "Corrected figure: three calls."),
    )
    info = db.scalar(select(CaseInformation).where(CaseInformation.agency_id == w.police.id))
    assert info is not None and info.information == "Corrected figure: three calls."
    # Issuing the corrected version (version 2) locks the record again.
    _issue(db, w, number=2)
    db.expire_all()
    meeting = db.get(Meeting, w.meeting.id)
    assert meeting is not None and not meeting.correction_open
    with pytest.raises(RecordLocked):
        WRITES["save_attendance"](db, w)


def test_start_correction_refusals(db: Session) -> None:
    w = PanelWorld(db)
    with pytest.raises(NotFound):  # nothing issued yet: nothing to correct
        minutes_ops.start_correction(db, w.coordinator, w.meeting.id, version=1)
    _issue(db, w)
    for who in (w.housing_member, w.referrer):
        with pytest.raises(Refused):
            minutes_ops.start_correction(db, who, w.meeting.id, version=_minutes_version(db, w))
    db.expire_all()
    assert not db.get(Meeting, w.meeting.id).correction_open  # type: ignore[union-attr]


# ---- the pages --------------------------------------------------------------------------


def test_locked_pages_show_the_banner_and_a_save_is_refused_with_a_way_to_correct(
    db: Session, login
) -> None:
    w = PanelWorld(db)
    _issue(db, w)
    client = login(w.coordinator)
    url = f"/meetings/{w.meeting.id}/record/{w.item.id}"
    html = client.get(url).get_data(as_text=True)
    assert "its record is locked" in html and "start a correction" in html
    assert "Save and go to the next case" not in html  # read only
    response = client.submit(url, {"record-version": str(w.item.version), "record-save": "Save"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "The meeting record is locked" in html
    assert f'href="/meetings/{w.meeting.id}/minutes#correction"' in html
    response = client.submit(
        f"/meetings/{w.meeting.id}/attendance", {f"attendance-agency_{w.police.id}": "absent"}
    )
    assert response.status_code == 409
    db.expire_all()
    assert db.get(AgencyAttendance, (w.meeting.id, w.police.id)).status == "present"  # type: ignore[union-attr]
    assert "its record is locked" in client.get(f"/meetings/{w.meeting.id}/attendance").get_data(
        as_text=True
    )


def test_start_a_correction_from_the_minutes_page_reopens_the_record(db: Session, login) -> None:
    w = PanelWorld(db)
    _issue(db, w)
    client = login(w.coordinator)
    html = client.get(f"/meetings/{w.meeting.id}/minutes").get_data(as_text=True)
    assert "Start a correction" in html
    response = client.submit(
        f"/meetings/{w.meeting.id}/minutes/correction",
        {"version": str(_minutes_version(db, w))},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/meetings/{w.meeting.id}/complete")
    html = client.get(f"/meetings/{w.meeting.id}/record/{w.item.id}").get_data(as_text=True)
    assert "A correction of the minutes is open" in html
    assert "Save and go to the next case" in html
    # A member of a panel agency may not start one.
    member = login(w.housing_member)
    response = member.submit(
        f"/meetings/{w.meeting.id}/minutes/correction", {"version": str(_minutes_version(db, w))}
    )
    assert response.status_code == 403
