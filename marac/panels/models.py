"""Standing panels, their scheduled meetings and each user's calendar feed."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    Time,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marac.accounts.models import Agency, Area, User
from marac.db import Base, UTCDateTime, utcnow

panel_area = Table(
    "panel_area",
    Base.metadata,
    Column("panel_id", ForeignKey("panel.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", ForeignKey("area.id", ondelete="CASCADE"), primary_key=True),
)

panel_agency = Table(
    "panel_agency",
    Base.metadata,
    Column("panel_id", ForeignKey("panel.id", ondelete="CASCADE"), primary_key=True),
    Column("agency_id", ForeignKey("agency.id", ondelete="CASCADE"), primary_key=True),
)


class Panel(Base):
    """A standing Community MARAC for one or more areas of the borough."""

    __tablename__ = "panel"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    cadence_weeks: Mapped[int] = mapped_column(Integer, default=6)
    weekday: Mapped[int] = mapped_column(Integer, default=1)  # Monday 0 … Sunday 6
    start_time: Mapped[time] = mapped_column(Time, default=time(10, 0))
    venue: Mapped[str] = mapped_column(Text, default="")
    # Minutes per case on the agenda (12 to 15 by practice).
    slot_minutes: Mapped[int] = mapped_column(Integer, default=15)
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    areas: Mapped[list[Area]] = relationship(secondary=panel_area, lazy="selectin")
    agencies: Mapped[list[Agency]] = relationship(secondary=panel_agency, lazy="selectin")
    chair: Mapped[User | None] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    HELD = "held"  # the meeting record was completed


class AgendaStatus(StrEnum):
    NOT_BUILT = "not_built"
    DRAFT = "draft"  # built, the chair may still change it freely
    PUBLISHED = "published"  # members can see the cases; changes need an amendment


class Meeting(Base):
    """One sitting of a panel, with its agenda's state."""

    __tablename__ = "meeting"
    __table_args__ = (Index("ix_meeting_panel_date", "panel_id", "meeting_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panel.id"))
    meeting_date: Mapped[date] = mapped_column(Date, index=True)
    start_time: Mapped[time] = mapped_column(Time)
    venue: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=MeetingStatus.SCHEDULED.value)
    # Why it was moved from its cadence date or cancelled (bank holiday, chair's decision).
    change_note: Mapped[str] = mapped_column(Text, default="")
    agenda_status: Mapped[str] = mapped_column(String(20), default=AgendaStatus.NOT_BUILT.value)
    agenda_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    agenda_published_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # Why the chair published to agencies whose sharing agreement had lapsed.
    agenda_lapsed_reason: Mapped[str] = mapped_column(Text, default="")
    record_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The meeting record's lock: set when a version of the minutes is issued (the record
    # then refuses changes); `correction_open` re-opens it until the corrected version is.
    minutes_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    correction_open: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the retention schedule disposed of the record (names, free text, documents):
    # the pages say so, and the record, minutes and agenda PDF never change or render again.
    record_disposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    panel: Mapped[Panel] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class CalendarFeed(Base):
    """A user's secret iCalendar subscription URL; revoking deletes the row."""

    __tablename__ = "calendar_feed"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    )
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
