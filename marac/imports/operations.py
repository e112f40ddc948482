"""Every write of a bulk import: upload, mapping, start, abandon, and each row's import.

A row is imported through the operations the pages use (`record_incident` with matching
in "queue" mode, `refer_case`, `accept_referral` / `decline_referral`), nested inside
`import_row`, so the row's incident, referral, audit rows and its `ImportedRow` are one
transaction: a row is either wholly imported and remembered, or not at all.
"""

from __future__ import annotations

import json
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from marac.accounts.areas import covers_area
from marac.accounts.models import Area, Role, User
from marac.audit import record
from marac.db import utcnow
from marac.imports import fields
from marac.imports.models import BatchStatus, ImportBatch, ImportedRow
from marac.imports.reading import Unreadable, file_type, read_table
from marac.incidents.operations import record_incident
from marac.jobs.models import Job
from marac.jobs.queue import after_commit, submit
from marac.operations import Conflict, Invalid, NotFound, allow, operation
from marac.referrals.operations import accept_referral, decline_referral, refer_case
from marac.storage.backends import new_key, store

OBJECT = "import_batch"
JOB_KIND = "import_rows"
UK = ZoneInfo("Europe/London")
REFERRED_AT = time(12, 0)  # a historic referral has a day, not a time: noon, UK


def may_import(actor: User) -> bool:
    """Coordinators import: they screen what an import makes, in the areas they cover."""
    return bool(actor.active) and actor.has_role(Role.COORDINATOR)


def _own(
    db: Session, actor: User, batch_id: int, *, status: BatchStatus | None = None
) -> ImportBatch:
    allow(may_import(actor))
    batch = db.get(ImportBatch, batch_id)
    if batch is None or batch.uploaded_by_id != actor.id:
        raise NotFound()
    if status is not None and batch.status != status.value:
        raise Conflict("This import has already been started or abandoned.")
    return batch


@operation
def upload_file(
    db: Session, actor: User, *, filename: str, data: bytes, max_bytes: int
) -> ImportBatch:
    """Check the file is a readable CSV or XLSX within the limits, store it, guess the mapping."""
    allow(may_import(actor))
    if len(data) > max_bytes:
        raise Invalid(
            {"file": f"The selected file must be smaller than {max_bytes // 1_000_000} MB"}
        )
    try:
        kind = file_type(data)
        headers, rows = read_table(data, kind)
    except Unreadable as error:
        raise Invalid({"file": str(error)}) from error
    key = new_key(f"imports/{actor.id}", f".{kind}")
    stored = store().put(key, data)
    after_rollback_delete(db, key)
    batch = ImportBatch(
        uploaded_by_id=actor.id,
        filename=filename.strip()[-200:] or f"upload.{kind}",
        file_type=kind,
        store_key=stored.key,
        sha256=stored.sha256,
        size=stored.size,
        row_count=len(rows),
        headers=json.dumps(headers),
        mapping=json.dumps({str(i): k for i, k in fields.guess_mapping(headers).items()}),
    )
    db.add(batch)
    db.flush()
    n = len(rows)
    record(
        db,
        "import_uploaded",
        OBJECT,
        batch.id,
        f"Uploaded import {batch.id} ({n} rows)",
        user=actor,
    )
    return batch


def after_rollback_delete(db: Session, key: str) -> None:
    """A stored upload whose batch row is never committed is removed again."""
    committed: list[bool] = []
    after_commit(db, lambda: committed.append(True))

    def drop(_session: Session) -> None:
        if not committed:
            store().delete(key)

    event.listen(db, "after_rollback", drop, once=True)


@operation
def save_mapping(db: Session, actor: User, batch_id: int, chosen: dict[int, str]) -> ImportBatch:
    """Which of our fields each column fills ("" ignores it); each field from one column."""
    batch = _own(db, actor, batch_id, status=BatchStatus.UPLOADED)
    width = len(json.loads(batch.headers))
    twice = fields.duplicate_fields(chosen.values())
    if twice:
        raise Invalid(
            {
                f"column-{i}": f"{fields.label_of(k)} is chosen for more than one column"
                for i, k in chosen.items()
                if k in twice
            }
        )
    if any(k and k not in fields.BY_KEY for k in chosen.values()) or any(
        i >= width for i in chosen
    ):
        raise Invalid({"mapping": "Select one of our fields, or ignore the column"})
    batch.mapping = json.dumps({str(i): k for i, k in sorted(chosen.items()) if k})
    record(
        db,
        "import_mapped",
        OBJECT,
        batch.id,
        f"Mapped the columns of import {batch.id}",
        user=actor,
    )
    return batch


