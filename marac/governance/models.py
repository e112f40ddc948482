"""A subject access pack asked for one person, where its ZIP is stored, and its release."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marac.db import Base, UTCDateTime, utcnow


class PackStatus(StrEnum):
    BUILDING = "building"  # the job is gathering and rendering it
    READY = "ready"  # stored: the reviewer downloads it and redacts third parties
    FAILED = "failed"  # every attempt failed: ask again
    RELEASED = "released"  # sent to the person (or their representative)


PACK_STATUS_LABELS = {
    PackStatus.BUILDING: "Being produced",
    PackStatus.READY: "Ready for review",
    PackStatus.FAILED: "Could not be produced",
    PackStatus.RELEASED: "Released",
}

RELEASE_METHODS = {
    "secure_email": "Secure email",
    "post": "Post (recorded delivery)",
    "in_person": "Handed over in person",
    "portal": "Secure file transfer",
}


class SubjectAccessPack(Base):
    """One pack: the ZIP's key and hash once stored; who released it, when and how.

    Kept after release, so the council can show what it sent; the bytes live in the store.
    """

    __tablename__ = "subject_access_pack"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=PackStatus.BUILDING.value)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    job_id: Mapped[int | None] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(300), default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    record_count: Mapped[int] = mapped_column(Integer, default=0)
    produced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    released_to: Mapped[str] = mapped_column(String(300), default="")
    release_method: Mapped[str] = mapped_column(String(20), default="")
    release_note: Mapped[str] = mapped_column(Text, default="")

    @property
    def status_label(self) -> str:
        return PACK_STATUS_LABELS[PackStatus(self.status)]

    @property
    def release_method_label(self) -> str:
        return RELEASE_METHODS.get(self.release_method, "")
