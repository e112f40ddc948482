"""Imports every model so Alembic and the tests see the whole schema."""

from marac.accounts.models import Agency, Area, User, user_area
from marac.actions.models import Action, ActionReview, ActionUpdate
from marac.assessments.models import RiskAssessment, RiskMeasure
from marac.audit.models import AuditEvent
from marac.incidents.models import Incident, IncidentStrand, LocalStrand, Perpetrator
from marac.meetings.models import (
    AgencyAttendance,
    AgendaAmendment,
    AgendaItem,
    Attendee,
    CaseInformation,
    CaseResearch,
)
from marac.panels.models import CalendarFeed, Meeting, Panel, panel_agency, panel_area
from marac.people.models import Person
from marac.referrals.models import Referral, ReferralIncident, TriggerSettings

__all__ = [
    "Action",
    "ActionReview",
    "ActionUpdate",
    "Agency",
    "AgencyAttendance",
    "AgendaAmendment",
    "AgendaItem",
    "Area",
    "Attendee",
    "AuditEvent",
    "CalendarFeed",
    "CaseInformation",
    "CaseResearch",
    "Incident",
    "IncidentStrand",
    "LocalStrand",
    "Meeting",
    "Panel",
    "Perpetrator",
    "Person",
    "Referral",
    "ReferralIncident",
    "RiskAssessment",
    "RiskMeasure",
    "TriggerSettings",
    "User",
    "panel_agency",
    "panel_area",
    "user_area",
]
