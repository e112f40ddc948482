"""Imports every model so Alembic and the tests see the whole schema."""

from marac.accounts.models import Agency, Area, User, user_area
from marac.assessments.models import RiskAssessment, RiskMeasure
from marac.audit.models import AuditEvent
from marac.incidents.models import Incident, IncidentStrand, LocalStrand, Perpetrator
from marac.people.models import Person
from marac.referrals.models import Referral, ReferralIncident, TriggerSettings

__all__ = [
    "Agency",
    "Area",
    "AuditEvent",
    "Incident",
    "IncidentStrand",
    "LocalStrand",
    "Perpetrator",
    "Person",
    "Referral",
    "ReferralIncident",
    "RiskAssessment",
    "RiskMeasure",
    "TriggerSettings",
    "User",
    "user_area",
]
