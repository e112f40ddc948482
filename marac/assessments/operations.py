"""Every write to a risk assessment: start, save each page, submit, endorse, and intake.

Each function takes a session, the acting user and plain values, checks the actor may
act, changes the rows, records the audit row and the notifications, and commits once
(see `marac.operations`). The pages and the intake API call the same functions, so the
judgement and endorsement rules live here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from marac.accounts.models import Role, User
from marac.assessments import notices
from marac.assessments import tasks as t
from marac.assessments.access import can_endorse_assessment
from marac.assessments.instrument import (
    CURRENT_VERSION,
    INSTRUMENTS,
    PERCEIVED_BY_KEY,
    PERCEPTION_KEY,
    RATINGS,
    Instrument,
    get_instrument,
)
from marac.assessments.models import (
    AssessmentStatus,
    Rara,
    RiskAssessment,
    RiskLevel,
    RiskMeasure,
)
from marac.assessments.scoring import check_endorsement, check_judgement, suggested_level
from marac.assessments.signals import assessment_endorsed
from marac.audit import record
from marac.db import utcnow
from marac.incidents.models import Incident
from marac.operations import Conflict, Invalid, NotFound, allow, operation

OBJECT = "risk_assessment"
CASE_ROLES = (Role.REFERRER, Role.MEMBER, Role.COORDINATOR)
TEXT_MAX = 5000
DESCRIPTION_MAX = 2000
RESPONSIBLE_MAX = 200
EXTERNAL_NAME_MAX = 200
EXTERNAL_REFERENCE_MAX = 100


@dataclass(frozen=True)
class MeasureInput:
    """One risk management measure as sent: what, Remove/Avoid/Reduce/Accept, and who."""

    description: str
    rara: str
    responsible: str


@dataclass(frozen=True)
class Endorsed:
    """What endorsing produced: the assessment and the referral the trigger rules made."""

    assessment: RiskAssessment
    referral: Any | None


# ---- helpers ----------------------------------------------------------------------------


def _load(db: Session, assessment_id: int) -> RiskAssessment:
    assessment = db.get(RiskAssessment, assessment_id)
    if assessment is None:
        raise NotFound()
    return assessment


def _check_version(assessment: RiskAssessment, version: int | None) -> None:
    """A change based on an older version is refused (nothing is written)."""
    if version is not None and version != assessment.version:
        raise Conflict()


def _flush(db: Session) -> None:
    """Write now, so a concurrent change shows as `Conflict` rather than at commit."""
    try:
        db.flush()
    except StaleDataError as error:
        raise Conflict() from error


def _editable(db: Session, actor: User, assessment_id: int, version: int | None) -> RiskAssessment:
    """The assessor's own draft, at the version the actor saw."""
    assessment = _load(db, assessment_id)
    allow(assessment.assessor_id == actor.id and not actor.has_role(Role.ADMIN))
    if assessment.status != AssessmentStatus.DRAFT:
        raise Conflict("This assessment has been submitted, so it can no longer be changed.")
    _check_version(assessment, version)
    return assessment


def _mark(assessment: RiskAssessment, key: str, complete: bool) -> None:
    done = [k for k in assessment.completed_sections or [] if k != key]
    if complete:
        done.append(key)
    assessment.completed_sections = done


def _set_answers(assessment: RiskAssessment, values: Mapping[str, Any]) -> None:
    """Store answers given; a fresh dict so the JSON column notices the change."""
    answers = dict(assessment.answers or {})
    for key, value in values.items():
        if value in (None, "", []):
            answers.pop(key, None)
        else:
            answers[key] = value
    assessment.answers = answers


def _touch(assessment: RiskAssessment) -> None:
    assessment.updated_at = utcnow()  # always an UPDATE, so the version moves on


def _can_view_incident(actor: User, incident: Incident) -> bool:
    from marac.incidents.access import can_view_incident

    return bool(can_view_incident(actor, incident))


def submit_problems(assessment: RiskAssessment) -> list[tuple[str, str]]:
    """What stops `assessment` being submitted, as (task key, problem), in task order."""
    instrument = get_instrument(assessment.instrument_version)
    statuses = t.task_statuses(
        instrument,
        assessment.answers or {},
        assessment.completed_sections or [],
        assessment.judgement_level,
        len(assessment.measures),
    )
    problems = [
        (task.key, f"Complete '{task.title}'")
        for task in t.tasks_for(instrument)
        if statuses[task.key] != t.COMPLETED
    ]
    scoring = suggested_level(instrument, assessment.answers or {})
    if assessment.judgement_level and (
        problem := check_judgement(
            scoring.level, assessment.judgement_level, assessment.below_suggested_reason
        )
    ):
        problems.append(
            (t.JUDGEMENT, f"The answers now suggest {scoring.level.label.lower()} risk. {problem}")
        )
    return problems


