"""The agenda of a meeting, agencies' research before it, and the record made at it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marac.db import Base, UTCDateTime, utcnow


class ItemKind(StrEnum):
    NEW = "new"
    REPEAT = "repeat"
    REVIEW = "review"
    DEFERRED = "deferred"


class ItemStatus(StrEnum):
    LISTED = "listed"
    DEFERRED = "deferred"  # moved on to the next meeting, with a reason
    REMOVED = "removed"


class Decision(StrEnum):
    REVIEW = "review"  # keep open, review at a set meeting
    CLOSE = "close"


class AgendaItem(Base):
    """A case listed on a meeting's agenda, and what the panel decided about it."""

    __tablename__ = "agenda_item"
    __table_args__ = (
        UniqueConstraint("meeting_id", "referral_id", name="uq_agenda_item_meeting_referral"),
        Index("ix_agenda_item_referral", "referral_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"))
    kind: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer)
    slot_minutes: Mapped[int] = mapped_column(Integer, default=15)
    status: Mapped[str] = mapped_column(String(20), default=ItemStatus.LISTED.value)
    added_by_chair: Mapped[bool] = mapped_column(Boolean, default=False)
    status_reason: Mapped[str] = mapped_column(Text, default="")  # why deferred or removed
    # The risk level when the agenda was built, and the panel's view after discussion.
    risk_level_before: Mapped[str | None] = mapped_column(String(10))
    risks_identified: Mapped[str] = mapped_column(Text, default="")
    risk_level_after: Mapped[str | None] = mapped_column(String(10))
    decision: Mapped[str | None] = mapped_column(String(20))
    review_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id"))
    discussed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class AgendaAmendment(Base):
    """A recorded change to a published agenda: the only way one changes."""

    __tablename__ = "agenda_amendment"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    summary: Mapped[str] = mapped_column(Text)  # what changed, e.g. "Deferred CM-2026-0012"
    reason: Mapped[str] = mapped_column(Text, default="")


class CaseResearch(Base):
    """What one member agency knows about a listed case, added before the meeting."""

    __tablename__ = "case_research"
    __table_args__ = (
        UniqueConstraint(
            "meeting_id", "referral_id", "agency_id", name="uq_case_research_meeting_case_agency"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    involvement: Mapped[str] = mapped_column(Text, default="")
    risks: Mapped[str] = mapped_column(Text, default="")
    can_offer: Mapped[str] = mapped_column(Text, default="")
    no_involvement: Mapped[bool] = mapped_column(Boolean, default=False)  # "not known to us"
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class CaseInformation(Base):
    """Information one agency shared about a case at the meeting."""

    __tablename__ = "case_information"
    __table_args__ = (
        UniqueConstraint("agenda_item_id", "agency_id", name="uq_case_information_item_agency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_item_id: Mapped[int] = mapped_column(ForeignKey("agenda_item.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    information: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class AttendanceStatus(StrEnum):
    PRESENT = "present"
    APOLOGIES = "apologies"
    ABSENT = "absent"
    NOT_EXPECTED = "not_expected"  # left unmarked: not expected at this meeting


class AgencyAttendance(Base):
    """Whether each member agency was present, sent apologies or was absent."""

    __tablename__ = "agency_attendance"

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default=AttendanceStatus.ABSENT.value)


class MeetingAgency(Base):
    """An agency asked to this one meeting though it is not a member of the panel."""

    __tablename__ = "meeting_agency"

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), primary_key=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Attendee(Base):
    """A named person at the meeting and their confidentiality acknowledgement."""

    __tablename__ = "attendee"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    name: Mapped[str] = mapped_column(String(200))
    job_title: Mapped[str] = mapped_column(String(200), default="")
    confidentiality_acknowledged: Mapped[bool] = mapped_column(Boolean, default=False)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
