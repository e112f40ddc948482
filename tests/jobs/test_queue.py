"""The job queue's contract: sent only after commit, claimed once, retried, swept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from marac import create_app
from marac.db import utcnow
from marac.jobs import queue
from marac.jobs.models import Job, JobStatus
from tests.conftest import settings_for

ran: list[int] = []  # job ids in the order their handlers ran


@queue.job_handler("test_count")
def _count(db: Session, job: Job, progress: queue.Progress) -> None:
    ran.append(job.id)
    progress(1, 2, "Halfway")
    progress(2)


@queue.job_handler("test_fail", attempts=2)
def _fail(db: Session, job: Job, progress: queue.Progress) -> None:
    ran.append(job.id)
    raise RuntimeError("render failed")


@pytest.fixture(autouse=True)
def _clear_runs() -> Iterator[None]:
    ran.clear()
    yield
    ran.clear()


def _submit(db: Session, kind: str = "test_count") -> int:
    job = queue.submit(db, kind, requested_by_id=None, title="Counting")
    return job.id


def test_a_job_runs_only_after_its_transaction_commits(app: Flask, db: Session) -> None:
    job_id = _submit(db)
    assert ran == []  # recorded, not yet sent
    db.commit()
    assert ran == [job_id]
    job = db.get(Job, job_id, populate_existing=True)
    assert job is not None
    assert (job.status, job.done_count, job.total_count) == ("done", 2, 2)
    assert job.message == "Halfway"


def test_a_rolled_back_request_sends_nothing(app: Flask, db: Session) -> None:
    job_id = _submit(db)
    db.rollback()
    db.commit()
    assert ran == []
    assert db.get(Job, job_id) is None


def test_a_failing_job_is_retried_then_marked_failed(app: Flask, db: Session) -> None:
    job_id = _submit(db, "test_fail")
    db.commit()
    assert ran == [job_id, job_id]  # two attempts allowed
    job = db.get(Job, job_id, populate_existing=True)
    assert job is not None
    assert job.status == JobStatus.FAILED.value
    assert "render failed" in job.error
    assert "render failed" not in job.message  # the requester sees no internals


def test_a_claimed_job_is_not_claimed_again_until_its_heartbeat_is_stale(
    app: Flask, db: Session
) -> None:
    job = Job(kind="test_count", title="x", status="queued")
    db.add(job)
    db.commit()
    assert queue.claim(db, job.id) is not None
    assert queue.claim(db, job.id) is None  # a second worker leaves it alone
    later = utcnow() + queue.STALE + timedelta(seconds=1)
    assert queue.claim(db, job.id, now=later) is not None  # its worker died: take it over


def test_sqlite_storage_carries_jobs_to_a_worker(database_url: str, tmp_path: Path) -> None:
    app = create_app(settings_for(database_url, queue_url=f"sqlite:///{tmp_path / 'q.db'}"))
    with app.app_context():
        session = app.extensions["marac_db"].sessionmaker()
        job_id = _submit(session)
        session.commit()
        assert ran == []  # queued in the file, not run here
        task = queue.huey.dequeue()
        assert task is not None
        queue.huey.execute(task)
        assert ran == [job_id]
        assert session.get(Job, job_id, populate_existing=True).status == "done"  # type: ignore[union-attr]
        session.close()