def judgement_problem(assessment: RiskAssessment, level: str | None, reason: str) -> str | None:
    """Why `level` may not be the judgement without a (longer) reason, or None."""
    if not level:
        return None
    scoring = suggested_level(
        get_instrument(assessment.instrument_version), assessment.answers or {}
    )
    return check_judgement(scoring.level, level, reason)


def endorsement_problem(assessment: RiskAssessment, final: str | None, reason: str) -> str | None:
    """Why `final` may not be endorsed without a (longer) reason, or None."""
    if not final or not assessment.judgement_level:
        return None
    return check_endorsement(assessment.judgement_level, final, reason)


# ---- start and save ---------------------------------------------------------------------


def existing_draft(db: Session, actor: User, incident_id: int) -> RiskAssessment | None:
    """The actor's own draft for the incident, if they have one."""
    return db.scalar(
        select(RiskAssessment).where(
            RiskAssessment.incident_id == incident_id,
            RiskAssessment.assessor_id == actor.id,
            RiskAssessment.status == AssessmentStatus.DRAFT.value,
        )
    )


# An incident is assessed once: a second assessment while one is under way or endorsed
# would split the evidence (and could refer the same incident twice).
UNDER_WAY = (
    AssessmentStatus.DRAFT.value,
    AssessmentStatus.SUBMITTED.value,
    AssessmentStatus.ENDORSED.value,
)
UNDER_WAY_WORDS: dict[str, str] = {
    AssessmentStatus.DRAFT.value: "is in progress",
    AssessmentStatus.SUBMITTED.value: "is waiting for endorsement",
    AssessmentStatus.ENDORSED.value: "has been endorsed",
}


class AlreadyAssessed(Conflict):
    """The incident already has an assessment in progress, waiting, or endorsed."""

    def __init__(self, assessment: RiskAssessment) -> None:
        self.assessment = assessment
        super().__init__(
            f"A risk assessment of this incident {UNDER_WAY_WORDS[assessment.status]}, so "
            "another cannot be started. Read that assessment instead, or refer the case on "
            "professional judgement."
        )


def assessment_under_way(db: Session, incident_id: int) -> RiskAssessment | None:
    """The incident's assessment in progress, waiting or endorsed, if there is one."""
    return db.scalar(
        select(RiskAssessment)
        .where(RiskAssessment.incident_id == incident_id, RiskAssessment.status.in_(UNDER_WAY))
        .order_by(RiskAssessment.id.desc())
        .limit(1)
    )


@operation
def start_assessment(db: Session, actor: User, incident_id: int) -> RiskAssessment:
    """Start a draft on the current instrument for the incident's victim (or reopen one).

    Refused with `AlreadyAssessed` when someone else's assessment of it is under way.
    """
    allow(any(actor.has_role(role) for role in CASE_ROLES) and not actor.has_role(Role.ADMIN))
    incident = db.get(Incident, incident_id)
    if incident is None:
        raise NotFound()
    allow(_can_view_incident(actor, incident))
    existing = existing_draft(db, actor, incident.id)
    if existing is not None:
        return existing
    under_way = assessment_under_way(db, incident.id)
    if under_way is not None:
        raise AlreadyAssessed(under_way)
    assessment = _new(db, actor, incident, CURRENT_VERSION)
    record(
        db,
        "assessment_started",
        OBJECT,
        assessment.id,
        f"Started a risk assessment (version {CURRENT_VERSION}) for incident {incident.id}",
        user=actor,
    )
    return assessment


def _new(db: Session, actor: User, incident: Incident, version: str) -> RiskAssessment:
    assessment = RiskAssessment(
        person_id=incident.person_id,
        incident_id=incident.id,
        agency_id=actor.agency_id,
        assessor_id=actor.id,
        instrument_version=version,
        status=AssessmentStatus.DRAFT.value,
        answers={},
        completed_sections=[],
    )
    db.add(assessment)
    db.flush()
    return assessment


