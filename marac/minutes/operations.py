"""Every write to a meeting's minutes: the chair approves, the coordinator issues and
corrects them. Each step checks the actor and the minutes' version, runs the lifecycle
(`minutes.lifecycle` holds the rules), records the audit row and tells the agencies, in
one transaction. Issuing is two steps: the request (`issue_minutes`, `correct_minutes`)
records a job and returns at once; the job renders and stores every document, then
`complete_issue` makes the version visible in one transaction. Downloads and previews
are audited reads, so they are operations too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from marac.accounts.models import Agency, User
from marac.audit import record
from marac.db import utcnow
from marac.formatting import uk_today
from marac.jobs.models import Job
from marac.jobs.queries import unfinished_for
from marac.jobs.queue import submit
from marac.meetings.record_lock import DISPOSED_MESSAGE, record_disposed
from marac.minutes import lifecycle, notices
from marac.minutes.content import gather_agenda, gather_minutes
from marac.minutes.models import (
    DocumentKind,
    IssuedDocument,
    Minutes,
    MinutesStatus,
    RenderedKind,
    StoredPdf,
)
from marac.minutes.queries import meeting_of
from marac.minutes.render import render_full_minutes
from marac.operations import Conflict, Invalid, NotFound, allow, operation
from marac.panels.access import runs_panel
from marac.panels.models import Meeting
from marac.pdfs import document_name
from marac.storage.backends import Corrupt, StorageError, get, sha256_of, store

log = logging.getLogger(__name__)

OBJECT = "minutes"
ISSUE_JOB = "issue_minutes"  # handled in minutes.jobs
AGENDA_JOB = "agenda_pdf"
LOOKED_AWAY = "Someone else changed these minutes while you were looking. Check and try again"
SAME_MOMENT = "Someone else changed these minutes at the same moment. Check and try again"
REASON_LIMIT = 2000


def _current(db: Session, meeting: Meeting, version: int) -> Minutes:
    """The minutes, if still at the version the actor saw (`Conflict` otherwise)."""
    minutes = lifecycle.minutes_of(db, meeting)
    if version != (minutes.version or 1):
        raise Conflict(LOOKED_AWAY)
    return minutes


def _flush_or_conflict(db: Session) -> None:
    try:
        db.flush()
    except StaleDataError as stale:
        raise Conflict(SAME_MOMENT) from stale


def _not_disposed(meeting: Meeting) -> None:
    """A record disposed of under the retention schedule is never rendered or issued again."""
    if record_disposed(meeting):
        raise Invalid({"minutes": DISPOSED_MESSAGE}, DISPOSED_MESSAGE)


def _lifecycle_invalid(error: lifecycle.MinutesError, field: str = "minutes") -> Invalid:
    return Invalid({field: str(error)}, str(error))


@operation
def approve_minutes(db: Session, actor: User, meeting_id: int, *, version: int) -> Minutes:
    """The chair (or, with no chair recorded, a coordinator running the panel) approves
    the draft once the meeting record is complete."""
    meeting = meeting_of(db, meeting_id)
    allow(lifecycle.can_approve(actor, meeting))
    _not_disposed(meeting)
    _current(db, meeting, version)
    try:
        minutes = lifecycle.approve(db, meeting, actor)
    except lifecycle.MinutesError as error:
        raise _lifecycle_invalid(error) from error
    record(db, "minutes_approved", OBJECT, meeting.id, "Approved the minutes", user=actor)
    _flush_or_conflict(db)
    return minutes


def _ask_to_issue(
    db: Session, actor: User, meeting: Meeting, minutes: Minutes, today: date, reason: str = ""
) -> Job:
    """Record the request and queue the job; one issue at a time per meeting."""
    if unfinished_for(db, ISSUE_JOB, OBJECT, meeting.id) is not None:
        message = "These minutes are already being issued: wait for that to finish"
        raise Invalid({"reason" if reason else "minutes": message}, message)
    try:
        number = lifecycle.check_issue(minutes, reason)
    except lifecycle.MinutesError as error:
        raise _lifecycle_invalid(error, "reason" if reason else "minutes") from error
    # Touching the row moves its version on, so a second request made at the same moment
    # from the same page is a conflict rather than a second job.
    minutes.updated_at = utcnow()
    db.add(minutes)
    _flush_or_conflict(db)
    return submit(
        db,
        ISSUE_JOB,
        requested_by_id=actor.id,
        title="Issuing the minutes" if number == 1 else f"Issuing correction version {number}",
        object_type=OBJECT,
        object_id=meeting.id,
        params={"number": number, "reason": reason, "today": today.isoformat()},
        result_link=f"/meetings/{meeting.id}/minutes",
    )


@operation
def issue_minutes(
    db: Session, actor: User, meeting_id: int, *, version: int, today: date | None = None
) -> Job:
    """Ask for version 1 of the approved minutes and every action-owning agency's extract.

    The job renders and stores them and makes them visible at once when all are stored.
    Minutes already issued are corrected (`correct_minutes`), never issued again.
    """
    meeting = meeting_of(db, meeting_id)
    allow(lifecycle.can_issue(actor, meeting))
    _not_disposed(meeting)
    if lifecycle.minutes_of(db, meeting).status == MinutesStatus.ISSUED.value:
        message = "These minutes are already issued: issue a correction with a reason instead"
        raise Invalid({"minutes": message}, message)
    minutes = _current(db, meeting, version)
    job = _ask_to_issue(db, actor, meeting, minutes, today or uk_today())
    record(
        db,
        "minutes_issue_requested",
        OBJECT,
        meeting.id,
        f"Asked to issue version 1 of the minutes and extracts (job {job.id})",
        user=actor,
    )
    return job


@operation
def correct_minutes(
    db: Session,
    actor: User,
    meeting_id: int,
    *,
    version: int,
    reason: str,
    today: date | None = None,
) -> Job:
    """Ask for a corrected version of issued minutes; the reason is shown with it."""
    meeting = meeting_of(db, meeting_id)
    allow(lifecycle.can_issue(actor, meeting))
    _not_disposed(meeting)
    minutes = lifecycle.minutes_of(db, meeting)
    if minutes.status != MinutesStatus.ISSUED.value:
        raise NotFound()
    _current(db, meeting, version)
    reason = reason.strip()
    if not reason:
        raise Invalid({"reason": "Enter the reason for the correction"})
    if len(reason) > REASON_LIMIT:
        raise Invalid({"reason": f"The reason must be {REASON_LIMIT} characters or fewer"})
    job = _ask_to_issue(db, actor, meeting, minutes, today or uk_today(), reason)
    record(
        db,
        "minutes_correction_requested",
        OBJECT,
        meeting.id,
        f"Asked to issue correction version {minutes.current_version + 1} (reason given, "
        f"job {job.id})",
        user=actor,
    )
    return job


@operation
def start_correction(db: Session, actor: User, meeting_id: int, *, version: int) -> Meeting:
    """Re-open the meeting record of issued minutes for a correction: the record may
    change again until the corrected version is issued (`lifecycle.record_issue` closes
    the correction). Starting one already open changes nothing."""
    meeting = meeting_of(db, meeting_id)
    allow(lifecycle.can_issue(actor, meeting))
    _not_disposed(meeting)
    minutes = lifecycle.minutes_of(db, meeting)
    if minutes.status != MinutesStatus.ISSUED.value:
        raise NotFound()
    _current(db, meeting, version)
    if unfinished_for(db, ISSUE_JOB, OBJECT, meeting.id) is not None:
        message = "These minutes are being issued: wait for that to finish"
        raise Invalid({"minutes": message}, message)
    if meeting.correction_open:
        return meeting
    meeting.correction_open = True
    record(
        db,
        "minutes_correction_started",
        OBJECT,
        meeting.id,
        f"Started a correction of version {minutes.current_version}: the meeting record is open",
        user=actor,
    )
    _flush_or_conflict(db)
    return meeting


@operation
def complete_issue(
    db: Session,
    actor: User,
    meeting_id: int,
    *,
    number: int,
    reason: str,
    documents: list[lifecycle.StoredDocument],
) -> list[IssuedDocument]:
    """The job's last step: every document is stored; make the version visible, audit it
    and tell the agencies and the coordinator, in one transaction. A rerun after a
    finished run finds the version issued and does nothing."""
    meeting = meeting_of(db, meeting_id)
    allow(lifecycle.can_issue(actor, meeting))
    minutes = lifecycle.minutes_of(db, meeting)
    if minutes.current_version >= number:
        return []
    if minutes.current_version != number - 1:
        raise Conflict(SAME_MOMENT)
    issued = lifecycle.record_issue(db, meeting, actor, number, documents, reason)
    page = f"/meetings/{meeting.id}/minutes"
    agencies = [d.agency_id for d in issued if d.agency_id is not None]
    notices.minutes_issued(
        db, meeting, agencies, full_link=page, extract_links=dict.fromkeys(agencies, page)
    )
    notices.issuing_finished(db, actor, meeting, ok=True)
    if number == 1:
        record(
            db,
            "minutes_issued",
            OBJECT,
            meeting.id,
            "Issued version 1 of the minutes and extracts",
            user=actor,
        )
    else:
        record(
            db,
            "minutes_corrected",
            OBJECT,
            meeting.id,
            f"Issued correction version {number} (reason given)",
            user=actor,
        )
    _flush_or_conflict(db)
    return issued


FAILED_MESSAGE = (
    "The minutes could not be issued. Nothing was issued or sent to the agencies. "
    "Try again from the minutes page; if it fails again, tell your administrator."
)


@operation
def issue_failed(db: Session, job_id: int) -> None:
    """Every attempt failed: say so on the job and tell the coordinator who asked."""
    job = db.get(Job, job_id)
    if job is None or job.object_id is None:
        return
    job.message = FAILED_MESSAGE
    meeting = db.get(Meeting, job.object_id)
    requester = db.get(User, job.requested_by_id) if job.requested_by_id else None
    if meeting is None:
        return
    record(
        db,
        "minutes_issue_failed",
        OBJECT,
        meeting.id,
        f"Issuing the minutes failed after {job.attempts} attempts (job {job.id})",
        user=requester,
    )
    if requester is not None:
        notices.issuing_finished(db, requester, meeting, ok=False)


@operation
def preview_minutes(db: Session, actor: User, meeting_id: int) -> bytes:
    """The draft as it would be issued today, for the coordinator to check (not stored)."""
    meeting = meeting_of(db, meeting_id)
    allow(runs_panel(actor, meeting.panel))
    _not_disposed(meeting)
    pdf = render_full_minutes(gather_minutes(db, meeting), None, None)
    record(db, "minutes_previewed", OBJECT, meeting.id, "Previewed the draft minutes", user=actor)
    return pdf.pdf


@dataclass(frozen=True)
class Download:
    """A document and its checked bytes; `data` None when the stored copy failed its check."""

    document: IssuedDocument
    data: bytes | None
    filename: str = "document.pdf"  # e.g. north-marac-2026-03-04-extract-ashbrook-police-v2.pdf
    disposed: bool = False  # the meeting's record was disposed of: the bytes are gone


def _checked_bytes(document: IssuedDocument) -> bytes:
    """The stored bytes if they match the recorded SHA-256 (`StorageError` otherwise)."""
    if document.storage_key:
        return get(store(), document.storage_key, document.sha256)
    if document.pdf is None or sha256_of(document.pdf) != document.sha256:
        raise Corrupt(f"document {document.id} does not match its recorded SHA-256")
    return document.pdf


@operation
def download_document(db: Session, actor: User, meeting_id: int, document_id: int) -> Download:
    """An issued PDF exactly as stored, for someone who may have it; audited. Bytes that
    fail the hash check (or a missing object) are never served: the failure is audited."""
    meeting = meeting_of(db, meeting_id)
    document = db.get(IssuedDocument, document_id)
    if document is None or document.meeting_id != meeting.id:
        raise NotFound()
    allow(lifecycle.can_download(actor, meeting, document))
    kind = "minutes" if document.kind == DocumentKind.FULL.value else "extract"
    agency = db.get(Agency, document.agency_id) if document.agency_id else None
    filename = document_name(
        meeting.panel.name,
        meeting.meeting_date.isoformat(),
        kind,
        agency.name if agency else "",
        f"v{document.version_number}",
    )
    if record_disposed(meeting):
        return Download(document, None, filename, disposed=True)
    try:
        data = _checked_bytes(document)
    except StorageError as error:
        log.error("issued document %s cannot be served: %s", document.id, error)
        record(
            db,
            "minutes_download_failed",
            OBJECT,
            meeting.id,
            f"Refused to serve {kind} version {document.version_number} (document "
            f"{document.id}): the stored copy is {_problem(error)}",
            user=actor,
        )
        return Download(document, None, filename)
    record(
        db,
        "minutes_downloaded",
        OBJECT,
        meeting.id,
        f"Downloaded {kind} version {document.version_number} (document {document.id}, "
        f"sha256 {document.sha256[:12]})",
        user=actor,
    )
    return Download(document, data, filename)


def _problem(error: StorageError) -> str:
    return "corrupt (SHA-256 mismatch)" if isinstance(error, Corrupt) else "missing"


@dataclass(frozen=True)
class AgendaDownload:
    """The agenda PDF as it stands, if a current copy is stored (`data` None otherwise;
    `failed` when the stored copy failed its check)."""

    data: bytes | None
    failed: bool = False
    disposed: bool = False  # the meeting's record was disposed of: no agenda PDF is held


def _stored_agenda(db: Session, meeting: Meeting, fingerprint: str) -> StoredPdf | None:
    return db.scalars(
        select(StoredPdf)
        .where(
            StoredPdf.kind == RenderedKind.AGENDA.value,
            StoredPdf.object_id == meeting.id,
            StoredPdf.fingerprint == fingerprint,
        )
        .order_by(StoredPdf.id.desc())
        .limit(1)
    ).first()


def agenda_fingerprint(db: Session, meeting: Meeting) -> str:
    return lifecycle.agenda_fingerprint(meeting, gather_agenda(db, meeting))


@operation
def download_agenda(db: Session, actor: User, meeting_id: int) -> AgendaDownload:
    """The published agenda's PDF, if one was rendered from the agenda as it stands now
    (amendments included); an older copy is never served. Audited."""
    meeting = meeting_of(db, meeting_id)
    allow(lifecycle.can_download_agenda(actor, meeting))
    if record_disposed(meeting):
        return AgendaDownload(None, disposed=True)
    stored = _stored_agenda(db, meeting, agenda_fingerprint(db, meeting))
    if stored is None:
        return AgendaDownload(None)
    try:
        data = get(store(), stored.storage_key, stored.sha256)
    except StorageError as error:
        log.error("agenda PDF %s cannot be served: %s", stored.id, error)
        record(
            db,
            "agenda_download_failed",
            "meeting",
            meeting.id,
            f"Refused to serve the agenda PDF (stored PDF {stored.id}): the stored copy is "
            f"{_problem(error)}",
            user=actor,
        )
        return AgendaDownload(None, failed=True)
    record(db, "agenda_downloaded", "meeting", meeting.id, "Downloaded the agenda PDF", user=actor)
    return AgendaDownload(data)


@operation
def request_agenda_pdf(db: Session, actor: User, meeting_id: int) -> Job:
    """Ask the worker to render the agenda as it stands; the actor's own unfinished
    request is returned rather than a second one."""
    meeting = meeting_of(db, meeting_id)
    allow(lifecycle.can_download_agenda(actor, meeting))
    _not_disposed(meeting)
    waiting = unfinished_for(db, AGENDA_JOB, "meeting", meeting.id)
    if waiting is not None and waiting.requested_by_id == actor.id:
        return waiting
    job = submit(
        db,
        AGENDA_JOB,
        requested_by_id=actor.id,
        title="Preparing the agenda PDF",
        object_type="meeting",
        object_id=meeting.id,
        total=1,
        result_link=f"/meetings/{meeting.id}/agenda.pdf",
    )
    record(
        db,
        "agenda_pdf_requested",
        "meeting",
        meeting.id,
        f"Asked for the agenda PDF (job {job.id})",
        user=actor,
    )
    return job


@operation
def store_agenda_pdf(
    db: Session, meeting_id: int, fingerprint: str, stored: lifecycle.StoredDocument, job_id: int
) -> StoredPdf:
    """Record a rendered agenda (already in the store); a rerun finds it and adds nothing."""
    meeting = meeting_of(db, meeting_id)
    found = _stored_agenda(db, meeting, fingerprint)
    if found is not None and found.sha256 == stored.sha256:
        return found
    job = db.get(Job, job_id)
    row = StoredPdf(
        kind=RenderedKind.AGENDA.value,
        object_id=meeting.id,
        fingerprint=fingerprint,
        storage_key=stored.key,
        sha256=stored.sha256,
        size_bytes=stored.size,
        page_count=stored.page_count,
        created_by_id=job.requested_by_id if job else None,
    )
    db.add(row)
    db.flush()
    record(
        db,
        "agenda_pdf_stored",
        "meeting",
        meeting.id,
        f"Stored the agenda PDF (stored PDF {row.id}, sha256 {row.sha256[:12]}, job {job_id})",
        user=None,
    )
    return row
