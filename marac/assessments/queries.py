"""Reads the assessment pages share, each with its need-to-know check.

Looking at case data is audited, so the readers that show it record the audit row and
commit it as one `operation`; the API reaching the same reads cannot skip the check.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, case, exists, func, or_, select
from sqlalchemy.orm import Session

from marac.accounts.models import Agency, Role, User
from marac.assessments.access import can_view_assessment, is_supervisor_for
from marac.assessments.models import AssessmentStatus, RiskAssessment
from marac.audit import record
from marac.incidents.models import Incident
from marac.operations import NotFound, allow, operation
from marac.pagination import Page, paginate
from marac.people.models import Person
from marac.people.restriction import shown_person

OBJECT = "risk_assessment"
CASE_ROLES = (Role.REFERRER, Role.MEMBER, Role.COORDINATOR)


@dataclass(frozen=True)
class AssessmentList:
    """A page of assessments with the people, incidents and names the list shows."""

    page: Page[RiskAssessment]
    people: dict[int, Person]
    incidents: dict[int, Incident]
    assessors: dict[int, str]
    queue_count: int | None = None


@dataclass(frozen=True)
class AssessmentView:
    """One assessment and what its pages show about the case."""

    assessment: RiskAssessment
    incident: Incident | None
    person: Person | None
    assessor: User | None
    endorser: User | None
    agency_name: str


def _by_id(db: Session, model: type[Any], ids: Iterable[int | None]) -> dict[int, Any]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {row.id: row for row in db.scalars(select(model).where(model.id.in_(wanted)))}


def _names(db: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.execute(select(User.id, User.name).where(User.id.in_(wanted)))
    return {row.id: row.name for row in rows}


def _not_restricted(viewer: User) -> ColumnElement[bool]:
    """Leaves out assessments of a person restricted from the viewer (marac.people.restriction)."""
    return or_(
        RiskAssessment.incident_id.is_(None),
        exists().where(
            Incident.id == RiskAssessment.incident_id, shown_person(viewer, Incident.person_id)
        ),
    )


def _queue(viewer: User) -> Select[Any]:
    return select(RiskAssessment).where(
        RiskAssessment.agency_id == viewer.agency_id,
        RiskAssessment.status == AssessmentStatus.SUBMITTED.value,
        RiskAssessment.assessor_id != viewer.id,
        _not_restricted(viewer),
    )


def is_supervisor(viewer: User) -> bool:
    """A supervisor of the viewer's own agency: the endorsement queue is theirs."""
    return is_supervisor_for(viewer, viewer.agency_id)


@operation
def my_assessments(db: Session, viewer: User, page_number: int | None) -> AssessmentList:
    """The viewer's own assessments, drafts first, then the newest (audited)."""
    allow(any(viewer.has_role(role) for role in CASE_ROLES))
    drafts_first = case((RiskAssessment.status == AssessmentStatus.DRAFT.value, 0), else_=1)
    query = (
        select(RiskAssessment)
        .where(RiskAssessment.assessor_id == viewer.id, _not_restricted(viewer))
        .order_by(drafts_first, RiskAssessment.updated_at.desc(), RiskAssessment.id.desc())
    )
    page = paginate(db, query, page_number)
    queue_count = None
    if is_supervisor(viewer):
        queue_count = db.scalar(select(func.count()).select_from(_queue(viewer).subquery()))
    record(
        db,
        "assessments_listed",
        OBJECT,
        None,
        f"Listed own assessments, page {page.page}",
        user=viewer,
    )
    return AssessmentList(
        page,
        _by_id(db, Person, (a.person_id for a in page.items)),
        _by_id(db, Incident, (a.incident_id for a in page.items)),
        {},
        queue_count,
    )