@operation
def save_section(
    db: Session,
    actor: User,
    assessment_id: int,
    section_key: str,
    *,
    version: int,
    answers: Mapping[str, str | None],
) -> RiskAssessment:
    """Save one question section's answers (on the version the draft was started on)."""
    assessment = _editable(db, actor, assessment_id, version)
    instrument = get_instrument(assessment.instrument_version)
    section = instrument.section(section_key)
    if section is None:
        raise NotFound()
    values = {q.id: answers.get(q.id) for q in section.questions}
    errors = {
        q.id: "Select an answer from the list"
        for q in section.questions
        if values[q.id] and q.choice(values[q.id]) is None
    }
    if errors:
        raise Invalid(errors)
    _set_answers(assessment, values)
    _mark(assessment, section.key, all(values.values()))
    _touch(assessment)
    record(
        db,
        "assessment_section_saved",
        OBJECT,
        assessment.id,
        f"Saved '{section.title}'",
        user=actor,
    )
    _flush(db)
    return assessment


@operation
def save_diagnostics(
    db: Session,
    actor: User,
    assessment_id: int,
    *,
    version: int,
    ratings: Mapping[str, str | None],
    notes: Mapping[str, str],
) -> RiskAssessment:
    """Save the diagnostic ratings (by diagnostic id) and their notes."""
    assessment = _editable(db, actor, assessment_id, version)
    instrument = get_instrument(assessment.instrument_version)
    valid = {c.value for c in RATINGS}
    errors = {
        f"{d.id}_rating": "Select low, medium or high"
        for d in instrument.diagnostics
        if ratings.get(d.id) and ratings.get(d.id) not in valid
    }
    if errors:
        raise Invalid(errors)
    values: dict[str, Any] = {}
    for d in instrument.diagnostics:
        values[d.rating_key] = ratings.get(d.id)
        values[d.note_key] = notes.get(d.id, "")
    _set_answers(assessment, values)
    _mark(assessment, t.DIAGNOSTICS, all(values[d.rating_key] for d in instrument.diagnostics))
    _touch(assessment)
    record(
        db,
        "assessment_section_saved",
        OBJECT,
        assessment.id,
        "Saved diagnostic questions",
        user=actor,
    )
    _flush(db)
    return assessment


@operation
def save_judgement(
    db: Session,
    actor: User,
    assessment_id: int,
    *,
    version: int,
    perception: str | None,
    perceived_by: Sequence[str],
    judgement_level: str | None,
    judgement_rationale: str,
    below_suggested_reason: str,
    enforce: bool = True,
) -> RiskAssessment:
    """Save perception and judgement. The level may rise freely; lowering it below the
    suggested level needs a written reason (`enforce=False` keeps a draft saved 'for
    later' without the reason, as the page allows, but never marks it complete)."""
    assessment = _editable(db, actor, assessment_id, version)
    instrument = get_instrument(assessment.instrument_version)
    if judgement_level and judgement_level not in {level.value for level in RiskLevel}:
        raise Invalid({"judgement_level": "Select low, medium or high"})
    scoring = suggested_level(instrument, assessment.answers or {})
    problem = (
        check_judgement(scoring.level, judgement_level, below_suggested_reason)
        if judgement_level
        else None
    )
    if problem and enforce:
        raise Invalid({"below_suggested_reason": problem})
    values = {PERCEPTION_KEY: perception, PERCEIVED_BY_KEY: list(perceived_by or [])}
    complete = bool(all(values.values()) and judgement_level and judgement_rationale)
    _set_answers(assessment, values)
    assessment.judgement_level = judgement_level or None
    assessment.judgement_rationale = judgement_rationale
    assessment.below_suggested_reason = below_suggested_reason
    _mark(assessment, t.JUDGEMENT, complete and not problem)
    _touch(assessment)
    record(
        db,
        "assessment_section_saved",
        OBJECT,
        assessment.id,
        f"Saved perception and judgement ({judgement_level or 'no level yet'})",
        user=actor,
    )
    _flush(db)
    return assessment


def _measure_errors(measure: MeasureInput, prefix: str = "") -> dict[str, str]:
    errors = {}
    if not measure.description:
        errors[f"{prefix}description"] = "Describe the measure"
    elif len(measure.description) > DESCRIPTION_MAX:
        errors[f"{prefix}description"] = f"Use {DESCRIPTION_MAX} characters or fewer"
    if measure.rara not in {r.value for r in Rara}:
        errors[f"{prefix}rara"] = (
            "Select whether the measure removes, avoids, reduces or accepts the risk"
        )
    if not measure.responsible:
        errors[f"{prefix}responsible"] = "Enter who is responsible for the measure"
    elif len(measure.responsible) > RESPONSIBLE_MAX:
        errors[f"{prefix}responsible"] = f"Use {RESPONSIBLE_MAX} characters or fewer"
    return errors


