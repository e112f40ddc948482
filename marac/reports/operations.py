"""Writes of reports: partnership targets, and the audit row of every export."""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from marac.accounts.models import Area, Role, User
from marac.audit import record
from marac.jobs.models import Job
from marac.jobs.queue import submit
from marac.minutes.models import RenderedKind, StoredPdf
from marac.operations import Conflict, Invalid, NotFound, allow, operation
from marac.reports.access import REPORTING_ROLES
from marac.reports.models import PartnershipTarget
from marac.reports.pack_pdf import scope_params
from marac.reports.queries import Scope
from marac.reports.tables import Table
from marac.storage.backends import StorageError, get, sha256_of, store

log = logging.getLogger(__name__)

NAME_LIMIT = 200
CHANGE_RANGE = (-100, 1000)


@dataclass(frozen=True)
class TargetValues:
    """What a target says; `area_id` None is the whole borough."""

    name: str
    baseline_start: date
    baseline_end: date
    change_percent: int
    measured_start: date
    measured_end: date
    area_id: int | None  # last: the audit summary names changed fields in this order


def _check(db: Session, values: TargetValues) -> None:
    """The rules the target form shows, held here so every door keeps them."""
    errors: dict[str, str] = {}
    if not values.name.strip():
        errors["name"] = "Enter what the target is called"
    elif len(values.name) > NAME_LIMIT:
        errors["name"] = f"Field cannot be longer than {NAME_LIMIT} characters."
    low, high = CHANGE_RANGE
    if not low <= values.change_percent <= high:
        errors["change_percent"] = f"Target change must be from {low} to {high}"
    if values.baseline_end < values.baseline_start:
        errors["baseline_end"] = "Baseline period ends must be on or after its start"
    if values.measured_end < values.measured_start:
        errors["measured_end"] = "Measured period ends must be on or after its start"
    if values.area_id is not None and db.get(Area, values.area_id) is None:
        errors["area_id"] = "Not a valid choice."
    if errors:
        raise Invalid(errors)


def _apply(target: PartnershipTarget, values: TargetValues) -> list[str]:
    """Copy the values onto the target; how the fields that changed are named."""
    changed = []
    for item in fields(values):
        new = getattr(values, item.name)
        if getattr(target, item.name) != new:
            setattr(target, item.name, new)
            changed.append("area" if item.name == "area_id" else item.name.replace("_", " "))
    return changed


def _target(db: Session, target_id: int) -> PartnershipTarget:
    target = db.get(PartnershipTarget, target_id)
    if target is None:
        raise NotFound()
    return target


@operation
def create_target(db: Session, actor: User, values: TargetValues) -> PartnershipTarget:
    """Add a partnership target (admins only)."""
    allow(actor.has_role(Role.ADMIN))
    _check(db, values)
    target = PartnershipTarget(created_by_id=actor.id)
    _apply(target, values)
    db.add(target)
    db.flush()
    record(db, "create", "partnership_target", target.id, target.name, user=actor)
    return target


@operation
def update_target(
    db: Session, actor: User, target_id: int, *, version: int, values: TargetValues
) -> list[str]:
    """Change a target; a save based on an older version raises `Conflict`, never applies.

    Returns how the changed fields are named (empty: nothing changed, nothing recorded).
    """
    allow(actor.has_role(Role.ADMIN))
    target = _target(db, target_id)
    if version != target.version:
        raise Conflict()
    _check(db, values)
    changed = _apply(target, values)
    if not changed:
        return changed
    record(
        db,
        "update",
        "partnership_target",
        target.id,
        f"Changed {', '.join(changed)} of {target.name}",
        user=actor,
    )
    try:
        db.flush()
    except StaleDataError as error:
        raise Conflict() from error
    return changed


@operation
def delete_target(db: Session, actor: User, target_id: int) -> str:
    """Delete a target (admins only); returns its name for the confirmation."""
    allow(actor.has_role(Role.ADMIN))
    target = _target(db, target_id)
    record(db, "delete", "partnership_target", target.id, target.name, user=actor)
    name = target.name
    db.delete(target)
    return name


