"""Reads of jobs: a requester sees their own job's progress, nobody else's."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import User
from marac.jobs.models import Job, JobStatus
from marac.operations import NotFound


def own_job(db: Session, actor: User, job_id: int) -> Job:
    """The actor's job, or `NotFound` (another user's job is not theirs to know about)."""
    job = db.get(Job, job_id)
    if job is None or job.requested_by_id != actor.id:
        raise NotFound()
    return job


def latest_for(db: Session, kind: str, object_type: str, object_id: int) -> Job | None:
    """The newest job of this kind on this record, for the record's page to show."""
    return db.scalars(
        select(Job)
        .where(Job.kind == kind, Job.object_type == object_type, Job.object_id == object_id)
        .order_by(Job.id.desc())
        .limit(1)
    ).first()


def unfinished_for(db: Session, kind: str, object_type: str, object_id: int) -> Job | None:
    """A job of this kind on this record still queued or running (so not asked twice)."""
    return db.scalars(
        select(Job)
        .where(
            Job.kind == kind,
            Job.object_type == object_type,
            Job.object_id == object_id,
            Job.status.in_([JobStatus.QUEUED.value, JobStatus.RUNNING.value]),
        )
        .order_by(Job.id.desc())
        .limit(1)
    ).first()


def status_of(job: Job) -> dict[str, object]:
    """What a progress page and its script show: the safe message, never the error."""
    return {
        "id": job.id,
        "status": job.status,
        "finished": job.finished,
        "done": job.done_count,
        "total": job.total_count,
        "message": job.message,
        "link": job.result_link if job.status == JobStatus.DONE.value else "",
    }
