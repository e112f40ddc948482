"""Issuing with a real `marac worker`: killed mid-issue, nothing is visible; the sweeper
hands the job to a new worker, which issues the version exactly once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.audit.models import AuditEvent
from marac.db import utcnow
from marac.jobs import queue
from marac.jobs.models import Job, JobStatus
from marac.minutes import operations
from marac.minutes.models import IssuedDocument, Minutes
from tests.minutes.helpers import large_meeting, queued_app
from tests.workers import running_worker, start_worker, stop_worker, wait_for


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app with a real queue (a SQLite file): jobs wait for a worker."""
    yield from queued_app(database_url, tmp_path)


def _job(db: Session, job_id: int) -> Job:
    job = db.get(Job, job_id, populate_existing=True)
    assert job is not None
    return job


def test_a_worker_killed_mid_issue_leaves_nothing_half_issued(
    app: Flask, db: Session, tmp_path: Path
) -> None:
    world = large_meeting(db, cases=3, extra_agencies=3)
    settings = app.config["MARAC_SETTINGS"]
    log = tmp_path / "worker.log"
    job = operations.issue_minutes(db, world.coordinator, world.held.id, version=1)
    job_id = job.id
    assert _job(db, job_id).status == JobStatus.QUEUED.value  # recorded, waiting

    worker = start_worker(settings, log)
    try:

        def one_document_stored() -> bool:
            """the worker stored at least one document"""
            db.rollback()
            return _job(db, job_id).done_count >= 1

        wait_for(one_document_stored, timeout=90, every=0.1)
    finally:
        stop_worker(worker, kill=True)  # SIGKILL: a crash mid-job
    db.rollback()
    killed = _job(db, job_id)
    assert killed.status == JobStatus.RUNNING.value and 1 <= killed.done_count < 7
    assert killed.total_count == 7
    assert db.scalar(select(func.count(IssuedDocument.id))) == 0
    assert db.get(Minutes, world.held.id, populate_existing=True).status == "approved"  # type: ignore[union-attr]

    # Once its heartbeat is stale the sweeper sends it again; a new worker finishes it.
    beat = killed.heartbeat_at
    assert beat is not None
    time.sleep(max(0.0, (beat + queue.STALE - utcnow()).total_seconds()) + 0.5)
    assert job_id in queue.sweep(db)
    with running_worker(settings, log):

        def finished() -> bool:
            """the job finished"""
            db.rollback()
            return _job(db, job_id).finished

        wait_for(finished, timeout=120)
    done = _job(db, job_id)
    assert done.status == JobStatus.DONE.value, log.read_text()[-3000:]
    assert done.attempts == 2 and done.done_count == done.total_count == 7
    documents = list(db.scalars(select(IssuedDocument)))
    assert len(documents) == 7 and {d.version_number for d in documents} == {1}
    prefix = f"minutes/{world.held.id}/job-{job_id}/"
    assert all(d.storage_key and d.storage_key.startswith(prefix) for d in documents)
    minutes = db.get(Minutes, world.held.id, populate_existing=True)
    assert minutes is not None and minutes.status == "issued" and minutes.current_version == 1
    issued = db.scalars(select(AuditEvent).where(AuditEvent.action == "minutes_issued")).all()
    assert len(issued) == 1