@operation
def add_measure(
    db: Session,
    actor: User,
    assessment_id: int,
    *,
    version: int,
    measure: MeasureInput,
    finish_plan: bool = False,
) -> RiskMeasure:
    """Add one measure (tagged Remove/Avoid/Reduce/Accept) to the risk management plan;
    with `finish_plan` the plan is marked done too (the page's 'save and continue')."""
    assessment = _editable(db, actor, assessment_id, version)
    if errors := _measure_errors(measure):
        raise Invalid(errors)
    new = RiskMeasure(
        description=measure.description, rara=measure.rara, responsible=measure.responsible
    )
    assessment.measures.append(new)
    if finish_plan:
        _mark(assessment, t.PLAN, True)
    _touch(assessment)
    record(
        db, "risk_measure_added", OBJECT, assessment.id, f"Added a measure ({new.rara})", user=actor
    )
    _flush(db)
    return new


@operation
def remove_measure(
    db: Session, actor: User, assessment_id: int, measure_id: int, *, version: int
) -> RiskAssessment:
    """Remove a measure; an empty plan is no longer complete."""
    assessment = _editable(db, actor, assessment_id, version)
    measure = next((m for m in assessment.measures if m.id == measure_id), None)
    if measure is None:
        raise NotFound()
    assessment.measures.remove(measure)
    if not assessment.measures:
        _mark(assessment, t.PLAN, False)
    _touch(assessment)
    record(
        db,
        "risk_measure_removed",
        OBJECT,
        assessment.id,
        f"Removed measure {measure.id}",
        user=actor,
    )
    _flush(db)
    return assessment


@operation
def save_plan(
    db: Session, actor: User, assessment_id: int, *, version: int, finish: bool = True
) -> RiskAssessment:
    """Save the plan; with `finish` it is marked done when it has at least one measure."""
    assessment = _editable(db, actor, assessment_id, version)
    if finish:
        _mark(assessment, t.PLAN, bool(assessment.measures))
    _touch(assessment)
    record(
        db,
        "assessment_section_saved",
        OBJECT,
        assessment.id,
        "Saved the risk management plan",
        user=actor,
    )
    _flush(db)
    return assessment


# ---- submit and endorse -----------------------------------------------------------------


@operation
def submit_assessment(
    db: Session, actor: User, assessment_id: int, *, version: int | None
) -> RiskAssessment:
    """Submit a complete draft; the supervisors of the assessor's agency are told."""
    assessment = _editable(db, actor, assessment_id, version)
    if problems := submit_problems(assessment):
        errors: dict[str, list[str]] = {}
        for key, problem in problems:
            errors.setdefault(key, []).append(problem)
        raise Invalid(errors)
    scoring = suggested_level(
        get_instrument(assessment.instrument_version), assessment.answers or {}
    )
    assessment.status = AssessmentStatus.SUBMITTED.value
    assessment.submitted_at = utcnow()
    assessment.suggested_level = scoring.level.value
    notices.assessment_submitted(db, assessment)
    _touch(assessment)
    record(
        db,
        "assessment_submitted",
        OBJECT,
        assessment.id,
        f"Submitted: suggested {scoring.level.value}, judgement {assessment.judgement_level}",
        user=actor,
    )
    _flush(db)
    return assessment


def _endorsable(db: Session, assessment_id: int, version: int | None) -> RiskAssessment:
    assessment = _load(db, assessment_id)
    if assessment.status == AssessmentStatus.ENDORSED:
        raise Conflict("This assessment has already been endorsed.")
    if assessment.status != AssessmentStatus.SUBMITTED:
        raise Conflict("This assessment has not been submitted yet, so it cannot be endorsed.")
    _check_version(assessment, version)
    return assessment


def _check_final(assessment: RiskAssessment, final_level: str, reason: str) -> None:
    """The endorsement's level rules, the same for the page and a force's own system."""
    if final_level not in {level.value for level in RiskLevel}:
        raise Invalid({"final_level": "Select the final level of risk"})
    if len(reason or "") > TEXT_MAX:
        raise Invalid({"reason": f"Use {TEXT_MAX} characters or fewer"})
    if assessment.judgement_level and (
        problem := check_endorsement(assessment.judgement_level, final_level, reason)
    ):
        raise Invalid({"reason": problem})


