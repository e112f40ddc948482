"""Who hears about a risk assessment: the supervisors of the assessor's agency."""

from __future__ import annotations

from sqlalchemy.orm import Session

from marac.accounts.models import User
from marac.assessments.models import RiskAssessment
from marac.notify.events import ASSESSMENT_SUBMITTED, Notice, deliver, quietly, supervisors_of


@quietly
def assessment_submitted(session: Session, assessment: RiskAssessment) -> list[User]:
    """A submitted risk assessment waits for a supervisor of the same agency."""
    reference = f"Assessment {assessment.id}"
    notice = Notice(
        ASSESSMENT_SUBMITTED,
        f"Risk assessment {assessment.id} waits for endorsement",
        f"Risk assessment {assessment.id} has been submitted and waits for endorsement.",
        reference,
        f"/assessments/{assessment.id}",
    )
    users = supervisors_of(session, assessment.agency_id, assessment.assessor_id)
    return deliver(session, users, notice)
