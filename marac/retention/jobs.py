"""The nightly retention listing and the disposal job, in the worker.

At 02:30 UK time (GMT or BST) `list_due_records` lists what has passed its date for the
review page; nothing is disposed of without a person asking. Disposal runs as a job in
batches, each its own transaction, with progress on the job's page. Both are safe to run
twice: the listing replaces itself, and a batch only takes records still listed.
"""

from __future__ import annotations

import json
import logging

from sqlalchemy.orm import Session

from marac.accounts.models import User
from marac.db import utcnow
from marac.jobs.models import Job
from marac.jobs.queue import Progress, job_handler, periodic, uk_crontab
from marac.retention import operations
from marac.retention.queries import today_uk
from marac.retention.schedule import KINDS
from marac.storage.backends import store

log = logging.getLogger(__name__)

LISTING_TIME = {"hour": "2", "minute": "30"}  # UK clocks


@periodic(uk_crontab(**LISTING_TIME))
def list_due_records(db: Session) -> None:
    found = operations.list_due(db, today_uk(utcnow()))
    log.info("retention: due for review %s", found)


def _failed(db: Session, job: Job) -> None:
    job.message = "Disposal stopped; what was done is in the disposal log, the rest is still listed"
    db.commit()


@job_handler(operations.DISPOSE_JOB, failed=_failed)
def dispose(db: Session, job: Job, progress: Progress) -> None:
    params = json.loads(job.params)
    record_type, ids = params["record_type"], [int(i) for i in params["ids"]]
    actor = db.get(User, job.requested_by_id) if job.requested_by_id else None
    if actor is None:
        raise RuntimeError("the disposal job has no reviewer to act for")
    kind = KINDS[record_type]
    today = today_uk(utcnow())
    disposed = 0
    progress(0, len(ids), f"Disposing of {kind.count(len(ids))}")
    for start in range(0, len(ids), operations.BATCH):
        chunk = ids[start : start + operations.BATCH]
        disposed += operations.dispose_batch(db, actor, job.id, record_type, chunk, today, store())
        progress(min(start + len(chunk), len(ids)), len(ids), f"Disposed of {kind.count(disposed)}")
    skipped = len(ids) - disposed
    message = f"Disposed of {kind.count(disposed)}"
    if skipped:
        message += f"; {skipped} kept or already gone"
    progress(len(ids), len(ids), message)
