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
hold one job, and handlers write their results idempotently. While a handler runs, a
thread beats the heartbeat, so a long job is never mistaken for a dead one. A job whose
worker died (killed mid-job) is sent again by the sweeper once its heartbeat is stale;
one that was never sent (the queue was down) once it has waited `UNSENT`.

Retries are the row's business, not Huey's: a failed attempt puts the row back to queued
and schedules the next one `RETRY_DELAY_SECONDS` later, up to the handler's `attempts`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_app_context
from huey import Huey, crontab
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from redis import ConnectionPool
from sqlalchemy import event, func, or_, select, update
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
# `execute` returns this when the attempt failed and another one is due.
RETRY = "retry"
UK = ZoneInfo("Europe/London")

# No result store: the Job row holds the outcome (results kept by Huey are never read,
# and would pile up in its storage).
huey = Huey("marac", immediate=True, utc=True, results=False, storage_class=MemoryStorage)


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
    """Point the queue at the app's storage; jobs run in this app's context.

    The storage is built after the name is set: Huey's storages take their keys (Redis)
    or queue column (SQLite) from the name they were created with.
    """
    global _APP, STALE
    _APP = app
    settings = app.config["MARAC_SETTINGS"]
    STALE = timedelta(seconds=settings.job_stale_seconds)
    url: str = settings.queue_url
    huey.name = settings.queue_name
    if url == "immediate":
        huey.immediate = True
        huey.storage = MemoryStorage(huey.name)
        return
    huey.immediate = False
    if url.startswith(("redis://", "rediss://")):
        # Short timeouts: a request committing a job must not hang on a Redis that is
        # unreachable (it logs and the sweeper sends the job later). The read timeout
        # is above the consumer's 1-second blocking pop.
        pool = ConnectionPool.from_url(
            url, socket_connect_timeout=3, socket_timeout=10, health_check_interval=30
        )
        huey.storage = RedisStorage(huey.name, connection_pool=pool)
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


def after_commit(db: Session, send: Callable[[], object], *, once: bool = False) -> None:
    """Call `send()` once `db`'s transaction commits; forget it if the transaction rolls back.

    With `once`, a `send` already waiting for this transaction is not added again (one
    outbox drain per transaction, however many emails it stored).
    """
    pending = db.info.setdefault(_PENDING, [])
    if once and send in pending:
        return
    pending.append(send)


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    # The data is committed: a failure to queue must not turn the request into an error.
    for send in session.info.pop(_PENDING, []):
        try:
            send()
        except Exception:
            log.exception("could not queue %r after commit; the schedule catches up", send)


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
    if huey.immediate:  # run here and now, every attempt (no delay between them)
        try:
            while execute(job_id) == RETRY:
                pass
        except Exception:
            log.exception("job %s could not be run; the sweeper will send it again", job_id)
            return False
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


