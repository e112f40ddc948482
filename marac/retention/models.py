"""The retention schedule, what is due for review, legal holds, and the disposal log."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marac.db import Base, UTCDateTime, utcnow


class RetentionPeriod(Base):
    """A council's own period for one record type; absent, the default in schedule.py holds."""

    __tablename__ = "retention_period"

    record_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    months: Mapped[int] = mapped_column(Integer)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class RetentionDue(Base):
    """A record past its date, listed by the nightly job for a reviewer to decide on."""

    __tablename__ = "retention_due"

    record_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    object_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    due_on: Mapped[date] = mapped_column(Date)
    listed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RetentionHold(Base):
    """Kept past its date on purpose (legal hold): why, by whom, and when to look again."""

    __tablename__ = "retention_hold"

    record_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    object_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    review_on: Mapped[date] = mapped_column(Date)
    held_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    held_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DisposedRecord(Base):
    """A record whose personal data is gone: it is never listed or disposed of again, and
    a person linked only to disposed records may be anonymised."""

    __tablename__ = "disposed_record"

    record_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    object_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    disposed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DisposalLog(Base):
    """What kind of records were disposed of, how many, by whom and when: never content."""

    __tablename__ = "disposal_log"
    __table_args__ = (Index("ix_disposal_log_job", "job_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(String(40))
    count: Mapped[int] = mapped_column(Integer, default=0)
    people_anonymised: Mapped[int] = mapped_column(Integer, default=0)
    documents_deleted: Mapped[int] = mapped_column(Integer, default=0)
    disposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id"))
    disposed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
