"""Builders for referral tests: rows made directly with the models, no forms involved."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from marac.accounts.models import Area, Role, User
from marac.assessments.models import AssessmentStatus, RiskAssessment
from marac.db import utcnow
from marac.incidents.models import Incident, IncidentStrand
from marac.people.models import Person
from marac.referrals.models import Referral, ReferralIncident, ReferralSource, ReferralStatus
from tests.factories import make_agency, make_area, make_user

_seq = itertools.count(1)


def make_person(db: Session, name: str | None = None, postcode: str = "AK1 2BX") -> Person:
    person = Person()
    person.set_identity(name or f"Victim {next(_seq)}", postcode)
    db.add(person)
    db.commit()
    return person


def make_incident(
    db: Session,
    creator: User,
    person: Person,
    area: Area | None = None,
    occurred_at: datetime | None = None,
    **kw: Any,
) -> Incident:
    incident = Incident(
        person_id=person.id,
        area_id=area.id if area else None,
        occurred_at=occurred_at or utcnow() - timedelta(days=1),
        place="Outside the shop on Mill Road",
        postcode=kw.pop("postcode", "AK1 2BX"),
        incident_type="threats",
        recorded_as="crime",
        reported_via="police",
        perceived_by="victim",
        agency_id=creator.agency_id,
        created_by_id=creator.id,
        **kw,
    )
    incident.strands.append(IncidentStrand(code="race"))
    db.add(incident)
    db.commit()
    return incident


def make_endorsed(
    db: Session, assessor: User, incident: Incident, level: str = "high"
) -> RiskAssessment:
    """An assessment a supervisor has just endorsed at `level`."""
    now = utcnow()
    assessment = RiskAssessment(
        person_id=incident.person_id,
        incident_id=incident.id,
        agency_id=assessor.agency_id,
        assessor_id=assessor.id,
        instrument_version="2026.1",
        status=AssessmentStatus.ENDORSED.value,
        answers={},
        suggested_level=level,
        judgement_level=level,
        final_level=level,
        submitted_at=now,
        endorsed_at=now,
    )
    db.add(assessment)
    db.commit()
    return assessment


def make_referral(
    db: Session,
    person: Person | None,
    area: Area | None = None,
    *,
    created_at: datetime | None = None,
    status: ReferralStatus = ReferralStatus.NEW,
    referrer: User | None = None,
    risk_level: str | None = None,
    source: ReferralSource = ReferralSource.PARTNER,
    commit: bool = True,
    **kw: Any,
) -> Referral:
    n = next(_seq)
    referral = Referral(
        reference=kw.pop("reference", f"CM-2000-{n:04d}"),
        person_id=person.id if person else None,
        area_id=area.id if area else None,
        source=source.value,
        status=status.value,
        risk_level=risk_level,
        referrer_id=referrer.id if referrer else None,
        referring_agency_id=referrer.agency_id if referrer else None,
        reasons=kw.pop("reasons", "Concerned about repeated abuse."),
        created_at=created_at or utcnow(),
        **kw,
    )
    db.add(referral)
    if commit:
        db.commit()
    return referral


def link(db: Session, referral: Referral, incident: Incident) -> None:
    db.add(ReferralIncident(referral_id=referral.id, incident_id=incident.id))
    db.commit()


def make_coordinator(db: Session, *areas: Area) -> User:
    agency = make_agency(db)
    user = make_user(db, Role.COORDINATOR, agency=agency)
    user.areas = list(areas)
    db.commit()
    return user


class World:
    """An area with a police referrer and the area's coordinator, for most tests."""

    def __init__(self, db: Session) -> None:
        self.area = make_area(db, districts="AK1 AK2")
        self.other_area = make_area(db, districts="ZZ9")
        self.police = make_agency(db)
        self.referrer = make_user(db, Role.REFERRER, agency=self.police)
        self.coordinator = make_coordinator(db, self.area)
        self.other_coordinator = make_coordinator(db, self.other_area)
        self.person = make_person(db)
        self.incident = make_incident(db, self.referrer, self.person, self.area)
