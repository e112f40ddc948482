"""Real `marac worker` processes on Huey's SQLite storage and on the real Redis.

What the queue promises, held with real processes: a job an operation submits runs in a
worker; copies of one job in the queue run it once; a worker killed mid-job loses
nothing (the sweeper sends it again once its heartbeat is stale); a queue that is down
loses nothing either; the outbox drained by two workers sends each email exactly once.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role, User
from marac.db import utcnow
from marac.jobs import queue
from marac.jobs.models import Job, JobStatus
from marac.notify import events
from marac.notify.backends import message_id
from marac.notify.jobs import drain_outbox
from marac.notify.models import OutboxMessage
from marac.operations import operation
from tests.factories import make_agency, make_user
from tests.jobs.conftest import CLOSED_REDIS_URL, STALE_SECONDS, Queue
from tests.jobs.handlers import ask_for_mark, runs
from tests.notify.test_backends import _Inbox, smtp_server  # noqa: F401 (a fixture)
from tests.workers import running_worker, start_worker, stop_worker, stop_workers, wait_for

HANDLERS = ("tests.jobs.handlers",)


def _job(app: Any, job_id: int) -> Job:
    with app.extensions["marac_db"].sessionmaker() as db:
        job = db.get(Job, job_id)
        assert job is not None
        db.expunge(job)
        return job


def _actor(app: Any) -> tuple[Session, User]:
    db = app.extensions["marac_db"].sessionmaker()
    user = make_user(db, Role.COORDINATOR)
    db.commit()
    return db, user


def test_a_job_an_operation_submits_runs_in_a_worker(
    database_url: str, sqlite_queue: Queue, tmp_path: Path
) -> None:
    """On the embedded default, Huey's SQLite storage (the Redis tests follow)."""
    any_queue = sqlite_queue
    app = any_queue.app(database_url)
    db, user = _actor(app)
    marks = tmp_path / "marks.txt"
    job = ask_for_mark(db, user, marks)
    assert _job(app, job.id).status == JobStatus.QUEUED.value  # committed, in the queue
    assert runs(marks) == []  # not run here
    log = tmp_path / "worker.log"
    with running_worker(any_queue.settings(database_url), log, preload=HANDLERS):
        wait_for(lambda: _job(app, job.id).status == "done", timeout=30)
    done = _job(app, job.id)
    assert (done.attempts, done.done_count, done.message) == (1, 1, "Marked")
    assert [line.split()[0] for line in runs(marks)] == ["start", "done"]
    # The operator sees the worker start, and one line as the job starts and one as it ends.
    output = log.read_text()
    assert "Huey consumer started" in output
    assert output.count(f"job {job.id} (test_mark) started, attempt 1") == 1
    assert output.count(f"job {job.id} (test_mark) done in") == 1
    assert "Executing tests" not in output and "Executing marac" not in output
    db.close()


def test_two_workers_run_each_job_once_however_often_it_is_sent(
    database_url: str, redis_only: Queue, tmp_path: Path
) -> None:
    app = redis_only.app(database_url)
    db, user = _actor(app)
    files = [tmp_path / f"marks-{n}.txt" for n in range(12)]
    jobs = [ask_for_mark(db, user, path) for path in files]
    for job in jobs:  # as a sweeper racing the first send would: three copies each
        assert queue.send(job.id) and queue.send(job.id)
    settings = redis_only.settings(database_url)
    first = start_worker(settings, tmp_path / "one.log", threads=2, preload=HANDLERS)
    second = start_worker(settings, tmp_path / "two.log", threads=2, preload=HANDLERS)
    try:
        wait_for(lambda: all(_job(app, j.id).status == "done" for j in jobs), timeout=40)
        wait_for(lambda: queue.huey.pending_count() == 0, timeout=20)
    finally:
        stop_workers(first, second)
    for path, job in zip(files, jobs, strict=True):
        assert [line.split()[0] for line in runs(path)] == ["start", "done"], path
        assert _job(app, job.id).attempts == 1
    pids = {line.split()[1] for path in files for line in runs(path)}
    assert pids <= {str(first.pid), str(second.pid)}
    db.close()


def test_a_job_whose_worker_is_killed_is_swept_and_finished_by_another(
    database_url: str, redis_only: Queue, tmp_path: Path
) -> None:
    app = redis_only.app(database_url)
    db, user = _actor(app)
    marks = tmp_path / "marks.txt"
    job = ask_for_mark(db, user, marks, first_sleep=60)
    settings = redis_only.settings(database_url)
    doomed = start_worker(settings, tmp_path / "doomed.log", preload=HANDLERS)
    try:
        wait_for(lambda: runs(marks), timeout=30)
        # Alive and working: its heartbeat keeps the job from being taken over.
        assert queue.sweep(db, now=utcnow()) == []
    finally:
        stop_worker(doomed, kill=True)  # SIGKILL mid-job: no clean-up runs
    assert _job(app, job.id).status == "running"
    with running_worker(settings, tmp_path / "second.log", preload=HANDLERS) as second:
        assert queue.sweep(db) == []  # not stale yet: it may still be alive
        wait_for(lambda: queue.sweep(db) == [job.id], timeout=STALE_SECONDS + 10)
        wait_for(lambda: _job(app, job.id).status == "done", timeout=30)
    lines = runs(marks)
    assert lines == [f"start {doomed.pid} 1", f"start {second.pid} 2", f"done {second.pid}"]
    assert _job(app, job.id).attempts == 2
    db.close()


