"""An uploaded spreadsheet on its way in, and the rows already imported from any file.

The file itself is personal data: it lives in the document store only while the batch
is open (its key and SHA-256 here) and is deleted once imported or abandoned.
`ImportedRow` is what makes an import idempotent: one row per (area, fingerprint of the
row's mapped values), unique in the database, written in the row's own transaction.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marac.db import Base, UTCDateTime, utcnow


class BatchStatus(StrEnum):
    UPLOADED = "uploaded"  # waiting for its mapping and preview
    IMPORTING = "importing"  # a job is importing it
    IMPORTED = "imported"  # done; the file is deleted
    ABANDONED = "abandoned"  # given up; the file is deleted


STATUS_LABELS: dict[str, str] = {
    BatchStatus.UPLOADED: "Waiting to import",
    BatchStatus.IMPORTING: "Importing",
    BatchStatus.IMPORTED: "Imported",
    BatchStatus.ABANDONED: "Abandoned",
}


class ImportBatch(Base):
    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200), default="")
    file_type: Mapped[str] = mapped_column(String(10))  # "csv" or "xlsx"
    store_key: Mapped[str] = mapped_column(String(300), default="")  # "" once deleted
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer, default=0)
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    headers: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of their headers
    mapping: Mapped[str] = mapped_column(Text, default="{}")  # JSON: column index -> field
    status: Mapped[str] = mapped_column(String(20), default=BatchStatus.UPLOADED.value)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"))
    imported_count: Mapped[int] = mapped_column(Integer, default=0)
    duplicate_count: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ImportedRow(Base):
    """A spreadsheet row that became an incident (and perhaps a referral): never again."""

    __tablename__ = "imported_row"
    __table_args__ = (UniqueConstraint("area_id", "fingerprint", name="uq_imported_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"))
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
