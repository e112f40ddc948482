"""The minutes lifecycle of a meeting and the PDFs issued from it.

Issued documents are immutable: their bytes live in the document store
(`marac.storage`) under a key recorded here with their size and SHA-256, and every
download checks the hash, so a member's copy never differs from the record, whatever is
edited later. Rows issued before the store keep their bytes in `pdf` (still checked).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marac.db import Base, UTCDateTime, utcnow


class MinutesStatus(StrEnum):
    DRAFT = "draft"  # the record may still change; only a preview exists
    APPROVED = "approved"  # the chair has approved the draft
    ISSUED = "issued"  # at least one version has been issued


class DocumentKind(StrEnum):
    FULL = "full"
    EXTRACT = "extract"  # one agency's actions and the minimum context to act


class RenderedKind(StrEnum):
    AGENDA = "agenda"  # a meeting's published agenda, as it stood (fingerprint: its content)
    PACK = "pack"  # a partnership pack PDF for one reporting scope


class Minutes(Base):
    """The minutes of one meeting: draft -> approved by the chair -> issued."""

    __tablename__ = "minutes"

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(20), default=MinutesStatus.DRAFT.value)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    current_version: Mapped[int] = mapped_column(Integer, default=0)  # 0: never issued
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class IssuedDocument(Base):
    """One issued PDF: the full minutes or an agency's extract, at one version number."""

    __tablename__ = "issued_document"
    __table_args__ = (
        Index("ix_issued_document_meeting_kind", "meeting_id", "kind", "version_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))  # extracts only
    version_number: Mapped[int] = mapped_column(Integer)
    superseded: Mapped[bool] = mapped_column(
        Boolean, default=False
    )  # a later correction replaced it
    reason: Mapped[str] = mapped_column(Text, default="")  # why a correction was issued
    storage_key: Mapped[str | None] = mapped_column(String(300))  # None: bytes in `pdf`
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)  # rows issued before the store
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    page_count: Mapped[int] = mapped_column(Integer)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StoredPdf(Base):
    """A PDF rendered by a job on request (an agenda, a partnership pack) and kept in the
    store. `fingerprint` is the SHA-256 of what it was rendered from: a copy is served
    only while the source still has that fingerprint, so a stale one never goes out."""

    __tablename__ = "stored_pdf"
    __table_args__ = (Index("ix_stored_pdf_lookup", "kind", "object_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[int | None] = mapped_column(Integer)  # the meeting (agendas)
    fingerprint: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    page_count: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