@contextmanager
def heartbeat(job_id: int, attempt: int) -> Iterator[None]:
    """Beat the job's heartbeat from a thread while its handler runs (own session).

    Only this attempt's claim is refreshed: a worker that lost the job to another keeps
    no claim alive.
    """
    stop = threading.Event()
    every = max(0.5, STALE.total_seconds() / 4)

    def beat() -> None:
        while not stop.wait(every):
            try:
                with job_session() as db:
                    db.execute(
                        update(Job)
                        .where(
                            Job.id == job_id,
                            Job.status == JobStatus.RUNNING.value,
                            Job.attempts == attempt,
                        )
                        .values(heartbeat_at=utcnow())
                    )
                    db.commit()
            except Exception:  # a missed beat only risks a second run, which is safe
                log.warning("job %s: heartbeat not recorded", job_id, exc_info=True)

    thread = threading.Thread(target=beat, name=f"heartbeat-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=every + 20)


def execute(job_id: int) -> str:
    """Claim and run one job; returns its status afterwards, or `RETRY` if another
    attempt is due."""
    with job_session() as db:
        job = claim(db, job_id)
        if job is None:
            log.debug("job %s: finished or held by another worker; skipped", job_id)
            return "skipped"
        handler = HANDLERS.get(job.kind)
        if handler is None:
            _finish(db, job, JobStatus.FAILED, error=f"no handler for {job.kind!r}")
            log.error("job %s (%s) failed: no handler for its kind", job.id, job.kind)
            return JobStatus.FAILED.value
        if job.attempts > handler.attempts:  # its workers died every time (killed, OOM)
            return _give_up(db, job, handler, "the worker stopped during every attempt")
        attempt = job.attempts
        log.info("job %s (%s) started, attempt %s", job.id, job.kind, attempt)
        began = time.monotonic()
        try:
            with heartbeat(job.id, attempt):
                handler.run(db, job, Progress(job.id))
        except Exception as exc:
            db.rollback()
            job = db.get(Job, job_id, populate_existing=True)
            assert job is not None
            error = f"{type(exc).__name__}: {exc}"[:2000]
            log.exception("job %s (%s) attempt %s failed", job.id, job.kind, attempt)
            if attempt < handler.attempts:
                job.status = JobStatus.QUEUED.value
                job.error = error
                job.message = "Something went wrong; trying again"
                job.heartbeat_at = utcnow()  # the sweeper waits UNSENT from here
                db.commit()
                return RETRY
            return _give_up(db, job, handler, error)
        job = db.get(Job, job_id, populate_existing=True)
        assert job is not None
        if not job.finished:
            _finish(db, job, JobStatus.DONE)
        log.info("job %s (%s) %s in %.1f s", job.id, job.kind, job.status, time.monotonic() - began)
        return job.status


def _give_up(db: Session, job: Job, handler: Handler, error: str) -> str:
    _finish(db, job, JobStatus.FAILED, error=error)
    log.error("job %s (%s) failed after %s attempts", job.id, job.kind, job.attempts)
    if handler.failed is not None:
        handler.failed(db, job)
    return JobStatus.FAILED.value


def _finish(db: Session, job: Job, status: JobStatus, *, error: str = "") -> None:
    job.status = status.value
    job.finished_at = utcnow()
    if error:
        job.error = error
        job.message = job.message if status is JobStatus.DONE else "It could not be finished"
    db.commit()


@huey.task()
def run_job(job_id: int) -> None:
    """The one Huey task: everything else is a registered handler."""
    if execute(job_id) == RETRY:
        run_job.schedule((job_id,), delay=RETRY_DELAY_SECONDS)


def sweep(db: Session, now: datetime | None = None) -> list[int]:
    """Send again every job the queue lost: never sent (queue down) or its worker died.

    A queued job sent again is stamped, so a long queue gets one more copy per `UNSENT`,
    not one per sweep; copies are harmless (the claim lets one run).
    """
    now = now or utcnow()
    ids = list(
        db.scalars(
            select(Job.id)
            .where(
                or_(
                    (Job.status == JobStatus.QUEUED.value)
                    & (func.coalesce(Job.heartbeat_at, Job.created_at) < now - UNSENT),
                    (Job.status == JobStatus.RUNNING.value) & (Job.heartbeat_at < now - STALE),
                )
            )
            .order_by(Job.id)
            .limit(100)
        )
    )
    sent = [job_id for job_id in ids if send(job_id)]
    if sent and not huey.immediate:
        db.execute(
            update(Job)
            .where(Job.id.in_(sent), Job.status == JobStatus.QUEUED.value)
            .values(heartbeat_at=now)
        )
        db.commit()
    if ids:
        log.info("sweeper sent %s of %s lost jobs again: %s", len(sent), len(ids), sent)
    return ids


@huey.periodic_task(crontab(minute="*"))
def sweep_lost_jobs() -> None:
    with job_session() as db:
        sweep(db)


def uk_crontab(**fields: str) -> Callable[[datetime], bool]:
    """A crontab read on UK clocks (GMT or BST): Huey's own runs on UTC."""
    on_utc = crontab(**fields)

    def validate(timestamp: datetime) -> bool:
        local = timestamp.replace(tzinfo=UTC).astimezone(UK).replace(tzinfo=None)
        return bool(on_utc(local))

    return validate


def periodic(schedule: Callable[[datetime], bool]) -> Callable[[Callable[[Session], None]], Any]:
    """Declare `fn(db)` to run on a schedule in the worker (no cron needed).

    Every worker's scheduler enqueues it, so with several workers it runs once per
    worker: `fn` must be safe to run twice (each one here is).
    """

    def register(fn: Callable[[Session], None]) -> Any:
        name = f"{fn.__module__}.{fn.__name__}"

        def run() -> None:
            began = time.monotonic()
            with job_session() as db:
                fn(db)
            # Quiet: these run every minute; each says itself when it did something.
            log.debug("periodic %s done in %.1f s", name, time.monotonic() - began)

        run.__name__ = fn.__name__
        run.__qualname__ = fn.__qualname__
        run.__module__ = fn.__module__
        return huey.periodic_task(schedule, name=fn.__name__)(run)  # Huey adds the module

    return register
