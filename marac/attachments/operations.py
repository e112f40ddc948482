"""Every write to an attachment: upload (scanned at once when clamd answers), the scan's
verdict, the rescan of files still waiting, and the audited download.

An upload is scanned before it is stored whenever the scanner answers, so an infected
file never reaches the store and the uploader is told at once. When clamd cannot be
reached the file is stored quarantined (listed, never downloadable) and a scan job is
queued; a file is never "clean by default".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from marac.accounts.models import User
from marac.attachments import access, rules
from marac.attachments.models import Attachment, AttachmentStatus
from marac.audit import record
from marac.db import utcnow
from marac.jobs.models import Job, JobStatus
from marac.jobs.queue import submit
from marac.notify.events import Notice, deliver, quietly
from marac.operations import Invalid, NotFound, OperationError, allow, operation
from marac.storage import backends
from marac.storage.backends import StorageError, Store
from marac.storage.scan import ScannerUnavailable, ScanResult, scan

log = logging.getLogger(__name__)

OBJECT = "attachment"
SCAN_JOB = "attachment_scan"
ATTACHMENT_INFECTED = "attachment_infected"
NOT_SAVED = "The file could not be saved. Try again, or contact your MARAC coordinator"


class NotReady(OperationError):
    """The document is not downloadable (waiting for its scan, or refused): 409."""

    status = 409


@dataclass(frozen=True)
class Upload:
    filename: str  # as the browser sent it
    data: bytes
    description: str = ""


def _settings() -> Any:
    return current_app.config["MARAC_SETTINGS"]


def _audit_owner(attachment: Attachment) -> str:
    kind, owner_id = attachment.owner
    return f"{kind} {owner_id}"


@operation
def add_attachment(
    db: Session,
    actor: User,
    kind: str,
    record_id: int,
    upload: Upload,
    *,
    store: Store | None = None,
) -> Attachment:
    """Check, scan and store an upload on an incident, referral or action.

    Returns the row: `clean`, `quarantined` (scan queued) or `infected` (refused: the
    bytes were never stored; the row and its audit row are the record of the attempt).
    """
    owner = access.load_owner(db, kind, record_id)
    allow(access.can_add(db, actor, owner))
    settings = _settings()
    problem, mime = rules.file_problem(upload.data, settings.upload_max_bytes)
    description = (upload.description or "").strip()
    errors = {"file": problem, "description": rules.description_problem(description)}
    if any(errors.values()):
        raise Invalid({k: v for k, v in errors.items() if v})
    store = store or backends.store()
    attachment = Attachment(
        filename=rules.clean_filename(upload.filename),
        description=description,
        mime=mime,
        size=len(upload.data),
        sha256=backends.sha256_of(upload.data),
        uploaded_by_id=actor.id,
        uploaded_at=utcnow(),
        **{f"{kind}_id": record_id},
    )
    try:
        verdict: ScanResult | None = scan(settings.clamd_address, upload.data)
    except ScannerUnavailable as down:
        log.warning("virus scanner unavailable, upload quarantined: %s", down)
        verdict = None
    if verdict is not None and not verdict.clean:
        attachment.status = AttachmentStatus.INFECTED.value
        attachment.signature = verdict.signature[:200]
        attachment.scanned_at = utcnow()
        db.add(attachment)
        db.flush()
        _audit_infected(db, attachment, actor)
        return attachment
    key = backends.new_key(f"attachments/{kind}/{record_id}")
    try:
        store.put(key, upload.data)
    except StorageError as failed:
        log.error("attachment not stored: %s", failed)
        raise Invalid({"file": NOT_SAVED}) from failed
    attachment.storage_key = key
    if verdict is not None:
        attachment.status = AttachmentStatus.CLEAN.value
        attachment.scanned_at = utcnow()
    db.add(attachment)
    db.flush()
    if verdict is None:
        _queue_scan(db, attachment, actor.id)
    record(
        db,
        "attachment_added",
        OBJECT,
        attachment.id,
        f"Attached document {attachment.id} ({attachment.status}) to {_audit_owner(attachment)}",
        user=actor,
    )
    return attachment


def _queue_scan(db: Session, attachment: Attachment, requested_by_id: int | None) -> None:
    submit(
        db,
        SCAN_JOB,
        requested_by_id=requested_by_id,
        title="Checking a document for viruses",
        object_type=OBJECT,
        object_id=attachment.id,
        params={"attachment_id": attachment.id},
    )


def _audit_infected(db: Session, attachment: Attachment, actor: User | None) -> None:
    """The refusal's audit row: which record, which document; never its content."""
    record(
        db,
        ATTACHMENT_INFECTED,
        OBJECT,
        attachment.id,
        f"Refused document {attachment.id} on {_audit_owner(attachment)}: a virus was found",
        user=actor,
    )


