"""Who may see, edit and endorse a risk assessment. Plain rules, no request needed.

Admins run the system and never see case data. A draft belongs to its assessor alone;
once submitted, supervisors of the assessor's agency and the coordinators of the
incident's area (any coordinator when the area is not known) may read it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import object_session

from marac.accounts.models import Role
from marac.assessments.models import AssessmentStatus, RiskAssessment
from marac.incidents.models import Incident
from marac.people.restriction import is_hidden, no_case_content


def is_supervisor_for(user: Any, agency_id: int) -> bool:
    """A supervisor of `agency_id` (admins never count, whatever their flag)."""
    return bool(
        user.is_supervisor and user.agency_id == agency_id and not user.has_role(Role.ADMIN)
    )


def _restricted_from(user: Any, assessment: RiskAssessment) -> bool:
    """The assessment's victim is restricted from `user` (marac.people.restriction)."""
    session = object_session(assessment)
    if session is None or assessment.incident_id is None:
        return False
    person_id = session.scalar(
        select(Incident.person_id).where(Incident.id == assessment.incident_id)
    )
    return is_hidden(session, user, person_id)


def can_view_assessment(user: Any, assessment: RiskAssessment, area_id: int | None) -> bool:
    """`area_id` is the area of the assessment's incident, None when unknown."""
    if no_case_content(user) or _restricted_from(user, assessment):
        return False
    if assessment.assessor_id == user.id:
        return True
    if assessment.status == AssessmentStatus.DRAFT:
        return False
    if is_supervisor_for(user, assessment.agency_id):
        return True
    if user.has_role(Role.COORDINATOR):
        return area_id is None or area_id in {a.id for a in user.areas}
    return False


def can_edit_assessment(user: Any, assessment: RiskAssessment) -> bool:
    return assessment.assessor_id == user.id and assessment.status == AssessmentStatus.DRAFT


def can_endorse_assessment(user: Any, assessment: RiskAssessment) -> bool:
    """A supervisor of the assessor's agency, never the assessor (status checked apart)."""
    return assessment.assessor_id != user.id and is_supervisor_for(user, assessment.agency_id)
