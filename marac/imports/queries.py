"""Reads of an import: the uploader's batches, and every row checked as the import will.

`check_rows` is the one place a row is judged, for the preview and for the job alike:
the mapping's parsing and the operations' rules (`fields.parse_row`), the area the row
falls in (the coordinator must cover it), the area's local strands, and whether a row
with the same fingerprint is already in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Area, Role, User
from marac.db import utcnow
from marac.imports import fields
from marac.imports.models import ImportBatch, ImportedRow
from marac.imports.operations import area_problem, may_import
from marac.imports.reading import Cell, read_table
from marac.incidents.models import Incident
from marac.incidents.placing import area_for_postcode, resolve_local_strands
from marac.operations import Conflict, NotFound, allow
from marac.people.models import postcode_district
from marac.storage.backends import StorageError, get, store


@dataclass
class CheckedRow:
    parsed: fields.ParsedRow
    area: Area | None
    done_in_batch: int | None  # the batch that imported a row with this fingerprint

    @property
    def number(self) -> int:
        return self.parsed.number

    @property
    def errors(self) -> dict[str, str]:
        return self.parsed.errors

    @property
    def ready(self) -> bool:
        return not self.errors and self.done_in_batch is None and self.area is not None


def own_batch(db: Session, actor: User, batch_id: int) -> ImportBatch:
    """The actor's own upload; another coordinator's is not theirs to know about (404)."""
    allow(may_import(actor))
    batch = db.get(ImportBatch, batch_id)
    if batch is None or batch.uploaded_by_id != actor.id:
        raise NotFound()
    return batch


def batches_of(db: Session, actor: User) -> list[ImportBatch]:
    allow(may_import(actor) and not actor.has_role(Role.ADMIN))
    return list(
        db.scalars(
            select(ImportBatch)
            .where(ImportBatch.uploaded_by_id == actor.id)
            .order_by(ImportBatch.id.desc())
            .limit(50)
        )
    )


def headers_of(batch: ImportBatch) -> list[str]:
    return list(json.loads(batch.headers))


def mapping_of(batch: ImportBatch) -> dict[int, str]:
    return fields.mapping_from(json.loads(batch.mapping), len(headers_of(batch)))


def table_of(batch: ImportBatch) -> list[list[Cell]]:
    """The stored file's rows, checked against the SHA-256 recorded at upload."""
    if not batch.store_key:
        raise Conflict("The file of this upload has been deleted: upload it again.")
    try:
        data = get(store(), batch.store_key, batch.sha256)
    except StorageError as error:
        raise Conflict("The uploaded file could not be read back: upload it again.") from error
    _headers, rows = read_table(data, batch.file_type)
    return rows


def check_rows(
    db: Session,
    actor: User,
    batch: ImportBatch,
    *,
    mapping: dict[int, str] | None = None,
    now: datetime | None = None,
) -> list[CheckedRow]:
    """Every data row of the file through the mapping and the rules, in file order."""
    now = now or utcnow()
    mapping = mapping if mapping is not None else mapping_of(batch)
    areas: dict[str, Area | None] = {}
    checked: list[CheckedRow] = []
    for offset, cells in enumerate(table_of(batch)):
        parsed = fields.parse_row(offset + 2, cells, mapping, now)  # row 1 is the header
        district = postcode_district(parsed.postcode)
        if district not in areas:
            areas[district] = area_for_postcode(db, parsed.postcode)
        area = areas[district]
        where = "postcode" if parsed.details.postcode else "victim.postcode"
        problem = area_problem(actor, area, parsed.postcode)
        if problem:
            parsed.errors.setdefault(where, problem)
            area = None
        elif parsed.details.local_strands and "strands" not in parsed.errors:
            _codes, strand_problem = resolve_local_strands(db, area, parsed.details.local_strands)
            if strand_problem:
                parsed.errors["strands"] = strand_problem
        checked.append(CheckedRow(parsed=parsed, area=area, done_in_batch=None))
    _mark_done(db, checked)
    return checked


def _mark_done(db: Session, rows: list[CheckedRow]) -> None:
    """Rows whose fingerprint is already in (from any file, this one too), and rows that
    repeat an earlier row of the file: one query per 500 rows."""
    first: dict[tuple[int, str], int] = {}
    for row in rows:
        if row.area is None:
            continue
        seen = first.setdefault((row.area.id, row.parsed.fingerprint), row.number)
        if seen != row.number:
            row.parsed.errors.setdefault("row", f"The same as row {seen}: it is imported once")
    prints = list({r.parsed.fingerprint for r in rows if r.area is not None})
    found: dict[tuple[int, str], int] = {}
    for start in range(0, len(prints), 500):
        for area_id, fingerprint, batch_id in db.execute(
            select(ImportedRow.area_id, ImportedRow.fingerprint, ImportedRow.batch_id).where(
                ImportedRow.fingerprint.in_(prints[start : start + 500])
            )
        ):
            found[(area_id, fingerprint)] = batch_id
    for row in rows:
        if row.area is not None:
            row.done_in_batch = found.get((row.area.id, row.parsed.fingerprint))


@dataclass(frozen=True)
class ImportedIncident:
    row_number: int
    incident_id: int
    referral_id: int | None
    occurred_at: datetime
    incident_type: str


def imported_rows(db: Session, actor: User, batch: ImportBatch) -> list[ImportedIncident]:
    """What this batch made, by row (the uploader made each of these incidents)."""
    own_batch(db, actor, batch.id)
    rows = db.execute(
        select(
            ImportedRow.row_number,
            ImportedRow.incident_id,
            ImportedRow.referral_id,
            Incident.occurred_at,
            Incident.incident_type,
        )
        .join(Incident, Incident.id == ImportedRow.incident_id)
        .where(ImportedRow.batch_id == batch.id)
        .order_by(ImportedRow.row_number)
        .limit(500)
    )
    return [ImportedIncident(*row) for row in rows]
