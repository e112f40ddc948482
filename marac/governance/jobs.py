"""The background work of a subject access pack: gather, render, zip, store, complete.

The ZIP goes under a key fixed by the pack and the job, so a rerun overwrites it, never
duplicates it; `complete_pack` makes it downloadable only once it is stored.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from marac.db import utcnow
from marac.governance import operations
from marac.governance.models import SubjectAccessPack
from marac.governance.pack import build_zip, gather, render_pdf
from marac.jobs.models import Job
from marac.jobs.queue import Progress, job_handler
from marac.storage.backends import store

STEPS = 4


def _failed(db: Session, job: Job) -> None:
    operations.pack_failed(db, job.id)


@job_handler(operations.PACK_JOB, failed=_failed)
def produce_pack(db: Session, job: Job, progress: Progress) -> None:
    pack = db.get(SubjectAccessPack, job.object_id)
    if pack is None:
        raise LookupError("the pack is gone")
    pack_id, person_id = pack.id, pack.person_id
    progress(0, STEPS, "Gathering the records")
    gathered = gather(db, person_id)
    produced_at = utcnow()
    gathered.content["produced_at"] = produced_at.isoformat()
    progress(1, STEPS, "Writing the PDF")
    pdf = render_pdf(gathered.content)
    progress(2, STEPS, "Adding the attachments")
    target = store()
    data = build_zip(gathered, pdf, target)
    progress(3, STEPS, "Storing the pack")
    stored = target.put(f"subject-access/{pack_id}/job-{job.id}.zip", data)
    count = gathered.record_count
    db.rollback()  # end the read transaction: the completion reads the pack afresh
    operations.complete_pack(db, pack_id, stored, count, produced_at)
    progress(STEPS, STEPS, "The subject access pack is ready")
