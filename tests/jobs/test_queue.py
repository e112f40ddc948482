"""The job queue's contract: sent only after commit, claimed once, retried, swept."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
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


def test_a_send_asked_once_per_transaction_is_queued_once(app: Flask, db: Session) -> None:
    calls: list[str] = []

    def drain() -> None:
        calls.append("drain")

    for _ in range(3):
        queue.after_commit(db, drain, once=True)
    queue.after_commit(db, drain)  # without `once` it is added again
    db.commit()
    assert calls == ["drain", "drain"]
    db.commit()  # a later transaction asked for nothing
    assert calls == ["drain", "drain"]


def test_a_send_that_fails_after_commit_keeps_the_commit(
    app: Flask, db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise ConnectionError("queue down")

    job_id = _submit(db)
    queue.after_commit(db, broken)
    db.commit()  # nothing raised to the request
    assert "could not queue" in caplog.text
    assert db.get(Job, job_id) is not None


def test_the_heartbeat_keeps_only_its_own_attempt_alive(
    app: Flask, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queue, "STALE", timedelta(seconds=2))  # a beat every 0.5 s
    old = utcnow() - timedelta(minutes=10)
    mine = Job(kind="test_count", title="x", status="running", attempts=2, heartbeat_at=old)
    lost = Job(kind="test_count", title="y", status="running", attempts=3, heartbeat_at=old)
    db.add_all([mine, lost])
    db.commit()
    with queue.heartbeat(mine.id, 2), queue.heartbeat(lost.id, 2):
        time.sleep(1.2)
    db.expire_all()
    assert mine.heartbeat_at is not None and mine.heartbeat_at > utcnow() - timedelta(seconds=2)
    assert lost.heartbeat_at == old  # taken over by attempt 3: not this worker's to keep


def test_a_job_whose_worker_dies_every_time_fails_instead_of_looping(
    app: Flask, db: Session
) -> None:
    stale = utcnow() - queue.STALE - timedelta(minutes=1)
    job = Job(kind="test_count", title="x", status="running", attempts=3, heartbeat_at=stale)
    db.add(job)
    db.commit()
    assert queue.execute(job.id) == JobStatus.FAILED.value
    assert ran == []
    db.refresh(job)
    assert (job.status, job.message) == ("failed", "It could not be finished")
    assert "worker stopped during every attempt" in job.error


def test_on_a_real_queue_a_failed_attempt_is_scheduled_again(
    database_url: str, tmp_path: Path
) -> None:
    app = create_app(settings_for(database_url, queue_url=f"sqlite:///{tmp_path / 'q.db'}"))
    with app.app_context():
        session = app.extensions["marac_db"].sessionmaker()
        job_id = _submit(session, "test_fail")
        session.commit()
        task = queue.huey.dequeue()
        assert task is not None
        queue.huey.execute(task)
        job = session.get(Job, job_id, populate_existing=True)
        assert job is not None
        assert (job.status, job.attempts, ran) == ("queued", 1, [job_id])
        # The next attempt is queued to run RETRY_DELAY_SECONDS later (Huey keeps it in
        # its schedule until then).
        retry = queue.huey.dequeue()
        assert retry is not None and retry.args == (job_id,)
        now = datetime.now(UTC).replace(tzinfo=None)
        assert now < retry.eta <= now + timedelta(seconds=queue.RETRY_DELAY_SECONDS)
        queue.huey.execute(retry, now)  # too early: it goes to the schedule
        assert queue.huey.scheduled_count() == 1 and ran == [job_id]
        (retry,) = queue.huey.read_schedule(now + timedelta(seconds=10))
        queue.huey.execute(retry, now + timedelta(seconds=10))
        job = session.get(Job, job_id, populate_existing=True)
        assert (job.status, job.attempts) == ("failed", 2)  # type: ignore[union-attr]
        assert queue.huey.pending_count() == 0 and queue.huey.scheduled_count() == 0
        assert queue.huey.result_count() == 0  # no result store piling up
        session.close()


def test_the_sweeper_sends_a_lost_job_once_per_wait(database_url: str, tmp_path: Path) -> None:
    app = create_app(settings_for(database_url, queue_url=f"sqlite:///{tmp_path / 'q.db'}"))
    with app.app_context():
        session = app.extensions["marac_db"].sessionmaker()
        job = Job(kind="test_count", title="x", status="queued")  # never sent: no commit hook
        session.add(job)
        session.commit()
        now = utcnow()
        assert queue.sweep(session, now=now) == []  # just created: its send may be on the way
        later = now + queue.UNSENT + timedelta(seconds=1)
        assert queue.sweep(session, now=later) == [job.id]
        assert queue.sweep(session, now=later + timedelta(seconds=30)) == []  # stamped
        assert queue.huey.pending_count() == 1
        assert queue.sweep(session, now=later + queue.UNSENT * 2) == [job.id]
        session.close()
