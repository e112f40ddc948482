"""A referral to the Community MARAC, and the per-area trigger thresholds."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from marac.db import Base, UTCDateTime, trigram_indexes, utcnow
from marac.referrals import consent as consent_rules


class ReferralSource(StrEnum):
    AUTOMATIC_HIGH_RISK = "automatic_high_risk"
    AUTOMATIC_REPEAT = "automatic_repeat"
    AUTOMATIC_ESCALATION = "automatic_escalation"
    PARTNER = "partner"


SOURCE_LABELS: dict[str, str] = {
    ReferralSource.AUTOMATIC_HIGH_RISK: "Automatic: endorsed high risk",
    ReferralSource.AUTOMATIC_REPEAT: "Automatic: repeat within 12 months",
    ReferralSource.AUTOMATIC_ESCALATION: "Automatic: escalation",
    ReferralSource.PARTNER: "Partner referral",
}


class ReferralStatus(StrEnum):
    NEW = "new"  # waiting for screening
    MORE_INFO = "more_info"  # the coordinator asked the referrer for more
    ACCEPTED = "accepted"  # waiting for the next meeting of the area's panel
    DECLINED = "declined"
    HEARD = "heard"  # discussed at a meeting, case open
    CLOSED = "closed"
    MERGED = "merged"  # folded into the person's other open referral (`merged_into_id`)


STATUS_LABELS: dict[str, str] = {
    ReferralStatus.NEW: "Waiting for screening",
    ReferralStatus.MORE_INFO: "More information requested",
    ReferralStatus.ACCEPTED: "Accepted: waiting for the panel",
    ReferralStatus.DECLINED: "Declined",
    ReferralStatus.HEARD: "Heard at the panel",
    ReferralStatus.CLOSED: "Closed",
    ReferralStatus.MERGED: "Merged into another referral",
}

OPEN_STATUSES = (
    ReferralStatus.NEW.value,
    ReferralStatus.MORE_INFO.value,
    ReferralStatus.ACCEPTED.value,
    ReferralStatus.HEARD.value,
)

# Waiting to be heard: an automatic trigger adds to such a referral instead of opening another.
UNHEARD_STATUSES = (
    ReferralStatus.NEW.value,
    ReferralStatus.MORE_INFO.value,
    ReferralStatus.ACCEPTED.value,
)

# The database's own rule: a person has at most one automatic referral waiting to be heard.
# Partner referrals are left out on purpose: a partner may refer on judgement while another
# referral waits, and the coordinator sees both. Heard cases are left out too: a new trigger
# after a hearing is a repeat referral, linked to the heard one.
ONE_OPEN_AUTOMATIC = (
    "status IN ("
    + ", ".join(f"'{status}'" for status in UNHEARD_STATUSES)
    + ") AND source <> 'partner'"
)


class SubjectType(StrEnum):
    VICTIM = "victim"
    PERPETRATOR = "perpetrator"
    LOCATION = "location"


CONSENT_LABELS = consent_rules.CONSENT_LABELS

SUPPORT_STATUS_LABELS: dict[str, str] = {
    "offered": "Offered",
    "accepted": "Accepted",
    "declined": "Declined",
}


class Referral(Base):
    """A case referred to the panel. Automatic ones point at what triggered them."""

    __tablename__ = "referral"
    __table_args__ = (
        Index("ix_referral_area_status", "area_id", "status"),
        Index("ix_referral_person_created", "person_id", "created_at"),
        # The home page's "referrals with a request for more information": open ones only.
        Index("ix_referral_referrer_status", "referrer_id", "status"),
        Index(
            "uq_referral_person_open",
            "person_id",
            unique=True,
            postgresql_where=text(ONE_OPEN_AUTOMATIC),
            sqlite_where=text(ONE_OPEN_AUTOMATIC),
        ),
        # The Cases search (marac.cases.search).
        *trigram_indexes("referral", "reference", "location", "location_postcode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    subject_type: Mapped[str] = mapped_column(String(20), default=SubjectType.VICTIM.value)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    location: Mapped[str] = mapped_column(Text, default="")
    location_postcode: Mapped[str] = mapped_column(String(10), default="")
    area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"))
    source: Mapped[str] = mapped_column(String(30), index=True)
    status: Mapped[str] = mapped_column(String(20), default=ReferralStatus.NEW.value)
    risk_level: Mapped[str | None] = mapped_column(String(10))
    # One automatic referral per assessment and per triggering incident ("fires once").
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("risk_assessment.id"), unique=True)
    trigger_incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"), unique=True)
    previous_referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"))
    # A merged referral is closed and points at the open one it went into.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"))
    is_repeat: Mapped[bool] = mapped_column(Boolean, default=False)
    # Every trigger or partner reason, e.g. ["Endorsed high risk", "Repeat: referred ..."].
    trigger_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    referrer_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    referring_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    reasons: Mapped[str] = mapped_column(Text, default="")
    victim_views: Mapped[str] = mapped_column(Text, default="")
    consent: Mapped[str] = mapped_column(String(20), default="not_sought")
    # Why consent was refused or not sought (or how it was given): `consent.py`.
    consent_reason: Mapped[str] = mapped_column(Text, default="")
    # A `consent.LAWFUL_BASIS_LABELS` code when shared without consent; "" until recorded.
    lawful_basis_code: Mapped[str] = mapped_column(String(30), default="")
    # The words of "another lawful basis" (and what older records and imports said).
    lawful_basis: Mapped[str] = mapped_column(Text, default="")
    needs: Mapped[str] = mapped_column(Text, default="")
    support_status: Mapped[str] = mapped_column(String(20), default="")
    support_service: Mapped[str] = mapped_column(String(200), default="")
    screened_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    screened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    screening_note: Mapped[str] = mapped_column(Text, default="")
    # Closing the case at the panel (DESIGN §3.4): why, and how risk changed.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    closure_reason: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(String(20), default="")  # risk reduced/unchanged/increased
    victim_view_of_outcome: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


OUTCOME_LABELS: dict[str, str] = {
    "risk_reduced": "Risk reduced",
    "risk_unchanged": "Risk unchanged",
    "risk_increased": "Risk increased",
}


class ReferralIncident(Base):
    """Incidents a referral is about (a partner referral may list several)."""

    __tablename__ = "referral_incident"

    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), primary_key=True
    )
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), primary_key=True)


class TriggerSettings(Base):
    """Per-area thresholds for the automatic referral rules (defaults from DESIGN §3.2)."""

    __tablename__ = "trigger_settings"

    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), primary_key=True)
    high_risk_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    repeat_window_days: Mapped[int] = mapped_column(Integer, default=365)
    escalation_incidents: Mapped[int] = mapped_column(Integer, default=3)
    escalation_window_days: Mapped[int] = mapped_column(Integer, default=365)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ScreeningVisit(Base):
    """When a coordinator last opened the screening queue, so it can show what is new first.

    `new_since` is the opening before `opened_at`: the queue marks referrals made after it
    as new. Paging through keeps it, so the order does not shift between pages.
    """

    __tablename__ = "screening_visit"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    )
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    new_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
