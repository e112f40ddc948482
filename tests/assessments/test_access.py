"""Who may read an assessment: refusals as well as the happy path, and every view audited."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.assessments.models import AssessmentStatus
from marac.audit.models import AuditEvent
from tests.assessments.helpers import make_assessment, make_incident
from tests.factories import make_agency, make_area, make_user


def _users(db: Session):
    agency = make_agency(db)
    area, other_area = make_area(db), make_area(db, districts="AK9")
    assessor = make_user(db, Role.REFERRER, agency=agency)
    coordinator = make_user(db, Role.COORDINATOR, agency=make_agency(db))
    coordinator.areas.append(area)
    other_coordinator = make_user(db, Role.COORDINATOR, agency=coordinator.agency)
    other_coordinator.areas.append(other_area)
    db.commit()
    return {
        "assessor": assessor,
        "supervisor": make_user(db, Role.REFERRER, agency=agency, supervisor=True),
        "member_supervisor": make_user(db, Role.MEMBER, agency=agency, supervisor=True),
        "colleague": make_user(db, Role.REFERRER, agency=agency),
        "other_agency_referrer": make_user(db, Role.REFERRER),
        "other_agency_supervisor": make_user(db, Role.REFERRER, supervisor=True),
        "coordinator": coordinator,
        "other_area_coordinator": other_coordinator,
        "admin": make_user(db, Role.ADMIN, agency=agency, supervisor=True),
    }, area


SUBMITTED_ACCESS = {
    "assessor": 200,
    "supervisor": 200,
    "member_supervisor": 200,
    "colleague": 403,
    "other_agency_referrer": 403,
    "other_agency_supervisor": 403,
    "coordinator": 200,
    "other_area_coordinator": 403,
    "admin": 403,
}


@pytest.mark.parametrize("status", [AssessmentStatus.SUBMITTED, AssessmentStatus.ENDORSED])
def test_who_reads_a_submitted_assessment(db: Session, login, status: AssessmentStatus) -> None:
    users, area = _users(db)
    incident = make_incident(db, users["assessor"], area=area)
    assessment = make_assessment(db, users["assessor"], incident, status=status)
    for name, expected in SUBMITTED_ACCESS.items():
        response = login(users[name]).get(f"/assessments/{assessment.id}")
        assert response.status_code == expected, name
    views = db.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "assessment_viewed")
        .where(AuditEvent.object_id == str(assessment.id))
    )
    assert views == list(SUBMITTED_ACCESS.values()).count(200)


def test_any_coordinator_reads_when_the_area_is_unknown(db: Session, login) -> None:
    users, _area = _users(db)
    assessment = make_assessment(db, users["assessor"])  # incident without an area
    for name in ("coordinator", "other_area_coordinator"):
        assert login(users[name]).get(f"/assessments/{assessment.id}").status_code == 200


def test_a_draft_is_the_assessors_alone(db: Session, login) -> None:
    users, area = _users(db)
    incident = make_incident(db, users["assessor"], area=area)
    draft = make_assessment(db, users["assessor"], incident, status=AssessmentStatus.DRAFT)
    for name in SUBMITTED_ACCESS:
        expected = 200 if name == "assessor" else 403
        assert login(users[name]).get(f"/assessments/{draft.id}").status_code == expected, name


def test_missing_assessment_is_404(db: Session, login) -> None:
    assert login(make_user(db, Role.REFERRER)).get("/assessments/99999").status_code == 404


def test_lists_refuse_admins(db: Session, login) -> None:
    admin = login(make_user(db, Role.ADMIN, supervisor=True))
    assert admin.get("/assessments").status_code == 403
    assert admin.get("/assessments/endorsements").status_code == 403