@operation
def start_import(db: Session, actor: User, batch_id: int, *, ready: int, result_link: str) -> Job:
    """Queue the import job (once): it imports every ready row, skipping rows with errors."""
    batch = _own(db, actor, batch_id, status=BatchStatus.UPLOADED)
    if ready < 1:
        raise Invalid({"import": "There are no rows without errors to import"})
    batch.status = BatchStatus.IMPORTING.value
    job = submit(
        db,
        JOB_KIND,
        requested_by_id=actor.id,
        title=f"Importing {batch.filename}",
        object_type=OBJECT,
        object_id=batch.id,
        params={"batch_id": batch.id},
        total=batch.row_count,
        result_link=result_link,
    )
    batch.job_id = job.id
    record(db, "import_started", OBJECT, batch.id, f"Started import {batch.id}", user=actor)
    return job


@operation
def abandon_import(db: Session, actor: User, batch_id: int) -> ImportBatch:
    """Give up on an upload: its file (personal data) is deleted from the store."""
    batch = _own(db, actor, batch_id, status=BatchStatus.UPLOADED)
    batch.status = BatchStatus.ABANDONED.value
    batch.finished_at = utcnow()
    _forget_file(db, batch)
    record(db, "import_abandoned", OBJECT, batch.id, f"Abandoned import {batch.id}", user=actor)
    return batch


def _forget_file(db: Session, batch: ImportBatch) -> None:
    key = batch.store_key
    batch.store_key = ""
    if key:
        after_commit(db, lambda: store().delete(key))


def area_problem(actor: User, area: Area | None, postcode: str) -> str | None:
    """A coordinator imports only into the areas they cover (a known one, never a guess)."""
    if area is None:
        shown = postcode or "no postcode"
        return (
            f"{shown} is not in any of the borough's areas: "
            "every row needs a postcode in an area you cover"
        )
    if not covers_area(actor, area.id):
        return f"{postcode} is in {area.name}, which you do not cover"
    return None


@operation
def import_row(
    db: Session, actor: User, batch_id: int, row: fields.ParsedRow, area: Area
) -> ImportedRow | None:
    """Import one checked row, or nothing if a row with its fingerprint is already in.

    The unique (area, fingerprint) key is the guarantee: two runs racing on one row both
    try, and the second's commit fails, taking its incident with it.
    """
    allow(may_import(actor) and covers_area(actor, area.id))
    batch = db.get(ImportBatch, batch_id)
    if batch is None or batch.uploaded_by_id != actor.id:
        raise NotFound()
    done = db.scalar(
        select(ImportedRow).where(
            ImportedRow.area_id == area.id, ImportedRow.fingerprint == row.fingerprint
        )
    )
    if done is not None:
        return None
    if row.errors:
        raise Invalid(row.errors)
    made = record_incident(db, actor, row.details, similar="queue")
    incident = made.incident
    referral_id = None
    if row.referral is not None:
        referred_at = datetime.combine(row.referral.day, REFERRED_AT, tzinfo=UK)
        referral = refer_case(
            db,
            actor,
            incident.person_id,
            fields.partner_referral(row.referral, incident.id),
            now=referred_at,
        )
        db.flush()
        if row.referral.decision == "accepted":
            accept_referral(
                db,
                actor,
                referral.id,
                version=referral.version,
                area_id=referral.area_id or area.id,
            )
        elif row.referral.decision == "declined":
            decline_referral(
                db,
                actor,
                referral.id,
                version=referral.version,
                reason="other",
                details=row.referral.decision_notes,
            )
        referral_id = referral.id
    imported = ImportedRow(
        area_id=area.id,
        fingerprint=row.fingerprint,
        batch_id=batch.id,
        row_number=row.number,
        incident_id=incident.id,
        referral_id=referral_id,
    )
    db.add(imported)
    db.flush()
    number = row.number
    record(
        db,
        "import_row_imported",
        OBJECT,
        batch.id,
        f"Import {batch.id} row {number}: incident {incident.id}",
        user=actor,
    )
    return imported


@operation
def finish_import(
    db: Session, actor: User | None, batch_id: int, *, duplicates: int, errors: int
) -> ImportBatch:
    """Record how the import ended and delete the file: it is no longer needed."""
    batch = db.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound()
    imported = len(db.scalars(select(ImportedRow.id).where(ImportedRow.batch_id == batch.id)).all())
    batch.status = BatchStatus.IMPORTED.value
    batch.imported_count = imported
    batch.duplicate_count = duplicates
    batch.error_count = errors
    batch.finished_at = utcnow()
    _forget_file(db, batch)
    a, b, n = imported, duplicates, errors
    record(
        db,
        "import_finished",
        OBJECT,
        batch.id,
        f"Finished import {batch.id}: {a} imported, {b} already imported, {n} skipped",
        user=actor,
    )
    return batch


@operation
def reopen_import(db: Session, batch_id: int) -> None:
    """After the job's last attempt failed: the upload waits again, to be tried again
    (rows imported before the failure are skipped then)."""
    batch = db.get(ImportBatch, batch_id)
    if batch is None or batch.status != BatchStatus.IMPORTING.value:
        return
    batch.status = BatchStatus.UPLOADED.value
    record(db, "import_failed", OBJECT, batch.id, f"Import {batch.id} could not be finished")
