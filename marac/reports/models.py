"""A partnership target: "increase referrals by 50%" measured against a baseline period."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from marac.actions.models import Action
from marac.db import Base, UTCDateTime, utcnow


class PartnershipTarget(Base):
    """Referrals in the measured period against the baseline period's, raised by a
    percentage the partnership's strategy sets. No area means the whole borough."""

    __tablename__ = "partnership_target"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"))
    baseline_start: Mapped[date] = mapped_column(Date)
    baseline_end: Mapped[date] = mapped_column(Date)
    change_percent: Mapped[int] = mapped_column(Integer)  # +50 for "increase by 50%"
    measured_start: Mapped[date] = mapped_column(Date)
    measured_end: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


# The dashboard counts actions by due date over a period; declared here, with the
# reports migration that creates it, so the actions model stays as issue 4 left it.
ix_action_due_date = Index("ix_action_due_date", Action.due_date)
