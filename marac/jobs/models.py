"""A job the service was asked to do, its progress, and how it ended.

The row is the truth; the queue only carries the job's id. A job is recorded in the same
transaction as the request that asked for it, so a queue that is down loses nothing:
the sweeper sends queued rows again once it answers.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marac.db import Base, UTCDateTime, utcnow


class JobStatus(StrEnum):
    QUEUED = "queued"  # recorded; waiting for a worker (or for the queue to answer)
    RUNNING = "running"  # a worker holds it; its heartbeat says it is alive
    DONE = "done"
    FAILED = "failed"  # every attempt failed; `message` says what to do


class Job(Base):
    __tablename__ = "job"
    __table_args__ = (
        Index("ix_job_object", "object_type", "object_id"),
        Index("ix_job_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # the registered handler's name
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.QUEUED.value)
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[int | None] = mapped_column(Integer)
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    params: Mapped[str] = mapped_column(Text, default="{}")  # JSON: plain values only
    title: Mapped[str] = mapped_column(String(200), default="")  # "Issuing the minutes"
    done_count: Mapped[int] = mapped_column(Integer, default=0)
    total_count: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")  # safe to show the requester
    error: Mapped[str] = mapped_column(Text, default="")  # for admins and logs only
    result_link: Mapped[str] = mapped_column(String(300), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE.value, JobStatus.FAILED.value)
