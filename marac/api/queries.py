"""Reads about API clients shared by the admin pages and the API door."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.accounts.models import Agency, Area, Role, User
from marac.api.models import ApiClient, ApiIntake, IntakeKind
from marac.api.tokens import matches, prefix_of
from marac.assessments.models import RiskAssessment
from marac.incidents.models import Incident, LocalStrand
from marac.meetings.models import AgendaItem
from marac.operations import NotFound, allow
from marac.panels.models import Meeting
from marac.referrals.models import Referral, ReferralIncident


def clients(db: Session, viewer: User) -> list[ApiClient]:
    """Every client, by agency then name (a handful per council: no paging needed)."""
    allow(viewer.has_role(Role.ADMIN) and not viewer.is_service)
    query = select(ApiClient).join(ApiClient.agency).order_by(Agency.name, ApiClient.name)
    return list(db.scalars(query))


def active_agencies(db: Session) -> list[Agency]:
    return list(db.scalars(select(Agency).where(Agency.active).order_by(Agency.name)))


def client_for_token(db: Session, token: str) -> ApiClient | None:
    """The live client this bearer token belongs to, else None (unknown, rotated, revoked)."""
    prefix = prefix_of(token)
    if prefix is None:
        return None
    client = db.scalar(select(ApiClient).where(ApiClient.token_prefix == prefix))
    if client is None or not matches(token, client.token_hash):
        return None
    if client.is_revoked or not client.service_user.active or not client.agency.active:
        return None
    return client


def local_strands(db: Session) -> list[Any]:
    """Every area's active local strands (id, name, area): the codes a sender may use."""
    rows = db.execute(
        select(LocalStrand.id, LocalStrand.name, Area.name.label("area"))
        .join(Area, Area.id == LocalStrand.area_id)
        .where(LocalStrand.active, Area.active)
        .order_by(Area.name, LocalStrand.name)
        .limit(500)
    )
    return list(rows)


def sent_by(db: Session, client: ApiClient, kind: IntakeKind, reference: str) -> ApiIntake:
    """This client's own create by its reference; another client's is simply not found."""
    row = db.scalar(
        select(ApiIntake).where(
            ApiIntake.client_id == client.id,
            ApiIntake.kind == kind.value,
            ApiIntake.sender_reference == reference,
        )
    )
    if row is None or row.resource_id is None:
        raise NotFound("Nothing was sent with this reference by this client.")
    return row


def referral_status(db: Session, referral: Referral | None) -> dict[str, Any] | None:
    """A referral's reference and status, and the date of the meeting listed to hear it."""
    if referral is None:
        return None
    meeting_date = db.scalar(
        select(func.max(Meeting.meeting_date))
        .join(AgendaItem, AgendaItem.meeting_id == Meeting.id)
        .where(AgendaItem.referral_id == referral.id)
    )
    return {
        "reference": referral.reference,
        "status": referral.status,
        "meeting_date": meeting_date,
    }


def incident_receipt(db: Session, row: ApiIntake) -> dict[str, Any]:
    """The read-back of an incident: ours to tell the sender, no other agency's content."""
    incident = db.get(Incident, row.resource_id)
    if incident is None:
        raise NotFound()
    referral = db.scalar(
        select(Referral)
        .outerjoin(ReferralIncident, ReferralIncident.referral_id == Referral.id)
        .where(
            (Referral.trigger_incident_id == incident.id)
            | (ReferralIncident.incident_id == incident.id)
        )
        .order_by(Referral.id.desc())
        .limit(1)
    )
    return {
        "sender_reference": row.sender_reference,
        "incident_id": incident.id,
        "recorded_at": incident.created_at,
        "referral": referral_status(db, referral),
    }


def assessment_receipt(db: Session, row: ApiIntake) -> dict[str, Any]:
    """The read-back of an assessment: its status, final level and the referral it made."""
    assessment = db.get(RiskAssessment, row.resource_id)
    if assessment is None:
        raise NotFound()
    referral = db.scalar(select(Referral).where(Referral.assessment_id == assessment.id))
    return {
        "sender_reference": row.sender_reference,
        "assessment_id": assessment.id,
        "status": assessment.status,
        "final_level": assessment.final_level,
        "referral": referral_status(db, referral),
    }