@quietly
def _tell_uploader(db: Session, attachment: Attachment) -> None:
    """A scan that found a virus later: the uploader hears the document was refused."""
    uploader = db.get(User, attachment.uploaded_by_id)
    if uploader is None or not uploader.active:
        return
    kind, owner_id = attachment.owner
    link = {"incident": "/incidents/", "referral": "/referrals/", "action": "/actions/"}[kind]
    deliver(
        db,
        [uploader],
        Notice(
            ATTACHMENT_INFECTED,
            "MARAC document refused: a virus was found",
            "A document you attached was found to contain a virus when it was checked. "
            "It has been deleted and is not attached. Check the file and your computer.",
            "",
            f"{link}{owner_id}",
        ),
    )


@operation
def record_scan(db: Session, attachment_id: int, *, store: Store | None = None) -> str:
    """Scan a quarantined file (the scan job); its new status. Safe to run twice: a file
    already scanned is left alone. Raises `ScannerUnavailable` to be tried again."""
    attachment = db.get(Attachment, attachment_id, with_for_update=True)
    if attachment is None:
        raise NotFound()
    if attachment.status != AttachmentStatus.QUARANTINED.value:
        return attachment.status
    store = store or backends.store()
    data = backends.get(store, attachment.storage_key, attachment.sha256)
    verdict = scan(_settings().clamd_address, data)
    attachment.scanned_at = utcnow()
    if verdict.clean:
        attachment.status = AttachmentStatus.CLEAN.value
        record(
            db,
            "attachment_scanned",
            OBJECT,
            attachment.id,
            f"Document {attachment.id} on {_audit_owner(attachment)} checked: no virus found",
            user=None,
        )
        return attachment.status
    attachment.status = AttachmentStatus.INFECTED.value
    attachment.signature = verdict.signature[:200]
    key, attachment.storage_key = attachment.storage_key, ""
    store.delete(key)
    _audit_infected(db, attachment, None)
    _tell_uploader(db, attachment)
    return attachment.status


@operation
def rescan_quarantined(db: Session, limit: int = 100) -> list[int]:
    """Queue a scan for each quarantined file with no scan job waiting or running (the
    scanner was down through every attempt): the periodic safety net."""
    waiting = exists().where(
        Job.kind == SCAN_JOB,
        Job.object_type == OBJECT,
        Job.object_id == Attachment.id,
        Job.status.in_([JobStatus.QUEUED.value, JobStatus.RUNNING.value]),
    )
    found = list(
        db.scalars(
            select(Attachment)
            .where(and_(Attachment.status == AttachmentStatus.QUARANTINED.value, ~waiting))
            .order_by(Attachment.id)
            .limit(limit)
        )
    )
    for attachment in found:
        _queue_scan(db, attachment, None)
    return [a.id for a in found]


@operation
def download_attachment(
    db: Session, viewer: User, attachment_id: int, *, store: Store | None = None
) -> tuple[Attachment, bytes]:
    """The document's checked bytes for a viewer who may see its record; audited."""
    attachment = db.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound()
    owner = access.owner_of(db, attachment)
    allow(access.can_view(db, viewer, owner))
    if attachment.status == AttachmentStatus.QUARANTINED.value:
        raise NotReady(
            "This document is still being checked for viruses. Try again in a few minutes."
        )
    if attachment.status != AttachmentStatus.CLEAN.value:
        raise NotReady("This document was refused because a virus was found. It was deleted.")
    data = backends.get(store or backends.store(), attachment.storage_key, attachment.sha256)
    record(
        db,
        "attachment_downloaded",
        OBJECT,
        attachment.id,
        f"Downloaded document {attachment.id} on {_audit_owner(attachment)}",
        user=viewer,
    )
    return attachment, data
