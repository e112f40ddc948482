"""Imports every model so Alembic and the tests see the whole schema."""

from marac.accounts.models import Agency, Area, User, user_area
from marac.accounts.sso_models import IdentityProvider, SsoIdentity
from marac.actions.models import Action, ActionReview, ActionUpdate
from marac.api.models import ApiClient, ApiIntake
from marac.assessments.models import RiskAssessment, RiskMeasure
from marac.attachments.models import Attachment
from marac.audit.models import AuditChainHead, AuditEvent
from marac.governance.models import SubjectAccessPack
from marac.imports.models import ImportBatch, ImportedRow
from marac.incidents.models import Incident, IncidentStrand, LocalStrand, Perpetrator
from marac.jobs.models import Job
from marac.meetings.models import (
    AgencyAttendance,
    AgendaAmendment,
    AgendaItem,
    Attendee,
    CaseInformation,
    CaseResearch,
    MeetingAgency,
)
from marac.minutes.models import IssuedDocument, Minutes, StoredPdf
from marac.notify.models import Notification, NotificationPreference, OutboxMessage, ReminderSent
from marac.panels.models import CalendarFeed, Meeting, Panel, panel_agency, panel_area
from marac.people.models import DuplicateDismissal, Person, PersonMerge, RepeatSettings
from marac.people.restriction import PersonRestriction, RestrictionAccess, RestrictionRequest
from marac.referrals.models import Referral, ReferralIncident, ScreeningVisit, TriggerSettings
from marac.reports.models import PartnershipTarget
from marac.retention.models import (
    DisposalLog,
    DisposedRecord,
    RetentionDue,
    RetentionHold,
    RetentionPeriod,
)

__all__ = [
    "Action",
    "ActionReview",
    "ActionUpdate",
    "Agency",
    "AgencyAttendance",
    "AgendaAmendment",
    "AgendaItem",
    "ApiClient",
    "ApiIntake",
    "Area",
    "Attachment",
    "Attendee",
    "AuditChainHead",
    "AuditEvent",
    "CalendarFeed",
    "CaseInformation",
    "CaseResearch",
    "DisposalLog",
    "DisposedRecord",
    "DuplicateDismissal",
    "IdentityProvider",
    "ImportBatch",
    "ImportedRow",
    "Incident",
    "IncidentStrand",
    "IssuedDocument",
    "Job",
    "LocalStrand",
    "Meeting",
    "MeetingAgency",
    "Minutes",
    "Notification",
    "NotificationPreference",
    "OutboxMessage",
    "Panel",
    "PartnershipTarget",
    "Perpetrator",
    "Person",
    "PersonMerge",
    "PersonRestriction",
    "Referral",
    "ReferralIncident",
    "ReminderSent",
    "RepeatSettings",
    "RestrictionAccess",
    "RestrictionRequest",
    "RetentionDue",
    "RetentionHold",
    "RetentionPeriod",
    "RiskAssessment",
    "RiskMeasure",
    "ScreeningVisit",
    "SsoIdentity",
    "StoredPdf",
    "SubjectAccessPack",
    "TriggerSettings",
    "User",
    "panel_agency",
    "panel_area",
    "user_area",
]
