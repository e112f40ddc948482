"""Referrals listening to the capabilities below them (imported once by `create_app`).

A lower capability sends a blinker signal when something happened; the receivers here
run the referral rules in the same transaction, so the lower capability never imports
referrals.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from marac.incidents.models import Incident
from marac.incidents.signals import incident_recorded
from marac.referrals.triggers import on_incident_recorded


@incident_recorded.connect
def run_rules_for_incident(db: Session, *, incident: Incident, now: datetime, **_: Any) -> None:
    """A new incident may make the victim's case a referral (repeats, escalation)."""
    on_incident_recorded(db, incident, now)