@operation
def _tell(db: Session, users: list[User], count: int) -> None:
    for n in range(count):
        notice = events.Notice("test_notice", f"Test notice {n}", "Something to see", "", "/")
        events.deliver(db, users, notice)


def _received(inbox: _Inbox) -> list[Any]:
    return [message_from_bytes(content) for _, _, content in inbox.messages]


def test_a_queue_that_is_down_loses_nothing(
    database_url: str,
    redis_only: Queue,
    tmp_path: Path,
    smtp_server: tuple[int, _Inbox],  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    port, inbox = smtp_server
    mail = {"notify_backend": "smtp", "smtp_host": "127.0.0.1", "smtp_port": port}
    down = Queue("redis", CLOSED_REDIS_URL, redis_only.name)
    app = down.app(database_url, **mail)
    db, user = _actor(app)
    marks = tmp_path / "marks.txt"
    with caplog.at_level(logging.ERROR, logger="marac.jobs.queue"):
        job = ask_for_mark(db, user, marks)  # commits: nothing raised to the request
        _tell(db, [user], 2)  # two emails stored; the drain after commit is lost
    assert f"job {job.id} could not be queued" in caplog.text
    assert "could not queue" in caplog.text
    assert _job(app, job.id).status == JobStatus.QUEUED.value
    assert queue.send(job.id) is False
    assert len(db.scalars(select(OutboxMessage)).all()) == 2
    # The queue answers again. A worker's periodic drain sends the waiting emails at
    # start-up, and the sweeper sends the job that was never queued.
    app = redis_only.app(database_url, **mail)
    with running_worker(redis_only.settings(database_url, **mail), tmp_path / "w.log", HANDLERS):
        later = utcnow() + queue.UNSENT + timedelta(seconds=1)
        assert queue.sweep(db, now=later) == [job.id]
        wait_for(lambda: _job(app, job.id).status == "done", timeout=30)
        wait_for(lambda: len(inbox.messages) == 2, timeout=30)
    assert sorted(m["Subject"] for m in _received(inbox)) == ["Test notice 0", "Test notice 1"]
    assert queue.sweep(db, now=later) == []
    db.close()


def test_two_workers_draining_the_outbox_send_each_email_once(
    database_url: str,
    redis_only: Queue,
    tmp_path: Path,
    smtp_server: tuple[int, _Inbox],  # noqa: F811
) -> None:
    """Two hosts' workers on one Redis (the claim in notify/backends.py decides)."""
    any_queue = redis_only
    port, inbox = smtp_server
    mail = {
        "notify_backend": "smtp",
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "mail_from": "MARAC <marac@council.example>",
    }
    settings = any_queue.settings(database_url, **mail)
    app = any_queue.app(database_url, **mail)
    db = app.extensions["marac_db"].sessionmaker()
    agency = make_agency(db)
    users = [make_user(db, Role.MEMBER, agency=agency) for _ in range(6)]
    db.commit()
    assert len(inbox.messages) == 0  # users alone queue no email
    first = start_worker(settings, tmp_path / "one.log", threads=2)
    second = start_worker(settings, tmp_path / "two.log", threads=2)
    try:
        _tell(db, users, 5)  # 30 emails in one transaction: one drain queued after it
        for _ in range(4):  # and drains racing it, as the minute's schedule would
            drain_outbox()
        wait_for(lambda: len(inbox.messages) >= 30, timeout=60)
        wait_for(lambda: queue.huey.pending_count() == 0, timeout=20)
    finally:
        stop_workers(first, second)
    received = _received(inbox)
    assert len(received) == 30
    rows = db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert all(row.sent_at is not None and row.attempts == 1 for row in rows)
    assert sorted(m["Message-ID"] for m in received) == sorted(
        message_id(row, mail["mail_from"]) for row in rows
    )
    assert all(m["Message-ID"].endswith("@council.example>") and m["Date"] for m in received)
    db.close()


def test_the_worker_refuses_the_immediate_queue(app: Any) -> None:
    result = app.test_cli_runner().invoke(args=["worker"])
    assert result.exit_code != 0
    assert "there is no queue for a worker to read" in str(result.exception)