@operation
def record_table_export(db: Session, actor: User, scope: Scope, table: Table) -> None:
    """Audit one dashboard table leaving the system as CSV."""
    allow(actor.has_role(*REPORTING_ROLES))
    record(
        db,
        "export",
        "report",
        None,
        f"{table.title} CSV, {scope.area_label}, {scope.period_label}",
        user=actor,
    )


@operation
def record_pack_export(db: Session, actor: User, scope: Scope, *, kind: str) -> None:
    """Audit the partnership pack leaving the system (`kind` is "CSV" or "PDF")."""
    allow(actor.has_role(*REPORTING_ROLES))
    allow(kind in {"CSV", "PDF"})
    record(
        db,
        "export",
        "report",
        None,
        f"Partnership pack {kind}, {scope.area_label}, {scope.period_label}",
        user=actor,
    )


PACK_JOB = "partnership_pack_pdf"  # handled in reports.jobs


@dataclass(frozen=True)
class PackDownload:
    """The pack PDF as it stands, if stored (`data` None otherwise; `failed` when the
    stored copy failed its hash check or is missing)."""

    data: bytes | None
    failed: bool = False


def _stored_pack(db: Session, fingerprint: str) -> StoredPdf | None:
    return db.scalars(
        select(StoredPdf)
        .where(StoredPdf.kind == RenderedKind.PACK.value, StoredPdf.fingerprint == fingerprint)
        .order_by(StoredPdf.id.desc())
        .limit(1)
    ).first()


@operation
def download_pack_pdf(db: Session, actor: User, scope: Scope, fingerprint: str) -> PackDownload:
    """The stored pack PDF rendered from exactly this HTML (`fingerprint`), hash-checked;
    audited as an export when it is served."""
    allow(actor.has_role(*REPORTING_ROLES))
    stored = _stored_pack(db, fingerprint)
    if stored is None:
        return PackDownload(None)
    try:
        data = get(store(), stored.storage_key, stored.sha256)
    except StorageError as error:
        log.error("partnership pack PDF %s cannot be served: %s", stored.id, error)
        record(
            db,
            "export_failed",
            "report",
            None,
            f"Refused to serve the partnership pack PDF (stored PDF {stored.id}): the stored "
            "copy does not match its SHA-256 or is missing",
            user=actor,
        )
        return PackDownload(None, failed=True)
    record_pack_export(db, actor, scope, kind="PDF")
    return PackDownload(data)


@operation
def request_pack_pdf(db: Session, actor: User, scope: Scope, link: str) -> Job:
    """Ask the worker to render the pack for this scope; `link` downloads it when ready."""
    allow(actor.has_role(*REPORTING_ROLES))
    job = submit(
        db,
        PACK_JOB,
        requested_by_id=actor.id,
        title="Preparing the partnership pack PDF",
        object_type="report",
        params=scope_params(scope),
        total=1,
        result_link=link,
    )
    record(
        db,
        "pack_pdf_requested",
        "report",
        None,
        f"Asked for the partnership pack PDF, {scope.area_label}, {scope.period_label} "
        f"(job {job.id})",
        user=actor,
    )
    return job


@operation
def store_pack_pdf(
    db: Session, fingerprint: str, key: str, data: bytes, page_count: int, job_id: int
) -> StoredPdf:
    """Record a rendered pack already in the store; a rerun adds nothing new."""
    digest = sha256_of(data)
    found = _stored_pack(db, fingerprint)
    if found is not None and found.sha256 == digest:
        return found
    job = db.get(Job, job_id)
    row = StoredPdf(
        kind=RenderedKind.PACK.value,
        object_id=None,
        fingerprint=fingerprint,
        storage_key=key,
        sha256=digest,
        size_bytes=len(data),
        page_count=page_count,
        created_by_id=job.requested_by_id if job else None,
    )
    db.add(row)
    db.flush()
    record(
        db,
        "pack_pdf_stored",
        "report",
        None,
        f"Stored a partnership pack PDF (stored PDF {row.id}, job {job_id})",
        user=None,
    )
    return row
