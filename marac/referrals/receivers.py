"""The referral side's answers to lower capabilities' signals (connected by `create_app`).

Receivers run synchronously in the sender's transaction, so a referral the trigger rules
create is committed (or rolled back) with the write that fired them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from marac.assessments.models import RiskAssessment
from marac.assessments.signals import assessment_endorsed
from marac.referrals import triggers


@assessment_endorsed.connect
def _assessment_endorsed(
    sender: Any, *, session: Session, assessment: RiskAssessment, now: datetime
) -> Any:
    """Run the referral trigger rules for an endorsed assessment; the referral, if one."""
    return triggers.on_assessment_endorsed(session, assessment, now)