@operation
def endorsement_queue(db: Session, viewer: User, page_number: int | None) -> AssessmentList:
    """Submitted assessments of the supervisor's agency, oldest first, never their own."""
    allow(is_supervisor(viewer))
    query = _queue(viewer).order_by(RiskAssessment.submitted_at.asc(), RiskAssessment.id.asc())
    page = paginate(db, query, page_number)
    record(
        db,
        "endorsement_queue_viewed",
        OBJECT,
        None,
        f"Endorsement queue page {page.page}",
        user=viewer,
    )
    return AssessmentList(
        page,
        _by_id(db, Person, (a.person_id for a in page.items)),
        _by_id(db, Incident, (a.incident_id for a in page.items)),
        _names(db, (a.assessor_id for a in page.items)),
    )


def load(db: Session, assessment_id: int) -> RiskAssessment:
    """The assessment, or `NotFound` (no need-to-know check: callers make their own)."""
    assessment = db.get(RiskAssessment, assessment_id)
    if assessment is None:
        raise NotFound()
    return assessment


def details(db: Session, assessment: RiskAssessment) -> AssessmentView:
    """What the pages show around an assessment the viewer was already allowed to see."""
    incident = db.get(Incident, assessment.incident_id) if assessment.incident_id else None
    agency = db.get(Agency, assessment.agency_id)
    return AssessmentView(
        assessment=assessment,
        incident=incident,
        person=db.get(Person, assessment.person_id) if assessment.person_id else None,
        assessor=db.get(User, assessment.assessor_id),
        endorser=db.get(User, assessment.endorsed_by_id) if assessment.endorsed_by_id else None,
        agency_name=agency.name if agency else "",
    )


def visible_assessment(db: Session, viewer: User, assessment_id: int) -> AssessmentView:
    """The assessment if the viewer may see it (`NotFound` / `Refused` otherwise)."""
    assessment = load(db, assessment_id)
    incident = db.get(Incident, assessment.incident_id) if assessment.incident_id else None
    allow(can_view_assessment(viewer, assessment, incident.area_id if incident else None))
    return details(db, assessment)


@operation
def note_viewed(
    db: Session, viewer: User, assessment: RiskAssessment, *, purpose: str, section_key: str = ""
) -> None:
    """Audit that the viewer opened an assessment page (each page its own wording)."""
    status = assessment.status
    if purpose == "section":
        record(
            db,
            "assessment_viewed",
            OBJECT,
            assessment.id,
            f"Opened section {section_key}",
            user=viewer,
        )
    elif purpose == "check":
        record(db, "assessment_viewed", OBJECT, assessment.id, "Checked answers", user=viewer)
    elif purpose == "endorse":
        record(
            db, "assessment_viewed", OBJECT, assessment.id, "Opened for endorsement", user=viewer
        )
    else:
        record(db, "assessment_viewed", OBJECT, assessment.id, f"Viewed ({status})", user=viewer)


def endorser_name(db: Session, assessment: RiskAssessment) -> str:
    """Who endorsed it, for the 'already endorsed' message."""
    if assessment.external_endorser_name:
        return assessment.external_endorser_name
    endorser = db.get(User, assessment.endorsed_by_id) if assessment.endorsed_by_id else None
    return endorser.name if endorser else "a supervisor"


@dataclass(frozen=True)
class IncidentAssessments:
    """An incident's assessments for its page: those the viewer may read, and whether one
    is under way (even one they may not read), so the page offers only what is possible."""

    shown: list[RiskAssessment]
    under_way: bool
    own_draft: RiskAssessment | None


def incident_assessments(db: Session, viewer: User, incident: Incident) -> IncidentAssessments:
    """The incident page's assessments, one query, need-to-know checked per row."""
    rows = list(
        db.scalars(
            select(RiskAssessment)
            .where(RiskAssessment.incident_id == incident.id)
            .order_by(RiskAssessment.created_at.desc(), RiskAssessment.id.desc())
        )
    )
    under_way = ("draft", "submitted", "endorsed")
    own = next(
        (a for a in rows if a.assessor_id == viewer.id and a.status == AssessmentStatus.DRAFT),
        None,
    )
    return IncidentAssessments(
        shown=[a for a in rows if can_view_assessment(viewer, a, incident.area_id)],
        under_way=any(a.status in under_way for a in rows),
        own_draft=own,
    )
