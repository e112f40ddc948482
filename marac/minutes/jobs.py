"""The minutes' background work: issuing a version, rendering the agenda PDF.

`issue_minutes` renders every document of the version, puts each in the store under a
key fixed by the job and the document (a rerun overwrites, never duplicates), reports
progress after each one, and only then calls `complete_issue`, which makes the version
visible in one transaction. A worker killed mid-job leaves stored objects nobody can
see; the sweeper hands the job to another worker, which renders them again.
"""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy.orm import Session

from marac.accounts.models import User
from marac.jobs.models import Job
from marac.jobs.queue import Progress, job_handler
from marac.minutes import lifecycle, operations
from marac.minutes.content import gather_agenda, gather_minutes
from marac.minutes.models import RenderedKind
from marac.minutes.render import render_agenda
from marac.panels.models import Meeting
from marac.storage.backends import store


def _issue_failed(db: Session, job: Job) -> None:
    operations.issue_failed(db, job.id)


@job_handler(operations.ISSUE_JOB, failed=_issue_failed)
def issue_minutes(db: Session, job: Job, progress: Progress) -> None:
    params = json.loads(job.params)
    number: int = params["number"]
    meeting = db.get(Meeting, job.object_id)
    requester = db.get(User, job.requested_by_id) if job.requested_by_id else None
    if meeting is None or requester is None:
        raise LookupError("the meeting or the coordinator who asked is gone")
    minutes = lifecycle.minutes_of(db, meeting)
    if minutes.current_version >= number:  # an earlier run finished: nothing new to issue
        progress(job.total_count, job.total_count, "The minutes are issued")
        return
    content = gather_minutes(db, meeting)
    documents = lifecycle.plan(content)
    total = len(documents)
    today = date.fromisoformat(params["today"])
    progress(0, total, "Rendering the documents")
    target = store()
    stored: list[lifecycle.StoredDocument] = []
    for done, (kind, agency_id) in enumerate(documents, start=1):
        pdf = lifecycle.render_document(content, kind, agency_id, number, today)
        key = lifecycle.document_key(meeting.id, f"job-{job.id}", kind, agency_id)
        stored.append(lifecycle.store_document(target, key, kind, agency_id, pdf))
        progress(done, total)
    db.rollback()  # end the read transaction: the completion reads the rows afresh
    operations.complete_issue(
        db,
        requester,
        meeting.id,
        number=number,
        reason=params.get("reason", ""),
        documents=stored,
    )
    progress(total, total, "The minutes are issued")


@job_handler(operations.AGENDA_JOB)
def agenda_pdf(db: Session, job: Job, progress: Progress) -> None:
    """Render the agenda as it stands and keep it under a key named by its fingerprint."""
    meeting = db.get(Meeting, job.object_id)
    if meeting is None:
        raise LookupError("the meeting is gone")
    lines = gather_agenda(db, meeting)
    fingerprint = lifecycle.agenda_fingerprint(meeting, lines)
    progress(0, 1, "Rendering the agenda")
    pdf = render_agenda(meeting, lines)
    key = f"agendas/{meeting.id}/{fingerprint}.pdf"
    stored = lifecycle.store_document(store(), key, RenderedKind.AGENDA.value, None, pdf)
    db.rollback()
    operations.store_agenda_pdf(db, meeting.id, fingerprint, stored, job.id)
    progress(1, 1, "The agenda PDF is ready")
