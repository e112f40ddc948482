"""Referrals listening to the capabilities below them (imported once by `create_app`).

A lower capability sends a blinker signal when something happened; the receivers here
run the referral rules in the same transaction (so a referral they create is committed or
rolled back with the write that fired them), and the lower capability never imports
referrals.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from marac.assessments.models import RiskAssessment
from marac.assessments.signals import assessment_endorsed
from marac.incidents.models import Incident
from marac.incidents.signals import incident_recorded
from marac.referrals import triggers


@incident_recorded.connect
def run_rules_for_incident(db: Session, *, incident: Incident, now: datetime, **_: Any) -> None:
    """A new incident may make the victim's case a referral (repeats, escalation)."""
    triggers.on_incident_recorded(db, incident, now)


@assessment_endorsed.connect
def _assessment_endorsed(
    sender: Any, *, session: Session, assessment: RiskAssessment, now: datetime
) -> Any:
    """Run the referral trigger rules for an endorsed assessment; the referral, if one."""
    return triggers.on_assessment_endorsed(session, assessment, now)
