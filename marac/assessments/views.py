"""Risk assessment pages: start, the task list, each section, submit, and endorsement.

The assessor completes one section per page; every save keeps the draft, so an
abandoned assessment is never lost. Each edit form carries the assessment's version:
a save based on an older version is refused and the typed answers shown again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import case, func, select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from marac.accounts.models import Role, User
from marac.assessments import notices
from marac.assessments import tasks as t
from marac.assessments.access import (
    can_edit_assessment,
    can_endorse_assessment,
    can_view_assessment,
    is_supervisor_for,
)
from marac.assessments.forms import (
    EndorseForm,
    MeasureForm,
    VersionedForm,
    diagnostics_form,
    judgement_form,
    section_form,
)
from marac.assessments.instrument import (
    CURRENT_VERSION,
    PERCEIVED_BY_KEY,
    PERCEPTION_KEY,
    Instrument,
    Section,
    get_instrument,
)
from marac.assessments.models import (
    RARA_LABELS,
    AssessmentStatus,
    RiskAssessment,
    RiskLevel,
    RiskMeasure,
)
from marac.assessments.scoring import (
    ScoringResult,
    check_endorsement,
    check_judgement,
    suggested_level,
)
from marac.audit import record
from marac.auth import require, roles_required
from marac.db import db_session, get_or_404, utcnow
from marac.incidents.models import INCIDENT_TYPE_LABELS, Incident
from marac.inputs import as_id
from marac.pagination import paginate
from marac.people.models import Person
from marac.referrals.triggers import on_assessment_endorsed

bp = Blueprint("assessments", __name__, url_prefix="/assessments")

CASE_ROLES = (Role.REFERRER, Role.MEMBER, Role.COORDINATOR)
CONTINUE = "continue"
LATER = "later"
ADD = "add"
OBJECT = "risk_assessment"


# ---- helpers ----------------------------------------------------------------------------


def _can_view_incident(user: Any, incident: Incident) -> bool:
    """INTAKE's rule when present; until then the creator or the creator's agency."""
    from marac.incidents.access import can_view_incident

    return bool(can_view_incident(user, incident))


def _load(assessment_id: int) -> RiskAssessment:
    assessment = get_or_404(RiskAssessment, assessment_id)
    return assessment


def _incident(assessment: RiskAssessment) -> Incident | None:
    if assessment.incident_id is None:
        return None
    return db_session().get(Incident, assessment.incident_id)


def _require_view(assessment: RiskAssessment) -> Incident | None:
    incident = _incident(assessment)
    area_id = incident.area_id if incident else None
    require(can_view_assessment(current_user, assessment, area_id))
    return incident


def _context(assessment: RiskAssessment, incident: Incident | None = None) -> dict[str, Any]:
    """What every assessment page shows about the case."""
    db = db_session()
    instrument = get_instrument(assessment.instrument_version)
    return {
        "assessment": assessment,
        "instrument": instrument,
        "person": db.get(Person, assessment.person_id) if assessment.person_id else None,
        "incident": incident if incident is not None else _incident(assessment),
        "incident_types": INCIDENT_TYPE_LABELS,
        "rara_labels": RARA_LABELS,
        "levels": {level.value: level.label for level in RiskLevel},
        "tasks": t.tasks_for(instrument),
    }


def _statuses(assessment: RiskAssessment, instrument: Instrument) -> dict[str, str]:
    return t.task_statuses(
        instrument,
        assessment.answers or {},
        assessment.completed_sections or [],
        assessment.judgement_level,
        len(assessment.measures),
    )


def _scoring(assessment: RiskAssessment, instrument: Instrument) -> ScoringResult:
    return suggested_level(instrument, assessment.answers or {})


def _mark(assessment: RiskAssessment, key: str, complete: bool) -> None:
    done = [k for k in assessment.completed_sections or [] if k != key]
    if complete:
        done.append(key)
    assessment.completed_sections = done


def _set_answers(assessment: RiskAssessment, values: dict[str, Any]) -> None:
    """Store answers given; a fresh dict so the JSON column notices the change."""
    answers = dict(assessment.answers or {})
    for key, value in values.items():
        if value in (None, "", []):
            answers.pop(key, None)
        else:
            answers[key] = value
    assessment.answers = answers


def _action() -> str:
    return request.form.get("action", CONTINUE) if request.method == "POST" else ""


def _commit_change(
    assessment: RiskAssessment,
    form: VersionedForm,
    apply: Callable[[], None],
    action: str,
    summary: str,
) -> bool:
    """Apply and commit one save unless the assessment changed meanwhile (False then)."""
    db = db_session()
    apply()
    assessment.updated_at = utcnow()  # always an UPDATE, so the version moves on
    record(db, action, OBJECT, assessment.id, summary)
    try:
        db.commit()
    except StaleDataError:
        db.rollback()
        form.show_conflict(_load(assessment.id).version)
        return False
    return True


def _version_ok(assessment: RiskAssessment, form: VersionedForm) -> bool:
    """False (and the clash shown on the form) when the form is based on an old version."""
    if form.version_matches(assessment.version):
        return True
    form.show_conflict(assessment.version)
    return False


def _after_save(assessment: RiskAssessment, instrument: Instrument, key: str) -> Response:
    if _action() == LATER:
        flash(
            "Your answers have been saved. You can come back to this assessment at any time "
            "from 'Your assessments'.",
            "success",
        )
        return redirect(url_for("assessments.view", assessment_id=assessment.id))
    following = t.next_task(instrument, key)
    if following is None:
        return redirect(url_for("assessments.check", assessment_id=assessment.id))
    return redirect(
        url_for("assessments.section", assessment_id=assessment.id, section_key=following)
    )


def _editable(assessment: RiskAssessment) -> Response | None:
    """Only the assessor edits, and only a draft: others 403, a submitted one redirects."""
    require(assessment.assessor_id == current_user.id and not current_user.has_role(Role.ADMIN))
    if not can_edit_assessment(current_user, assessment):
        flash("This assessment has been submitted, so it can no longer be changed.", "info")
        return redirect(url_for("assessments.view", assessment_id=assessment.id))
    return None


def _by_id(model: type[Any], ids: Iterable[int | None]) -> dict[int, Any]:
    """Rows of `model` by id in one query (for lists)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db_session().scalars(select(model).where(model.id.in_(wanted)))
    return {row.id: row for row in rows}


