"""An attachment: a document on one incident, referral or action, and its scan's verdict.

The bytes live in the document store (`marac.storage`); the row keeps the key, size and
SHA-256, and stays after an infected file's bytes are deleted, as the record of it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marac.db import Base, UTCDateTime, utcnow


class AttachmentStatus(StrEnum):
    QUARANTINED = "quarantined"  # stored, not yet scanned: listed, never downloadable
    CLEAN = "clean"  # clamd found nothing: downloadable
    INFECTED = "infected"  # clamd named a signature: bytes deleted, row kept


STATUS_LABELS = {
    AttachmentStatus.QUARANTINED.value: "Being checked for viruses",
    AttachmentStatus.CLEAN.value: "Ready",
    AttachmentStatus.INFECTED.value: "Refused: a virus was found",
}

# Exactly one owner: the database refuses a row with none or several.
ONE_OWNER = (
    "(CASE WHEN incident_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN referral_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN action_id IS NULL THEN 0 ELSE 1 END) = 1"
)


class Attachment(Base):
    __tablename__ = "attachment"
    __table_args__ = (
        CheckConstraint(ONE_OWNER, name="one_owner"),
        Index("ix_attachment_incident_id", "incident_id"),
        Index("ix_attachment_referral_id", "referral_id"),
        Index("ix_attachment_action_id", "action_id"),
        Index("ix_attachment_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"))
    action_id: Mapped[int | None] = mapped_column(ForeignKey("action.id"))
    filename: Mapped[str] = mapped_column(String(120))  # sanitised: no folders, capped
    description: Mapped[str] = mapped_column(Text, default="")
    mime: Mapped[str] = mapped_column(String(120))  # what libmagic read from the content
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255), default="")  # "" once deleted
    status: Mapped[str] = mapped_column(String(20), default=AttachmentStatus.QUARANTINED.value)
    signature: Mapped[str] = mapped_column(String(200), default="")  # the virus clamd named
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    scanned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def owner(self) -> tuple[str, int]:
        """("incident" | "referral" | "action", its id)."""
        if self.incident_id is not None:
            return "incident", self.incident_id
        if self.referral_id is not None:
            return "referral", self.referral_id
        assert self.action_id is not None
        return "action", self.action_id

    @property
    def downloadable(self) -> bool:
        return self.status == AttachmentStatus.CLEAN.value
