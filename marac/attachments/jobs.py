"""The scan job for a file stored while clamd was down, and the periodic safety net.

`attachment_scan` retries (the queue's attempts) while the scanner does not answer;
after the last attempt the file simply stays quarantined, and `rescan_quarantined`
queues it again every ten minutes until clamd answers. Both are safe to run twice.
"""

from __future__ import annotations

import json

from huey import crontab
from sqlalchemy.orm import Session

from marac.attachments import operations
from marac.jobs.models import Job
from marac.jobs.queue import Progress, job_handler, periodic


def _still_quarantined(db: Session, job: Job) -> None:
    job.message = "The virus scanner did not answer; the document stays quarantined"
    db.commit()


@job_handler(operations.SCAN_JOB, failed=_still_quarantined)
def scan_attachment(db: Session, job: Job, progress: Progress) -> None:
    attachment_id = int(json.loads(job.params)["attachment_id"])
    progress(0, 1, "Checking the document for viruses")
    status = operations.record_scan(db, attachment_id)
    progress(1, 1, f"Checked: {status}")


@periodic(crontab(minute="*/10"))
def rescan_quarantined(db: Session) -> None:
    operations.rescan_quarantined(db)