def _user_names(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db_session().execute(select(User.id, User.name).where(User.id.in_(wanted)))
    return {row.id: row.name for row in rows}


def _queue_query(user: Any) -> Any:
    return select(RiskAssessment).where(
        RiskAssessment.agency_id == user.agency_id,
        RiskAssessment.status == AssessmentStatus.SUBMITTED.value,
        RiskAssessment.assessor_id != user.id,
    )


def _is_supervisor(user: Any) -> bool:
    return is_supervisor_for(user, user.agency_id)


# ---- lists ------------------------------------------------------------------------------


@bp.route("")
@roles_required(*CASE_ROLES)
def index() -> str:
    """Your assessments: drafts first, then the newest."""
    db = db_session()
    drafts_first = case((RiskAssessment.status == AssessmentStatus.DRAFT.value, 0), else_=1)
    query = (
        select(RiskAssessment)
        .where(RiskAssessment.assessor_id == current_user.id)
        .order_by(drafts_first, RiskAssessment.updated_at.desc(), RiskAssessment.id.desc())
    )
    page = paginate(db, query, request.args.get("page", 1, type=int))
    people = _by_id(Person, (a.person_id for a in page.items))
    incidents = _by_id(Incident, (a.incident_id for a in page.items))
    queue_count = None
    if _is_supervisor(current_user):
        queue_count = db.scalar(
            select(func.count()).select_from(_queue_query(current_user).subquery())
        )
    record(db, "assessments_listed", OBJECT, None, f"Listed own assessments, page {page.page}")
    db.commit()
    return render_template(
        "assessments/index.html",
        page=page,
        people=people,
        incidents=incidents,
        queue_count=queue_count,
        levels={level.value: level.label for level in RiskLevel},
    )


@bp.route("/endorsements")
def endorsement_queue() -> str:
    """Submitted assessments from the supervisor's agency, oldest first (never their own)."""
    require(_is_supervisor(current_user))
    db = db_session()
    query = _queue_query(current_user).order_by(
        RiskAssessment.submitted_at.asc(), RiskAssessment.id.asc()
    )
    page = paginate(db, query, request.args.get("page", 1, type=int))
    people = _by_id(Person, (a.person_id for a in page.items))
    incidents = _by_id(Incident, (a.incident_id for a in page.items))
    assessors = _user_names(a.assessor_id for a in page.items)
    record(db, "endorsement_queue_viewed", OBJECT, None, f"Endorsement queue page {page.page}")
    db.commit()
    return render_template(
        "assessments/queue.html",
        page=page,
        people=people,
        incidents=incidents,
        assessors=assessors,
        levels={level.value: level.label for level in RiskLevel},
    )


# ---- start and view ---------------------------------------------------------------------


@bp.route("/start", methods=["POST"])
@roles_required(*CASE_ROLES)
def start() -> Response:
    """Start a draft for the incident's victim, or reopen the user's existing draft."""
    db = db_session()
    incident_id = as_id(request.form.get("incident_id"))
    incident = db.get(Incident, incident_id) if incident_id else None
    if incident is None:
        abort(404)
    require(_can_view_incident(current_user, incident))
    existing = db.scalar(
        select(RiskAssessment).where(
            RiskAssessment.incident_id == incident.id,
            RiskAssessment.assessor_id == current_user.id,
            RiskAssessment.status == AssessmentStatus.DRAFT.value,
        )
    )
    if existing is not None:
        flash("You already have a draft assessment for this incident. Carry on with it here.")
        return redirect(url_for("assessments.view", assessment_id=existing.id))
    assessment = RiskAssessment(
        person_id=incident.person_id,
        incident_id=incident.id,
        agency_id=current_user.agency_id,
        assessor_id=current_user.id,
        instrument_version=CURRENT_VERSION,
        status=AssessmentStatus.DRAFT.value,
        answers={},
        completed_sections=[],
    )
    db.add(assessment)
    db.flush()
    record(
        db,
        "assessment_started",
        OBJECT,
        assessment.id,
        f"Started a risk assessment (version {CURRENT_VERSION}) for incident {incident.id}",
    )
    db.commit()
    return redirect(url_for("assessments.view", assessment_id=assessment.id))


@bp.route("/<int:assessment_id>")
def view(assessment_id: int) -> str:
    """The task list while a draft; a read-only summary once submitted."""
    db = db_session()
    assessment = _load(assessment_id)
    incident = _require_view(assessment)
    record(db, "assessment_viewed", OBJECT, assessment.id, f"Viewed ({assessment.status})")
    db.commit()
    ctx = _context(assessment, incident)
    instrument = ctx["instrument"]
    if assessment.status == AssessmentStatus.DRAFT:
        return render_template(
            "assessments/task_list.html",
            statuses=_statuses(assessment, instrument),
            **ctx,
        )
    return render_template(
        "assessments/summary.html",
        scoring=_scoring(assessment, instrument),
        endorser=db.get(User, assessment.endorsed_by_id) if assessment.endorsed_by_id else None,
        assessor=db.get(User, assessment.assessor_id),
        can_endorse=assessment.status == AssessmentStatus.SUBMITTED
        and can_endorse_assessment(current_user, assessment),
        **ctx,
    )


# ---- sections ---------------------------------------------------------------------------


@bp.route("/<int:assessment_id>/sections/<section_key>", methods=["GET", "POST"])
def section(assessment_id: int, section_key: str) -> str | Response:
    assessment = _load(assessment_id)
    if (refusal := _editable(assessment)) is not None:
        return refusal
    instrument = get_instrument(assessment.instrument_version)
    if section_key not in {task.key for task in t.tasks_for(instrument)}:
        abort(404)
    if request.method == "GET":
        db = db_session()
        record(db, "assessment_viewed", OBJECT, assessment.id, f"Opened section {section_key}")
        db.commit()
    question_section = instrument.section(section_key)
    if question_section is not None:
        return _question_page(assessment, instrument, question_section)
    if section_key == t.DIAGNOSTICS:
        return _diagnostics_page(assessment, instrument)
    if section_key == t.JUDGEMENT:
        return _judgement_page(assessment, instrument)
    return _plan_page(assessment, instrument)


def _render_section(
    assessment: RiskAssessment, template: str, form: VersionedForm, key: str, **extra: Any
) -> str:
    ctx = _context(assessment)
    task = next(task for task in ctx["tasks"] if task.key == key)
    return render_template(template, form=form, task=task, **ctx, **extra)


def _question_page(
    assessment: RiskAssessment, instrument: Instrument, section: Section
) -> str | Response:
    answers = assessment.answers or {}
    form_class = section_form(section, required=_action() == CONTINUE)
    form = form_class(
        data={**{q.id: answers.get(q.id) for q in section.questions}, "version": assessment.version}
    )
    if request.method == "POST":
        valid = form.validate()
        values = {q.id: form[q.id].data for q in section.questions}

        def apply() -> None:
            _set_answers(assessment, values)
            _mark(assessment, section.key, all(values.values()))

        if (
            _version_ok(assessment, form)
            and valid
            and _commit_change(
                assessment, form, apply, "assessment_section_saved", f"Saved '{section.title}'"
            )
        ):
            return _after_save(assessment, instrument, section.key)
    return _render_section(
        assessment, "assessments/questions.html", form, section.key, section=section
    )


def _diagnostics_page(assessment: RiskAssessment, instrument: Instrument) -> str | Response:
    answers = assessment.answers or {}
    data: dict[str, Any] = {"version": assessment.version}
    for d in instrument.diagnostics:
        data[f"{d.id}_rating"] = answers.get(d.rating_key)
        data[f"{d.id}_note"] = answers.get(d.note_key, "")
    form = diagnostics_form(instrument, required=_action() == CONTINUE)(data=data)
    if request.method == "POST":
        valid = form.validate()
        values: dict[str, Any] = {}
        for d in instrument.diagnostics:
            values[d.rating_key] = form[f"{d.id}_rating"].data
            values[d.note_key] = form[f"{d.id}_note"].data
        complete = all(values[d.rating_key] for d in instrument.diagnostics)

        def apply() -> None:
            _set_answers(assessment, values)
            _mark(assessment, t.DIAGNOSTICS, complete)

        if (
            _version_ok(assessment, form)
            and valid
            and _commit_change(
                assessment, form, apply, "assessment_section_saved", "Saved diagnostic questions"
            )
        ):
            return _after_save(assessment, instrument, t.DIAGNOSTICS)
    return _render_section(assessment, "assessments/diagnostics.html", form, t.DIAGNOSTICS)


def _judgement_page(assessment: RiskAssessment, instrument: Instrument) -> str | Response:
    answers = assessment.answers or {}
    scoring = _scoring(assessment, instrument)
    form = judgement_form(instrument, required=_action() == CONTINUE)(
        data={
            "version": assessment.version,
            "perception": answers.get(PERCEPTION_KEY),
            "perceived_by": answers.get(PERCEIVED_BY_KEY) or [],
            "judgement_level": assessment.judgement_level,
            "judgement_rationale": assessment.judgement_rationale,
            "below_suggested_reason": assessment.below_suggested_reason,
        }
    )
    if request.method == "POST":
        valid = form.validate()
        # A value outside the choices has its field error; it must not reach the rules.
        level = None if form["judgement_level"].errors else form["judgement_level"].data
        reason = form["below_suggested_reason"].data or ""
        problem = check_judgement(scoring.level, level, reason) if level else None
        if problem and _action() == CONTINUE:
            form["below_suggested_reason"].errors = [problem]
            valid = False
        values = {
            PERCEPTION_KEY: form["perception"].data,
            PERCEIVED_BY_KEY: list(form["perceived_by"].data or []),
        }
        rationale = form["judgement_rationale"].data or ""
        complete = bool(all(values.values()) and level and rationale and not problem)

        def apply() -> None:
            _set_answers(assessment, values)
            assessment.judgement_level = level or None
            assessment.judgement_rationale = rationale
            assessment.below_suggested_reason = reason
            _mark(assessment, t.JUDGEMENT, complete)

        if (
            _version_ok(assessment, form)
            and valid
            and _commit_change(
                assessment,
                form,
                apply,
                "assessment_section_saved",
                f"Saved perception and judgement ({level or 'no level yet'})",
            )
        ):
            return _after_save(assessment, instrument, t.JUDGEMENT)
    return _render_section(
        assessment,
        "assessments/judgement.html",
        form,
        t.JUDGEMENT,
        scoring=scoring,
        questions_complete=all(
            s.key in (assessment.completed_sections or []) for s in instrument.sections
        )
        and t.DIAGNOSTICS in (assessment.completed_sections or []),
    )


def _plan_page(assessment: RiskAssessment, instrument: Instrument) -> str | Response:
    """Add and remove measures; posting re-renders the page, so no JavaScript is needed."""
    form = MeasureForm(data={"version": assessment.version})
    if request.method == "POST":
        valid = form.validate()
        action = request.form.get("action", "")
        remove_id = request.form.get("remove", type=int)
        if remove_id is not None:
            measure = next((m for m in assessment.measures if m.id == remove_id), None)
            if measure is None:
                abort(404)

            def remove() -> None:
                assessment.measures.remove(measure)
                if len(assessment.measures) == 0:
                    _mark(assessment, t.PLAN, False)

            if (
                _version_ok(assessment, form)
                and valid
                and _commit_change(
                    assessment,
                    form,
                    remove,
                    "risk_measure_removed",
                    f"Removed measure {measure.id}",
                )
            ):
                flash("Measure removed.", "success")
                return redirect(_plan_url(assessment))
        else:
            adding = action == ADD or form.has_measure
            if adding and form.measure_problems():
                valid = False
            if valid and not adding and action == CONTINUE and not assessment.measures:
                form.description.errors = ["Add at least one measure to the risk management plan"]
                valid = False
            new = (
                RiskMeasure(
                    description=form.description.data,
                    rara=form.rara.data,
                    responsible=form.responsible.data,
                )
                if adding and valid
                else None
            )

            def add() -> None:
                if new is not None:
                    assessment.measures.append(new)
                if action in (CONTINUE, LATER):
                    _mark(assessment, t.PLAN, len(assessment.measures) > 0)

            summary = (
                f"Added a measure ({new.rara})"
                if new is not None
                else "Saved the risk management plan"
            )
            if (
                _version_ok(assessment, form)
                and valid
                and _commit_change(
                    assessment,
                    form,
                    add,
                    "risk_measure_added" if new is not None else "assessment_section_saved",
                    summary,
                )
            ):
                if action in (CONTINUE, LATER):
                    return _after_save(assessment, instrument, t.PLAN)
                flash("Measure added. Add another or save and continue.", "success")
                return redirect(_plan_url(assessment))
    return _render_section(assessment, "assessments/plan.html", form, t.PLAN)


def _plan_url(assessment: RiskAssessment) -> str:
    return url_for("assessments.section", assessment_id=assessment.id, section_key=t.PLAN)


# ---- check your answers and submit ------------------------------------------------------


def _submit_problems(
    assessment: RiskAssessment, instrument: Instrument, scoring: ScoringResult
) -> list[dict[str, str]]:
    """Error summary items, each linking to the page that needs attention."""
    problems = []
    statuses = _statuses(assessment, instrument)
    for task in t.tasks_for(instrument):
        if statuses[task.key] != t.COMPLETED:
            problems.append(
                {
                    "text": f"Complete '{task.title}'",
                    "href": url_for(
                        "assessments.section", assessment_id=assessment.id, section_key=task.key
                    ),
                }
            )
    if assessment.judgement_level and (
        problem := check_judgement(
            scoring.level, assessment.judgement_level, assessment.below_suggested_reason
        )
    ):
        problems.append(
            {
                "text": f"The answers now suggest {scoring.level.label.lower()} risk. {problem}",
                "href": url_for(
                    "assessments.section", assessment_id=assessment.id, section_key=t.JUDGEMENT
                ),
            }
        )
    return problems


@bp.route("/<int:assessment_id>/check", methods=["GET", "POST"])
def check(assessment_id: int) -> str | Response:
    """Check your answers, then submit for a supervisor to endorse."""
    db = db_session()
    assessment = _load(assessment_id)
    if (refusal := _editable(assessment)) is not None:
        return refusal
    instrument = get_instrument(assessment.instrument_version)
    scoring = _scoring(assessment, instrument)
    form = VersionedForm(data={"version": assessment.version})
    problems: list[dict[str, str]] = []
    if request.method == "POST":
        valid = form.validate()
        problems = _submit_problems(assessment, instrument, scoring)

        def submit() -> None:
            assessment.status = AssessmentStatus.SUBMITTED.value
            assessment.submitted_at = utcnow()
            assessment.suggested_level = scoring.level.value
            notices.assessment_submitted(db, assessment)  # the agency's supervisors

        if (
            _version_ok(assessment, form)
            and valid
            and not problems
            and _commit_change(
                assessment,
                form,
                submit,
                "assessment_submitted",
                f"Submitted: suggested {scoring.level.value}, "
                f"judgement {assessment.judgement_level}",
            )
        ):
            flash(
                "Assessment submitted. A supervisor in your agency will review and endorse it.",
                "success",
            )
            return redirect(url_for("assessments.view", assessment_id=assessment.id))
    else:
        record(db, "assessment_viewed", OBJECT, assessment.id, "Checked answers")
        db.commit()
    return render_template(
        "assessments/check.html",
        form=form,
        problems=problems,
        scoring=scoring,
        statuses=_statuses(assessment, instrument),
        **_context(assessment),
    )


# ---- endorsement ------------------------------------------------------------------------


def _endorsed_message(assessment: RiskAssessment) -> str:
    endorser = (
        db_session().get(User, assessment.endorsed_by_id) if assessment.endorsed_by_id else None
    )
    who = endorser.name if endorser else "a supervisor"
    level = (assessment.final_level or "").lower()
    return (
        f"This assessment was already endorsed as {level} risk by {who}. "
        "An assessment can only be endorsed once."
    )


@bp.route("/<int:assessment_id>/endorse", methods=["GET", "POST"])
def endorse(assessment_id: int) -> str | Response:
    """A supervisor of the assessor's agency confirms the level, or changes it with a reason."""
    db = db_session()
    assessment = _load(assessment_id)
    require(can_endorse_assessment(current_user, assessment))
    if assessment.status == AssessmentStatus.ENDORSED:
        flash(_endorsed_message(assessment), "info")
        return redirect(url_for("assessments.view", assessment_id=assessment.id))
    if assessment.status != AssessmentStatus.SUBMITTED:
        flash("This assessment has not been submitted yet, so it cannot be endorsed.", "info")
        return redirect(url_for("assessments.endorsement_queue"))
    form = EndorseForm(
        data={"final_level": assessment.judgement_level, "version": assessment.version}
    )
    if request.method == "POST":
        valid = form.validate()
        final = None if form.final_level.errors else form.final_level.data
        reason = form.reason.data or ""
        if final and assessment.judgement_level:
            problem = check_endorsement(assessment.judgement_level, final, reason)
            if problem:
                form.reason.errors = [problem]
                valid = False
        if _version_ok(assessment, form) and valid:
            now = utcnow()
            assessment.status = AssessmentStatus.ENDORSED.value
            assessment.final_level = final
            assessment.endorsed_by_id = current_user.id
            assessment.endorsed_at = now
            assessment.endorsement_reason = reason if final != assessment.judgement_level else ""
            assessment.updated_at = now
            changed = final != assessment.judgement_level
            record(
                db,
                "assessment_endorsed",
                OBJECT,
                assessment.id,
                f"Endorsed as {final}"
                + (
                    f" (changed from {assessment.judgement_level}, reason given)" if changed else ""
                ),
            )
            try:
                referral = on_assessment_endorsed(db, assessment, now)
                db.commit()
            except StaleDataError:
                db.rollback()
                fresh = _load(assessment_id)
                if fresh.status == AssessmentStatus.ENDORSED:
                    flash(_endorsed_message(fresh), "info")
                    return redirect(url_for("assessments.view", assessment_id=fresh.id))
                form.show_conflict(fresh.version)
            else:
                message = f"Assessment endorsed as {RiskLevel(final).label.lower()} risk. "
                if referral is not None:
                    message += (
                        "A MARAC referral was created automatically: "
                        f"{getattr(referral, 'reference', '')}."
                    )
                else:
                    message += "No MARAC referral was created."
                flash(message, "success")
                return redirect(url_for("assessments.endorsement_queue"))
    else:
        record(db, "assessment_viewed", OBJECT, assessment.id, "Opened for endorsement")
        db.commit()
    return render_template(
        "assessments/endorse.html",
        form=form,
        scoring=_scoring(assessment, get_instrument(assessment.instrument_version)),
        assessor=db.get(User, assessment.assessor_id),
        endorser=None,
        can_endorse=False,
        **_context(assessment),
    )
