"""The job queue: one Huey instance, the handlers registered on it, and the way in.

A request never runs long work. An operation calls `submit(...)`, which records a `Job`
row in the operation's transaction and sends the job's id to Huey only after that
transaction commits (never for a rollback). A worker (`marac worker`) claims the row,
runs the handler registered for its kind, and records progress and the outcome on it.

Storage is chosen by `MARAC_QUEUE_URL`: Huey's SQLite storage (a file under instance/,
no server) by default, Redis for several workers on several hosts, or "immediate" (the
job runs at once in the asking process, after the commit: tests and one-off commands).

Every job is safe to run twice: a worker first claims the row with one conditional
UPDATE (queued, or running with a heartbeat older than `STALE`), so two workers never
hold one job, and handlers write their results idempotently. A job whose worker died
(killed mid-job) is sent again by the sweeper once its heartbeat is stale.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey, crontab
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session

from marac.db import utcnow
from marac.jobs.models import Job, JobStatus

log = logging.getLogger(__name__)

# A running job whose heartbeat is older than this is taken to have lost its worker.
STALE = timedelta(minutes=2)
# A queued job not started after this long is sent again (the queue may have been down).
UNSENT = timedelta(minutes=1)
MAX_ATTEMPTS = 3
RETRY_DELAY_SECONDS = 5

huey = Huey("marac", immediate=True, utc=True, storage_class=MemoryStorage)


@dataclass(frozen=True)
class Handler:
    """What a kind of job does, and what to do when every attempt has failed."""

    kind: str
    run: Callable[[Session, Job, Progress], None]
    failed: Callable[[Session, Job], None] | None = None
    attempts: int = MAX_ATTEMPTS


HANDLERS: dict[str, Handler] = {}


def job_handler(
    kind: str,
    *,
    failed: Callable[[Session, Job], None] | None = None,
    attempts: int = MAX_ATTEMPTS,
) -> Callable[[Callable[[Session, Job, Progress], None]], Callable[[Session, Job, Progress], None]]:
    """Register `fn(db, job, progress)` as the work of jobs of this kind.

    `fn` commits its own result (usually by calling operations); `failed(db, job)` runs
    once, after the last attempt failed, to tell whoever asked.
    """

    def register(
        fn: Callable[[Session, Job, Progress], None],
    ) -> Callable[[Session, Job, Progress], None]:
        HANDLERS[kind] = Handler(kind, fn, failed, attempts)
        return fn

    return register


def configure(app: Flask) -> None:
    """Point the queue at the app's storage; jobs run in this app's context."""
    global _APP, STALE
    _APP = app
    settings = app.config["MARAC_SETTINGS"]
    STALE = timedelta(seconds=settings.job_stale_seconds)
    url: str = settings.queue_url
    huey.name = settings.queue_name
    if url == "immediate":
        huey.immediate = True
        return
    huey.immediate = False
    if url.startswith(("redis://", "rediss://")):
        huey.storage = RedisStorage(huey.name, url=url)
    else:
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        huey.storage = SqliteStorage(huey.name, filename=str(path))


_APP: Flask | None = None


@contextmanager
def job_session() -> Iterator[Session]:
    """A fresh session in an app context of its own (a job never shares the request's)."""
    app = current_app._get_current_object() if has_app_context() else _APP  # type: ignore[attr-defined]
    if app is None:
        raise RuntimeError("the job queue is not configured: call marac.jobs.queue.configure")
    with app.app_context():
        session: Session = app.extensions["marac_db"].sessionmaker()
        try:
            yield session
        finally:
            session.close()


# --- The way in -------------------------------------------------------------------------

_PENDING = "marac_jobs_after_commit"


def after_commit(db: Session, send: Callable[[], None]) -> None:
    """Call `send()` once `db`'s transaction commits; forget it if the transaction rolls back."""
    db.info.setdefault(_PENDING, []).append(send)


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    for send in session.info.pop(_PENDING, []):
        send()


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def submit(
    db: Session,
    kind: str,
    *,
    requested_by_id: int | None,
    title: str,
    object_type: str = "",
    object_id: int | None = None,
    params: dict[str, Any] | None = None,
    total: int = 0,
    result_link: str = "",
) -> Job:
    """Record a job in the caller's transaction; it is queued when that commits."""
    if kind not in HANDLERS:
        raise KeyError(f"no job handler for {kind!r}")
    job = Job(
        kind=kind,
        status=JobStatus.QUEUED.value,
        requested_by_id=requested_by_id,
        title=title,
        object_type=object_type,
        object_id=object_id,
        params=json.dumps(params or {}, sort_keys=True),
        total_count=total,
        result_link=result_link,
    )
    db.add(job)
    db.flush()
    job_id = job.id
    after_commit(db, lambda: send(job_id))
    return job


def send(job_id: int) -> bool:
    """Hand the job's id to the queue; False (logged, nothing lost) if the queue is down."""
    if huey.immediate:  # run here and now, every attempt (Huey would delay the retries)
        for _attempt in range(MAX_ATTEMPTS):
            try:
                execute(job_id)
            except Exception:
                continue
            return True
        return True
    try:
        run_job(job_id)
    except Exception:  # the row stays queued: the sweeper sends it again
        log.exception("job %s could not be queued; the sweeper will send it again", job_id)
        return False
    return True


# --- The worker's side ------------------------------------------------------------------


class Progress:
    """How a handler reports progress: each call is its own short commit, so the progress
    page sees it at once, and it is the job's heartbeat."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id

    def __call__(self, done: int, total: int | None = None, message: str | None = None) -> None:
        values: dict[str, Any] = {"done_count": done, "heartbeat_at": utcnow()}
        if total is not None:
            values["total_count"] = total
        if message is not None:
            values["message"] = message
        with job_session() as db:
            db.execute(update(Job).where(Job.id == self.job_id).values(**values))
            db.commit()


def claim(db: Session, job_id: int, now: datetime | None = None) -> Job | None:
    """Take the job for this worker, or None if it is finished or alive elsewhere."""
    now = now or utcnow()
    taken = db.execute(
        update(Job)
        .where(
            Job.id == job_id,
            or_(
                Job.status == JobStatus.QUEUED.value,
                (Job.status == JobStatus.RUNNING.value) & (Job.heartbeat_at < now - STALE),
            ),
        )
        .values(
            status=JobStatus.RUNNING.value,
            attempts=Job.attempts + 1,
            started_at=now,
            heartbeat_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    db.commit()
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return db.scalars(
        select(Job).where(Job.id == job_id).execution_options(populate_existing=True)
    ).one()


def execute(job_id: int) -> str:
    """Claim and run one job; returns its status afterwards. Raises to ask for a retry."""
    with job_session() as db:
        job = claim(db, job_id)
        if job is None:
            return "skipped"
        handler = HANDLERS.get(job.kind)
        if handler is None:
            _finish(db, job, JobStatus.FAILED, error=f"no handler for {job.kind!r}")
            return JobStatus.FAILED.value
        try:
            handler.run(db, job, Progress(job.id))
        except Exception as exc:
            db.rollback()
            job = db.get(Job, job_id, populate_existing=True)
            assert job is not None
            error = f"{type(exc).__name__}: {exc}"[:2000]
            log.exception("job %s (%s) attempt %s failed", job.id, job.kind, job.attempts)
            if job.attempts < handler.attempts:
                job.status = JobStatus.QUEUED.value
                job.error = error
                job.message = "Something went wrong; trying again"
                db.commit()
                raise
            _finish(db, job, JobStatus.FAILED, error=error)
            if handler.failed is not None:
                handler.failed(db, job)
            return JobStatus.FAILED.value
        job = db.get(Job, job_id, populate_existing=True)
        assert job is not None
        if not job.finished:
            _finish(db, job, JobStatus.DONE)
        return job.status


def _finish(db: Session, job: Job, status: JobStatus, *, error: str = "") -> None:
    job.status = status.value
    job.finished_at = utcnow()
    if error:
        job.error = error
        job.message = job.message if status is JobStatus.DONE else "It could not be finished"
    db.commit()


@huey.task(retries=MAX_ATTEMPTS - 1, retry_delay=RETRY_DELAY_SECONDS)
def run_job(job_id: int) -> str:
    """The one Huey task: everything else is a registered handler."""
    return execute(job_id)


def sweep(db: Session, now: datetime | None = None) -> list[int]:
    """Send again every job the queue lost: never sent (queue down) or its worker died."""
    now = now or utcnow()
    ids = list(
        db.scalars(
            select(Job.id)
            .where(
                or_(
                    (Job.status == JobStatus.QUEUED.value) & (Job.created_at < now - UNSENT),
                    (Job.status == JobStatus.RUNNING.value) & (Job.heartbeat_at < now - STALE),
                )
            )
            .order_by(Job.id)
            .limit(100)
        )
    )
    for job_id in ids:
        send(job_id)
    return ids


@huey.periodic_task(crontab(minute="*"))
def sweep_lost_jobs() -> None:
    with job_session() as db:
        sweep(db)


def periodic(schedule: crontab) -> Callable[[Callable[[Session], None]], Any]:
    """Declare `fn(db)` to run on a schedule in the worker (no cron needed)."""

    def register(fn: Callable[[Session], None]) -> Any:
        def run() -> None:
            with job_session() as db:
                fn(db)

        run.__name__ = fn.__name__
        run.__qualname__ = fn.__qualname__
        run.__module__ = fn.__module__
        return huey.periodic_task(schedule, name=f"{fn.__module__}.{fn.__name__}")(run)

    return register
