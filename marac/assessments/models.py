"""A risk assessment, stored with the instrument version it was completed on."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marac.db import Base, UTCDateTime, utcnow


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return RISK_RANK[self]

    @property
    def label(self) -> str:
        return self.value.capitalize()


RISK_RANK = {RiskLevel.LOW: 0, RiskLevel.MEDIUM: 1, RiskLevel.HIGH: 2}


class AssessmentStatus(StrEnum):
    DRAFT = "draft"  # the assessor is still filling it in
    SUBMITTED = "submitted"  # waiting for a supervisor
    ENDORSED = "endorsed"  # final level set by a supervisor


class Rara(StrEnum):
    REMOVE = "remove"
    AVOID = "avoid"
    REDUCE = "reduce"
    ACCEPT = "accept"


RARA_LABELS: dict[str, str] = {
    Rara.REMOVE: "Remove: take the risk away",
    Rara.AVOID: "Avoid: keep the victim away from the risk",
    Rara.REDUCE: "Reduce: make the harm less likely or less serious",
    Rara.ACCEPT: "Accept: the risk stays, with monitoring",
}


class RiskAssessment(Base):
    """An enhanced hate crime risk assessment of one victim after one incident."""

    __tablename__ = "risk_assessment"
    __table_args__ = (
        Index("ix_risk_assessment_agency_status", "agency_id", "status"),
        # The home page's "your unfinished assessments": the assessor's drafts only.
        Index("ix_risk_assessment_assessor_status", "assessor_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    assessor_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    instrument_version: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=AssessmentStatus.DRAFT.value)
    # Answers by question id, as the instrument version defines them.
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Sections the assessor has completed (task list status).
    completed_sections: Mapped[list[str]] = mapped_column(JSON, default=list)
    suggested_level: Mapped[str | None] = mapped_column(String(10))
    judgement_level: Mapped[str | None] = mapped_column(String(10))
    judgement_rationale: Mapped[str] = mapped_column(Text, default="")
    below_suggested_reason: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    endorsed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    endorsed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    final_level: Mapped[str | None] = mapped_column(String(10), index=True)
    endorsement_reason: Mapped[str] = mapped_column(Text, default="")
    # Set when a force's supervisor endorsed in the force's own system (endorsed_by_id
    # stays empty then): who, and their reference for the endorsement.
    external_endorser_name: Mapped[str | None] = mapped_column(String(200))
    external_endorser_reference: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Optimistic locking: a stale save is refused instead of overwriting.
    version: Mapped[int] = mapped_column(Integer, default=1)

    measures: Mapped[list[RiskMeasure]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="RiskMeasure.id"
    )

    __mapper_args__ = {"version_id_col": version}


class RiskMeasure(Base):
    """One measure in the risk management plan, tagged Remove / Avoid / Reduce / Accept."""

    __tablename__ = "risk_measure"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("risk_assessment.id", ondelete="CASCADE"), index=True
    )
    description: Mapped[str] = mapped_column(Text)
    rara: Mapped[str] = mapped_column(String(10))
    responsible: Mapped[str] = mapped_column(String(200), default="")