def _finish_endorsement(
    db: Session,
    actor: User,
    assessment: RiskAssessment,
    final_level: str,
    reason: str,
    now: datetime,
    *,
    external: bool,
) -> Endorsed:
    changed = final_level != assessment.judgement_level
    level = RiskLevel(final_level).value  # a coded level, checked by `_check_final`
    assessment.status = AssessmentStatus.ENDORSED.value
    assessment.final_level = final_level
    assessment.endorsed_at = now
    assessment.endorsement_reason = reason if changed else ""
    assessment.updated_at = utcnow()
    if external:
        record(
            db,
            "assessment_endorsed",
            OBJECT,
            assessment.id,
            f"Recorded an endorsement in the agency's own system as {level}"
            + (f" (changed from {assessment.judgement_level}, reason given)" if changed else ""),
            user=actor,
        )
    else:
        record(
            db,
            "assessment_endorsed",
            OBJECT,
            assessment.id,
            f"Endorsed as {level}"
            + (f" (changed from {assessment.judgement_level}, reason given)" if changed else ""),
            user=actor,
        )
    _flush(db)
    results = assessment_endorsed.send(assessment, session=db, assessment=assessment, now=now)
    referral = next((made for _, made in results if made is not None), None)
    return Endorsed(assessment, referral)


@operation
def endorse_assessment(
    db: Session,
    actor: User,
    assessment_id: int,
    *,
    version: int | None,
    final_level: str,
    reason: str,
) -> Endorsed:
    """A supervisor of the assessor's agency (never the assessor) sets the final level.

    Changing the proposed level needs a written reason. The referral trigger rules run
    in the same transaction (through `signals.assessment_endorsed`).
    """
    assessment = _load(db, assessment_id)
    allow(can_endorse_assessment(actor, assessment))
    assessment = _endorsable(db, assessment_id, version)
    _check_final(assessment, final_level, reason)
    now = utcnow()
    assessment.endorsed_by_id = actor.id
    return _finish_endorsement(db, actor, assessment, final_level, reason, now, external=False)


@operation
def record_external_endorsement(
    db: Session,
    actor: User,
    assessment_id: int,
    *,
    endorser_name: str,
    endorser_reference: str,
    endorsed_at: datetime,
    final_level: str,
    reason: str,
    version: int | None = None,
) -> Endorsed:
    """Record an endorsement a force's supervisor made in the force's own system.

    The level rules are the page's. For now the actor must be a (non-admin) user of the
    assessment's agency; the API will make its service users the actors.
    """
    assessment = _load(db, assessment_id)
    allow(actor.agency_id == assessment.agency_id and not actor.has_role(Role.ADMIN))
    assessment = _endorsable(db, assessment_id, version)
    errors = {}
    name = (endorser_name or "").strip()
    ref = (endorser_reference or "").strip()
    if not name:
        errors["endorser_name"] = "Enter the name of the supervisor who endorsed it"
    elif len(name) > EXTERNAL_NAME_MAX:
        errors["endorser_name"] = f"Use {EXTERNAL_NAME_MAX} characters or fewer"
    if not ref:
        errors["endorser_reference"] = "Enter the endorsement's reference in your system"
    elif len(ref) > EXTERNAL_REFERENCE_MAX:
        errors["endorser_reference"] = f"Use {EXTERNAL_REFERENCE_MAX} characters or fewer"
    if endorsed_at is None or not isinstance(endorsed_at, datetime):
        errors["endorsed_at"] = "Enter when it was endorsed"
    elif endorsed_at.tzinfo is None:
        errors["endorsed_at"] = "Give the time with its time zone"
    elif endorsed_at > utcnow():
        errors["endorsed_at"] = "The endorsement cannot be in the future"
    if errors:
        raise Invalid(errors)
    _check_final(assessment, final_level, reason)
    assessment.endorsed_by_id = None
    assessment.external_endorser_name = name
    assessment.external_endorser_reference = ref
    return _finish_endorsement(
        db,
        actor,
        assessment,
        final_level,
        reason,
        endorsed_at,
        external=True,
    )


# ---- intake: a complete assessment in one call ------------------------------------------


