"""The minutes operations called directly (no HTTP): approve, issue, correct, download."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.audit.models import AuditEvent
from marac.jobs.models import Job
from marac.minutes import operations
from marac.minutes.models import DocumentKind, IssuedDocument, Minutes, MinutesStatus
from marac.notify.models import Notification
from marac.operations import Conflict, Invalid, NotFound, Refused
from marac.panels.models import MeetingStatus
from tests.minutes.helpers import MinutesWorld, stored_bytes


@pytest.fixture(autouse=True)
def _in_app(app: Flask) -> Iterator[None]:
    """Downloads read the app's document store, as a request or a job would."""
    with app.app_context():
        yield


def _audits(db: Session, action: str) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _documents(db: Session, meeting_id: int) -> list[IssuedDocument]:
    return list(db.scalars(select(IssuedDocument).where(IssuedDocument.meeting_id == meeting_id)))


def _approved(db: Session, world: MinutesWorld) -> Minutes:
    return operations.approve_minutes(db, world.coordinator, world.held.id, version=1)


def _seen(db: Session, world: MinutesWorld) -> int:
    """The minutes' version as the page would carry it now."""
    db.expire_all()
    minutes = db.get(Minutes, world.held.id)
    return minutes.version if minutes else 1


def test_approve_then_issue_stores_the_documents_audits_and_notifies(db: Session) -> None:
    world = MinutesWorld(db)
    minutes = _approved(db, world)
    assert minutes.status == MinutesStatus.APPROVED.value
    assert minutes.approved_by_id == world.coordinator.id
    assert [a.user_id for a in _audits(db, "minutes_approved")] == [world.coordinator.id]
    job = operations.issue_minutes(db, world.coordinator, world.held.id, version=_seen(db, world))
    db.expire_all()
    assert db.get(Job, job.id).status == "done"  # type: ignore[union-attr]
    stored = _documents(db, world.held.id)
    assert len(stored) == 4 and all(d.storage_key and d.pdf is None for d in stored)
    kinds = sorted((d.kind, d.agency_id or 0) for d in stored)
    assert (DocumentKind.FULL.value, 0) in kinds
    assert (DocumentKind.EXTRACT.value, world.victim_support.id) in kinds
    saved = db.get(Minutes, world.held.id)
    assert saved is not None and saved.status == MinutesStatus.ISSUED.value
    assert saved.current_version == 1
    assert len(_audits(db, "minutes_issued")) == 1
    assert len(_audits(db, "minutes_issue_requested")) == 1
    told = db.scalar(select(Notification).where(Notification.user_id == world.housing_officer.id))
    assert told is not None and "minutes" in told.message


def test_a_non_chair_may_not_approve_and_nothing_is_written(db: Session) -> None:
    world = MinutesWorld(db)
    world.panel.chair_id = world.other_coordinator.id
    db.commit()
    for actor in (world.coordinator, world.housing_member, world.admin):
        with pytest.raises(Refused):
            operations.approve_minutes(db, actor, world.held.id, version=1)
    assert db.get(Minutes, world.held.id) is None
    assert _audits(db, "minutes_approved") == []
    # The named chair approves; issuing stays with those running the panel.
    operations.approve_minutes(db, world.other_coordinator, world.held.id, version=1)
    with pytest.raises(Refused):
        operations.issue_minutes(
            db, world.other_coordinator, world.held.id, version=_seen(db, world)
        )
    assert _documents(db, world.held.id) == []


def test_approval_waits_for_the_held_meeting_and_issue_for_approval(db: Session) -> None:
    world = MinutesWorld(db)
    with pytest.raises(Invalid) as raised:
        operations.issue_minutes(db, world.coordinator, world.held.id, version=1)
    assert "approve" in raised.value.message
    world.held.status = MeetingStatus.SCHEDULED.value
    db.commit()
    with pytest.raises(Invalid) as raised:
        _approved(db, world)
    assert "meeting record" in raised.value.message
    assert db.get(Minutes, world.held.id) is None


def test_a_stale_version_is_a_conflict(db: Session) -> None:
    world = MinutesWorld(db)
    _approved(db, world)
    operations.issue_minutes(db, world.coordinator, world.held.id, version=_seen(db, world))
    with pytest.raises(Conflict):
        operations.correct_minutes(
            db, world.coordinator, world.held.id, version=_seen(db, world) - 1, reason="Late"
        )
    assert {d.version_number for d in _documents(db, world.held.id)} == {1}


def test_correction_needs_a_reason_and_issued_minutes(db: Session) -> None:
    world = MinutesWorld(db)
    with pytest.raises(NotFound):
        operations.correct_minutes(db, world.coordinator, world.held.id, version=1, reason="x")
    _approved(db, world)
    operations.issue_minutes(db, world.coordinator, world.held.id, version=_seen(db, world))
    with pytest.raises(Invalid) as raised:
        operations.correct_minutes(
            db, world.coordinator, world.held.id, version=_seen(db, world), reason=" "
        )
    assert list(raised.value.errors) == ["reason"]
    with pytest.raises(Invalid):  # issued minutes are corrected, never issued again
        operations.issue_minutes(db, world.coordinator, world.held.id, version=_seen(db, world))
    operations.correct_minutes(
        db, world.coordinator, world.held.id, version=_seen(db, world), reason="Wording corrected"
    )
    db.expire_all()
    versions = sorted((d.version_number, d.superseded) for d in _documents(db, world.held.id))
    assert {v for v, _ in versions} == {1, 2}
    assert all(superseded for v, superseded in versions if v == 1)
    (audit,) = _audits(db, "minutes_corrected")
    assert "Wording" not in audit.summary


def test_downloads_follow_need_to_know_and_are_audited(db: Session) -> None:
    world = MinutesWorld(db)
    _approved(db, world)
    operations.issue_minutes(db, world.coordinator, world.held.id, version=_seen(db, world))
    documents = _documents(db, world.held.id)
    extract = next(d for d in documents if d.agency_id == world.victim_support.id)
    got = operations.download_document(db, world.vs_member, world.held.id, extract.id)
    assert got.data == stored_bytes(extract) and got.document.id == extract.id
    with pytest.raises(Refused):
        operations.download_document(db, world.housing_officer, world.held.id, extract.id)
    with pytest.raises(NotFound):
        operations.download_document(db, world.coordinator, world.following.id, extract.id)
    assert [a.user_id for a in _audits(db, "minutes_downloaded")] == [world.vs_member.id]
