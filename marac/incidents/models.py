"""Incidents against a person, their hate strands, and the perpetrators involved."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marac.db import Base, UTCDateTime, trigram_indexes, utcnow


class IncidentType(StrEnum):
    PHYSICAL_ASSAULT = "physical_assault"
    THREATS = "threats"
    VERBAL_ABUSE = "verbal_abuse"
    HARASSMENT = "harassment"
    CRIMINAL_DAMAGE = "criminal_damage"
    DAMAGE_TO_HOME = "damage_to_home"
    ARSON = "arson"
    ONLINE_ABUSE = "online_abuse"
    OTHER = "other"


INCIDENT_TYPE_LABELS: dict[str, str] = {
    IncidentType.PHYSICAL_ASSAULT: "Physical assault",
    IncidentType.THREATS: "Threats",
    IncidentType.VERBAL_ABUSE: "Verbal abuse",
    IncidentType.HARASSMENT: "Harassment",
    IncidentType.CRIMINAL_DAMAGE: "Criminal damage",
    IncidentType.DAMAGE_TO_HOME: "Criminal damage to the home",
    IncidentType.ARSON: "Arson",
    IncidentType.ONLINE_ABUSE: "Online abuse",
    IncidentType.OTHER: "Other",
}

RECORDING_LABELS: dict[str, str] = {
    "crime": "Hate crime",
    "non_crime": "Non-crime hate incident",
}

REPORTED_VIA_LABELS: dict[str, str] = {
    "police": "Direct to the police",
    "online": "Online reporting",
    "third_party": "Third-party reporting centre",
    "partner": "Partner agency",
}

PERCEIVED_BY_LABELS: dict[str, str] = {
    "victim": "The victim",
    "witness": "A witness",
    "officer": "A police officer or member of staff",
    "other": "Someone else",
}

RELATIONSHIP_LABELS: dict[str, str] = {
    "neighbour": "Neighbour",
    "stranger": "Stranger",
    "group": "Group",
    "online": "Online contact",
    "known_other": "Known to the victim in another way",
}

AGE_BAND_LABELS: dict[str, str] = {
    "under_18": "Under 18",
    "18_24": "18 to 24",
    "25_44": "25 to 44",
    "45_64": "45 to 64",
    "65_plus": "65 or over",
    "unknown": "Not known",
}


class LocalStrand(Base):
    """A locally-defined hate strand an admin configures for one area."""

    __tablename__ = "local_strand"
    __table_args__ = (UniqueConstraint("area_id", "name", name="uq_local_strand_area_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Incident(Base):
    """One hate crime or non-crime hate incident against a person."""

    __tablename__ = "incident"
    __table_args__ = (
        Index("ix_incident_person_occurred", "person_id", "occurred_at"),
        *trigram_indexes("incident", "crime_reference"),  # the Cases search
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    place: Mapped[str] = mapped_column(Text, default="")
    postcode: Mapped[str] = mapped_column(String(10), default="", index=True)
    incident_type: Mapped[str] = mapped_column(String(30))
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_as: Mapped[str] = mapped_column(String(20))  # crime / non_crime
    aggravated_offence: Mapped[bool] = mapped_column(Boolean, default=False)
    crime_reference: Mapped[str] = mapped_column(String(40), default="")
    reported_via: Mapped[str] = mapped_column(String(20))
    # Comma-separated codes from PERCEIVED_BY_LABELS (more than one may apply).
    perceived_by: Mapped[str] = mapped_column(String(80), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Linked by matching (or a merge) to a person the recorder could not see: the incident
    # stays the recorder's, but it gives the recorder and their agency no sight of the
    # person (marac.people.access). Linking never widens what anyone may see.
    person_withheld: Mapped[bool] = mapped_column(Boolean, default=False)

    strands: Mapped[list[IncidentStrand]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="IncidentStrand.code"
    )
    perpetrators: Mapped[list[Perpetrator]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="Perpetrator.id"
    )

    @property
    def strand_codes(self) -> set[str]:
        return {s.code for s in self.strands if not s.subcategory}

    @property
    def subcategory_codes(self) -> set[str]:
        return {s.subcategory for s in self.strands if s.subcategory}

    @property
    def perceived_by_list(self) -> list[str]:
        return [p for p in self.perceived_by.split(",") if p]


class IncidentStrand(Base):
    """A strand (`race`, `local:3`) or a sub-category (`subcategory` set) on an incident."""

    __tablename__ = "incident_strand"
    __table_args__ = (
        UniqueConstraint("incident_id", "code", "subcategory", name="uq_incident_strand"),
        Index("ix_incident_strand_code", "code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    subcategory: Mapped[str] = mapped_column(String(40), default="")


class Perpetrator(Base):
    """A perpetrator of one incident: known or unknown, optionally a matched person."""

    __tablename__ = "perpetrator"
    __table_args__ = trigram_indexes("perpetrator", "name")  # the Cases search

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    known: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str] = mapped_column(String(200), default="")
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    relationship_to_victim: Mapped[str] = mapped_column(String(20), default="")
    age_band: Mapped[str] = mapped_column(String(20), default="unknown")
    description: Mapped[str] = mapped_column(Text, default="")