def _answer_errors(instrument: Instrument, answers: Mapping[str, Any]) -> dict[str, str]:
    """Every answer checked against the instrument version: unknown, invalid, missing."""
    errors: dict[str, str] = {}
    known: dict[str, set[str] | None] = {
        q.id: {c.value for c in q.choices} for q in instrument.questions
    }
    for d in instrument.diagnostics:
        known[d.rating_key] = {c.value for c in RATINGS}
        known[d.note_key] = None  # free text
    known[PERCEPTION_KEY] = {c.value for c in instrument.perception.choices}
    perceived_by = {c.value for c in instrument.perceived_by}
    for key, value in answers.items():
        field = f"answers.{key}"
        if key == PERCEIVED_BY_KEY:
            if not isinstance(value, list) or not value or not set(value) <= perceived_by:
                errors[field] = "Give who perceived the hostility, from: " + ", ".join(
                    sorted(perceived_by)
                )
        elif key not in known:
            errors[field] = f"No such question in instrument version {instrument.version}"
        elif known[key] is None:
            if not isinstance(value, str) or len(value) > TEXT_MAX:
                errors[field] = f"Give text of {TEXT_MAX} characters or fewer"
        elif not isinstance(value, str) or value not in known[key]:  # type: ignore[operator]
            errors[field] = "Not a valid answer; give one of: " + ", ".join(sorted(known[key]))  # type: ignore[arg-type]
    required = [q.id for q in instrument.questions]
    required += [d.rating_key for d in instrument.diagnostics]
    required += [PERCEPTION_KEY, PERCEIVED_BY_KEY]
    for key in required:
        if answers.get(key) in (None, "", []):
            errors.setdefault(f"answers.{key}", "This answer is required")
    return errors


@operation
def create_assessment(
    db: Session,
    actor: User,
    *,
    incident_id: int,
    instrument_version: str,
    answers: Mapping[str, Any],
    judgement_level: str,
    judgement_rationale: str,
    below_suggested_reason: str = "",
    measures: Sequence[MeasureInput],
    submit: bool,
) -> RiskAssessment:
    """A complete assessment in one call (the intake API), checked as the pages check it.

    Every answer is validated against the named instrument version; the judgement rule
    and the plan's rules are the pages'. With `submit` it is submitted (supervisors told).
    Refused with `AlreadyAssessed`, as on the pages, when the incident's assessment is
    under way or endorsed.
    """
    allow(any(actor.has_role(role) for role in CASE_ROLES) and not actor.has_role(Role.ADMIN))
    incident = db.get(Incident, incident_id)
    if incident is None:
        raise NotFound()
    allow(_can_view_incident(actor, incident))
    under_way = assessment_under_way(db, incident.id)
    if under_way is not None:
        raise AlreadyAssessed(under_way)
    instrument = INSTRUMENTS.get(instrument_version)
    if instrument is None:
        raise Invalid(
            {"instrument_version": "Unknown instrument version; known: " + ", ".join(INSTRUMENTS)}
        )
    errors = _answer_errors(instrument, answers)
    if judgement_level not in {level.value for level in RiskLevel}:
        errors["judgement_level"] = "Give low, medium or high"
    if not (judgement_rationale or "").strip():
        errors["judgement_rationale"] = "Explain why you have given this level"
    elif len(judgement_rationale) > TEXT_MAX:
        errors["judgement_rationale"] = f"Use {TEXT_MAX} characters or fewer"
    if len(below_suggested_reason or "") > TEXT_MAX:
        errors["below_suggested_reason"] = f"Use {TEXT_MAX} characters or fewer"
    if not measures:
        errors["measures"] = "Add at least one measure to the risk management plan"
    for index, measure in enumerate(measures):
        errors.update(_measure_errors(measure, f"measures.{index}."))
    if not errors:
        scoring = suggested_level(instrument, answers)
        if problem := check_judgement(scoring.level, judgement_level, below_suggested_reason):
            errors["below_suggested_reason"] = problem
    if errors:
        raise Invalid(errors)
    assessment = _new(db, actor, incident, instrument.version)
    assessment.answers = {k: (list(v) if isinstance(v, list) else v) for k, v in answers.items()}
    assessment.judgement_level = judgement_level
    assessment.judgement_rationale = judgement_rationale
    assessment.below_suggested_reason = below_suggested_reason or ""
    for measure in measures:
        assessment.measures.append(
            RiskMeasure(
                description=measure.description,
                rara=measure.rara,
                responsible=measure.responsible,
            )
        )
    assessment.completed_sections = [task.key for task in t.tasks_for(instrument)]
    record(
        db,
        "assessment_started",
        OBJECT,
        assessment.id,
        f"Recorded a complete risk assessment (version {instrument.version}) "
        f"for incident {incident.id}",
        user=actor,
    )
    _flush(db)
    if submit:
        submit_assessment(db, actor, assessment.id, version=None)
    return assessment
