"""Issuing in the background (immediate queue): the request, the job, its failure and its
rerun, the progress page's need-to-know, and downloads that check the stored hash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.audit.models import AuditEvent
from marac.jobs import queue
from marac.jobs.models import Job, JobStatus
from marac.minutes import lifecycle, operations
from marac.minutes.models import IssuedDocument, Minutes
from marac.notify.models import Notification, OutboxMessage
from marac.operations import Invalid
from tests.conftest import STORAGE_ROOT
from tests.minutes.helpers import MinutesWorld


def _audits(db: Session, action: str) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _count(db: Session) -> int:
    return db.scalar(select(func.count(IssuedDocument.id))) or 0


def _version(db: Session, meeting_id: int) -> int:
    db.expire_all()
    return db.get(Minutes, meeting_id).version  # type: ignore[union-attr]


def test_a_failed_render_is_retried_then_the_coordinator_is_told(
    db: Session, login, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    world = MinutesWorld(db)
    operations.approve_minutes(db, world.coordinator, world.held.id, version=1)
    calls: list[str] = []
    real = lifecycle.render_document

    def broken(content, kind, agency_id, number, today):  # type: ignore[no-untyped-def]
        calls.append(kind)
        if kind == "extract":  # the full minutes render, the first extract fails
            raise RuntimeError("renderer crashed")
        return real(content, kind, agency_id, number, today)

    monkeypatch.setattr(lifecycle, "render_document", broken)
    job = operations.issue_minutes(db, world.coordinator, world.held.id, version=1)
    db.expire_all()
    job = db.get(Job, job.id)
    assert job is not None and job.status == JobStatus.FAILED.value
    assert job.attempts == queue.MAX_ATTEMPTS and calls.count("full") == queue.MAX_ATTEMPTS
    assert "renderer crashed" in job.error and "renderer crashed" not in job.message
    assert _count(db) == 0  # nothing half-issued
    assert db.get(Minutes, world.held.id).status == "approved"  # type: ignore[union-attr]
    assert len(_audits(db, "minutes_issue_failed")) == 1
    told = db.scalars(
        select(Notification.message).where(Notification.user_id == world.coordinator.id)
    ).all()
    assert any("could not be issued" in m for m in told)
    mail = db.scalars(
        select(OutboxMessage.subject).where(OutboxMessage.user_id == world.coordinator.id)
    ).all()
    assert any(s.startswith("Minutes not issued") for s in mail)
    # No member heard anything.
    assert db.scalar(select(Notification).where(Notification.user_id == world.vs_member.id)) is None

    # The pages say so, and the coordinator can try again once the renderer works.
    chair = login(world.coordinator)
    base = f"/meetings/{world.held.id}/minutes"
    progress = chair.get(f"{base}/jobs/{job.id}").get_data(as_text=True)
    assert "The minutes could not be issued" in progress and "Nothing was issued" in progress
    assert "http-equiv" not in progress  # finished: no more refreshing
    page = chair.get(base).get_data(as_text=True)
    assert "failed" in page and "Issue the minutes" in page
    monkeypatch.setattr(lifecycle, "render_document", real)
    again = chair.submit(f"{base}/issue", {"version": str(_version(db, world.held.id))})
    assert again.status_code == 302
    assert _count(db) == 4 and len(_audits(db, "minutes_issued")) == 1


def test_one_issue_at_a_time_and_a_rerun_issues_nothing_new(
    app: Flask, db: Session, login, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    world = MinutesWorld(db)
    operations.approve_minutes(db, world.coordinator, world.held.id, version=1)
    # A queue that holds the job (as a worker's queue would) until it is run by hand.
    queue.huey.immediate = False
    try:
        job = operations.issue_minutes(db, world.coordinator, world.held.id, version=1)
        assert job.status == JobStatus.QUEUED.value and _count(db) == 0
        with pytest.raises(Invalid) as raised:
            operations.issue_minutes(
                db, world.coordinator, world.held.id, version=_version(db, world.held.id)
            )
        assert "already being issued" in raised.value.message
        chair = login(world.coordinator)
        base = f"/meetings/{world.held.id}/minutes"
        page = chair.get(base).get_data(as_text=True)
        assert "is in progress" in page and f"{base}/jobs/{job.id}" in page
        assert "Issue the minutes</button>" not in page
        waiting = chair.get(f"{base}/jobs/{job.id}").get_data(as_text=True)
        assert "waiting to start" in waiting and 'http-equiv="refresh"' in waiting
        status = chair.get(f"{base}/jobs/{job.id}/status").get_json()
        assert status["status"] == "queued" and not status["finished"]
    finally:
        queue.huey.immediate = True
    while queue.huey.dequeue() is not None:  # what the held queue was handed
        pass
    assert queue.execute(job.id) == JobStatus.DONE.value
    assert _count(db) == 4
    first = {d.storage_key for d in db.scalars(select(IssuedDocument))}
    assert all(k.startswith(f"minutes/{world.held.id}/job-{job.id}/") for k in first)
    # The same job run again (a worker died after finishing, say) issues nothing new.
    db.execute(Job.__table__.update().values(status="queued"))
    db.commit()
    assert queue.execute(job.id) == JobStatus.DONE.value
    assert _count(db) == 4 and len(_audits(db, "minutes_issued")) == 1
    done = login(world.coordinator).get(f"/meetings/{world.held.id}/minutes/jobs/{job.id}")
    assert "The minutes are issued" in done.get_data(as_text=True)
    assert json.loads(db.get(Job, job.id).params)["number"] == 1  # type: ignore[union-attr]


def test_progress_pages_are_need_to_know(db: Session, login) -> None:  # type: ignore[no-untyped-def]
    world = MinutesWorld(db)
    operations.approve_minutes(db, world.coordinator, world.held.id, version=1)
    job = operations.issue_minutes(db, world.coordinator, world.held.id, version=1)
    base = f"/meetings/{world.held.id}/minutes/jobs/{job.id}"
    for user in (world.vs_member, world.housing_officer, world.other_coordinator):
        client = login(user)
        assert client.get(base).status_code == 404
        assert client.get(f"{base}/status").status_code == 404
    assert login(world.admin).get(base).status_code == 403
    other = world.following.id  # the job through another meeting's address
    assert (
        login(world.coordinator).get(f"/meetings/{other}/minutes/jobs/{job.id}").status_code == 404
    )
    assert login(world.coordinator).get(base).status_code == 200


def test_a_corrupt_or_missing_object_is_refused_and_audited(db: Session, login) -> None:  # type: ignore[no-untyped-def]
    world = MinutesWorld(db)
    operations.approve_minutes(db, world.coordinator, world.held.id, version=1)
    operations.issue_minutes(db, world.coordinator, world.held.id, version=1)
    docs = {d.agency_id: d for d in db.scalars(select(IssuedDocument))}
    full, extract = docs[None], docs[world.victim_support.id]
    member = login(world.vs_member)
    base = f"/meetings/{world.held.id}/minutes/documents"
    assert member.get(f"{base}/{full.id}.pdf").status_code == 200
    # One byte flipped in the stored file: refused with a clear page, never the bytes.
    path = Path(STORAGE_ROOT) / str(full.storage_key)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    bad = member.get(f"{base}/{full.id}.pdf")
    assert bad.status_code == 500 and bad.mimetype == "text/html"
    assert "This document cannot be downloaded" in bad.get_data(as_text=True)
    assert bytes(data) not in bad.data and b"%PDF" not in bad.data
    # A missing object likewise.
    (Path(STORAGE_ROOT) / str(extract.storage_key)).unlink()
    gone = member.get(f"{base}/{extract.id}.pdf")
    assert gone.status_code == 500 and "cannot be downloaded" in gone.get_data(as_text=True)
    failed = [e.summary for e in _audits(db, "minutes_download_failed")]
    assert len(failed) == 2 and any("corrupt" in s for s in failed)
    assert any("missing" in s for s in failed)
    assert len(_audits(db, "minutes_downloaded")) == 1  # only the good one
