"""The import job: every ready row through `import_row`, with progress, safe to run twice.

Rows are checked again when the job runs (the data may have changed since the preview),
and each row is its own transaction: a job killed half-way is run again by the sweeper
and continues, because rows already in are found by their fingerprint and skipped.
"""

from __future__ import annotations

import json
import logging

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marac.accounts.models import User
from marac.imports.models import BatchStatus, ImportBatch
from marac.imports.operations import JOB_KIND, finish_import, import_row, reopen_import
from marac.imports.queries import check_rows
from marac.jobs.models import Job
from marac.jobs.queue import Progress, job_handler
from marac.operations import OperationError

log = logging.getLogger(__name__)
PROGRESS_EVERY = 10  # rows between progress commits (each is the job's heartbeat)


def _failed(db: Session, job: Job) -> None:
    reopen_import(db, int(json.loads(job.params)["batch_id"]))


@job_handler(JOB_KIND, failed=_failed)
def import_rows(db: Session, job: Job, progress: Progress) -> None:
    batch_id = int(json.loads(job.params)["batch_id"])
    batch = db.get(ImportBatch, batch_id)
    if batch is None or batch.status != BatchStatus.IMPORTING.value:
        return  # finished by an earlier run
    actor = db.get(User, batch.uploaded_by_id)
    assert actor is not None
    rows = check_rows(db, actor, batch)
    total = len(rows)
    progress(0, total, "Importing rows")
    duplicates = errors = 0
    for done, row in enumerate(rows, start=1):
        if row.done_in_batch is not None and row.done_in_batch != batch.id:
            duplicates += 1
        elif row.errors or row.area is None:
            errors += 1
        elif row.done_in_batch is None:
            try:
                if import_row(db, actor, batch.id, row.parsed, row.area) is None:
                    duplicates += 1
            except IntegrityError:  # another run imported this row first
                db.rollback()
                duplicates += 1
            except OperationError as error:
                log.info("import %s row %s refused: %s", batch.id, row.number, error.message)
                errors += 1
        if done % PROGRESS_EVERY == 0 or done == total:
            progress(done, total)
    batch = finish_import(db, actor, batch.id, duplicates=duplicates, errors=errors)
    job.message = (
        f"Imported {batch.imported_count} rows. {duplicates} already imported, "
        f"{errors} with problems skipped."
    )
    db.commit()
