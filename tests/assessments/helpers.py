"""Builders for assessment tests: people, incidents, and assessments at any stage."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from marac.accounts.models import Area, User
from marac.assessments.instrument import CURRENT_VERSION, V2026_1
from marac.assessments.models import AssessmentStatus, RiskAssessment, RiskMeasure
from marac.assessments.tasks import tasks_for
from marac.db import utcnow
from marac.incidents.models import Incident, IncidentStrand
from marac.people.models import Person

_seq = itertools.count(1)


def make_person(db: Session, name: str | None = None) -> Person:
    person = Person()
    person.set_identity(name or f"Victim {next(_seq)}", "AK1 2BX")
    db.add(person)
    db.commit()
    return person


def make_incident(
    db: Session, creator: User, person: Person | None = None, area: Area | None = None
) -> Incident:
    person = person or make_person(db)
    incident = Incident(
        person_id=person.id,
        area_id=area.id if area else None,
        occurred_at=utcnow() - timedelta(days=1),
        place="Outside the shop on Mill Road",
        postcode="AK1 2BX",
        incident_type="threats",
        recorded_as="crime",
        reported_via="police",
        perceived_by="victim",
        agency_id=creator.agency_id,
        created_by_id=creator.id,
    )
    incident.strands.append(IncidentStrand(code="race"))
    db.add(incident)
    db.commit()
    return incident


def all_answers(value: str = "no", rating: str = "low") -> dict[str, Any]:
    """A complete set of answers for the current instrument."""
    answers: dict[str, Any] = {}
    for q in V2026_1.questions:
        answers[q.id] = value if q.choice(value) else q.choices[0].value
    for d in V2026_1.diagnostics:
        answers[d.rating_key] = rating
    answers["perception"] = "yes"
    answers["perceived_by"] = ["victim"]
    return answers


def make_assessment(
    db: Session,
    assessor: User,
    incident: Incident | None = None,
    status: AssessmentStatus = AssessmentStatus.SUBMITTED,
    judgement: str = "medium",
    suggested: str = "low",
    **kw: Any,
) -> RiskAssessment:
    """An assessment with every section done, in `status` (submitted by default)."""
    incident = incident or make_incident(db, assessor)
    now = utcnow()
    kw.setdefault("submitted_at", None if status == AssessmentStatus.DRAFT else now)
    if status == AssessmentStatus.ENDORSED:
        kw.setdefault("final_level", judgement)
        kw.setdefault("endorsed_at", now)
    assessment = RiskAssessment(
        person_id=incident.person_id,
        incident_id=incident.id,
        agency_id=assessor.agency_id,
        assessor_id=assessor.id,
        instrument_version=CURRENT_VERSION,
        status=status.value,
        answers=all_answers(),
        completed_sections=[task.key for task in tasks_for(V2026_1)],
        judgement_level=judgement,
        judgement_rationale="Victim is frightened but the perpetrator is not known.",
        suggested_level=suggested,
        **kw,
    )
    assessment.measures.append(
        RiskMeasure(description="Fit a fire-proof letterbox", rara="reduce", responsible="Housing")
    )
    db.add(assessment)
    db.commit()
    return assessment


def section_data(section_key: str, value: str = "no") -> dict[str, str]:
    section = V2026_1.section(section_key)
    assert section is not None
    data = {}
    for q in section.questions:
        data[q.id] = value if q.choice(value) else q.choices[0].value
    return data


def version_of(db: Session, assessment_id: int) -> int:
    db.expire_all()
    assessment = db.get(RiskAssessment, assessment_id)
    assert assessment is not None
    return assessment.version


def complete_through_forms(
    client: Any,
    db: Session,
    assessment_id: int,
    value: str = "no",
    rating: str = "low",
    judgement: str = "low",
    below_reason: str = "",
) -> None:
    """Fill in every page by real POSTs, asserting each save moves on."""
    base = f"/assessments/{assessment_id}/sections"
    for section in V2026_1.sections:
        data = {**section_data(section.key, value), "action": "continue"}
        data["version"] = str(version_of(db, assessment_id))
        response = client.submit(f"{base}/{section.key}", data)
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    diag = {f"{d.id}_rating": rating for d in V2026_1.diagnostics}
    diag.update(action="continue", version=str(version_of(db, assessment_id)))
    assert client.submit(f"{base}/diagnostics", diag).status_code == 302
    judgement_data = {
        "perception": "yes",
        "perceived_by": ["victim", "officer"],
        "judgement_level": judgement,
        "judgement_rationale": "Threats continue and the victim lives alone near the suspect.",
        "below_suggested_reason": below_reason,
        "action": "continue",
        "version": str(version_of(db, assessment_id)),
    }
    response = client.submit(f"{base}/judgement", judgement_data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    measure = {
        "description": "Neighbourhood officer to visit weekly",
        "rara": "reduce",
        "responsible": "Police neighbourhood team",
        "action": "continue",
        "version": str(version_of(db, assessment_id)),
    }
    response = client.submit(f"{base}/plan", measure)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
