"""Risk assessment pages: start, the task list, each section, submit, and endorsement.

The assessor completes one section per page; every save keeps the draft, so an
abandoned assessment is never lost. Each edit form carries the assessment's version:
a save based on an older version is refused and the typed answers shown again. The
rules and the writes live in `operations`, the shared reads in `queries`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marac.accounts.models import Role
from marac.assessments import operations as ops
from marac.assessments import queries
from marac.assessments import tasks as t
from marac.assessments.access import can_edit_assessment, can_endorse_assessment
from marac.assessments.forms import (
    EndorseForm,
    MeasureForm,
    VersionedForm,
    diagnostics_form,
    judgement_form,
    section_form,
)
from marac.assessments.instrument import (
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
)
from marac.assessments.scoring import ScoringResult, suggested_level
from marac.auth import require, roles_required
from marac.db import db_session
from marac.forms import show_invalid
from marac.incidents.models import INCIDENT_TYPE_LABELS
from marac.inputs import as_id
from marac.operations import Conflict, Invalid

bp = Blueprint("assessments", __name__, url_prefix="/assessments")

CASE_ROLES = (Role.REFERRER, Role.MEMBER, Role.COORDINATOR)
CONTINUE = "continue"
LATER = "later"
ADD = "add"


# ---- helpers ----------------------------------------------------------------------------


def _load(assessment_id: int) -> RiskAssessment:
    return queries.load(db_session(), assessment_id)


def _context(assessment: RiskAssessment) -> dict[str, Any]:
    """What every assessment page shows about the case."""
    shown = queries.details(db_session(), assessment)
    instrument = get_instrument(assessment.instrument_version)
    return {
        "assessment": assessment,
        "instrument": instrument,
        "person": shown.person,
        "incident": shown.incident,
        "agency_name": shown.agency_name,
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


def _action() -> str:
    return request.form.get("action", CONTINUE) if request.method == "POST" else ""


def _version_ok(assessment: RiskAssessment, form: VersionedForm) -> bool:
    """False (and the clash shown on the form) when the form is based on an old version."""
    if form.version_matches(assessment.version):
        return True
    form.show_conflict(assessment.version)
    return False


def _saved(form: VersionedForm, assessment_id: int, save: Any) -> bool:
    """Run one save operation; on a clash or a broken rule show it on the form (False)."""
    try:
        save()
    except Conflict:
        form.show_conflict(_load(assessment_id).version)
        return False
    except Invalid as error:
        show_invalid(form, error)
        return False
    return True


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


# ---- lists ------------------------------------------------------------------------------


@bp.route("")
@roles_required(*CASE_ROLES)
def index() -> str:
    """Your assessments: drafts first, then the newest."""
    listed = queries.my_assessments(
        db_session(), current_user, request.args.get("page", 1, type=int)
    )
    return render_template(
        "assessments/index.html",
        page=listed.page,
        people=listed.people,
        incidents=listed.incidents,
        queue_count=listed.queue_count,
        levels={level.value: level.label for level in RiskLevel},
    )


@bp.route("/endorsements")
def endorsement_queue() -> str:
    """Submitted assessments from the supervisor's agency, oldest first (never their own)."""
    require(queries.is_supervisor(current_user))
    listed = queries.endorsement_queue(
        db_session(), current_user, request.args.get("page", 1, type=int)
    )
    return render_template(
        "assessments/queue.html",
        page=listed.page,
        people=listed.people,
        incidents=listed.incidents,
        assessors=listed.assessors,
        levels={level.value: level.label for level in RiskLevel},
    )


# ---- start and view ---------------------------------------------------------------------


@bp.app_template_global("incident_assessments")
def incident_assessments(incident: Any) -> queries.IncidentAssessments:
    """The incident page's assessments (incidents sit below assessments, so ask here)."""
    return queries.incident_assessments(db_session(), current_user, incident)


@bp.route("/start", methods=["POST"])
@roles_required(*CASE_ROLES)
def start() -> Response:
    """Start a draft for the incident's victim, or reopen the user's existing draft."""
    db = db_session()
    incident_id = as_id(request.form.get("incident_id"))
    if incident_id is None:
        abort(404)
    existing = ops.existing_draft(db, current_user, incident_id)
    try:
        assessment = ops.start_assessment(db, current_user, incident_id)
    except ops.AlreadyAssessed as refused:
        flash(refused.message, "info")
        return redirect(url_for("incidents.view", incident_id=incident_id))
    if existing is not None and existing.id == assessment.id:
        flash("You already have a draft assessment for this incident. Carry on with it here.")
    return redirect(url_for("assessments.view", assessment_id=assessment.id))


@bp.route("/<int:assessment_id>")
def view(assessment_id: int) -> str:
    """The task list while a draft; a read-only summary once submitted."""
    db = db_session()
    shown = queries.visible_assessment(db, current_user, assessment_id)
    assessment = shown.assessment
    queries.note_viewed(db, current_user, assessment, purpose="view")
    ctx = _context(assessment)
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
        endorser=shown.endorser,
        assessor=shown.assessor,
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
        queries.note_viewed(
            db_session(), current_user, assessment, purpose="section", section_key=section_key
        )
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
        if (
            _version_ok(assessment, form)
            and valid
            and _saved(
                form,
                assessment.id,
                lambda: ops.save_section(
                    db_session(),
                    current_user,
                    assessment.id,
                    section.key,
                    version=assessment.version,
                    answers=values,
                ),
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
        ratings = {d.id: form[f"{d.id}_rating"].data for d in instrument.diagnostics}
        notes = {d.id: form[f"{d.id}_note"].data for d in instrument.diagnostics}
        if (
            _version_ok(assessment, form)
            and valid
            and _saved(
                form,
                assessment.id,
                lambda: ops.save_diagnostics(
                    db_session(),
                    current_user,
                    assessment.id,
                    version=assessment.version,
                    ratings=ratings,
                    notes=notes,
                ),
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
        enforce = _action() == CONTINUE
        problem = ops.judgement_problem(assessment, level, reason)
        if problem and enforce:
            form["below_suggested_reason"].errors = [problem]
            valid = False
        if (
            _version_ok(assessment, form)
            and valid
            and _saved(
                form,
                assessment.id,
                lambda: ops.save_judgement(
                    db_session(),
                    current_user,
                    assessment.id,
                    version=assessment.version,
                    perception=form["perception"].data,
                    perceived_by=list(form["perceived_by"].data or []),
                    judgement_level=level,
                    judgement_rationale=form["judgement_rationale"].data or "",
                    below_suggested_reason=reason,
                    enforce=enforce,
                ),
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
        db = db_session()
        valid = form.validate()
        action = request.form.get("action", "")
        remove_id = request.form.get("remove", type=int)
        if remove_id is not None:
            if not any(m.id == remove_id for m in assessment.measures):
                abort(404)
            if (
                _version_ok(assessment, form)
                and valid
                and _saved(
                    form,
                    assessment.id,
                    lambda: ops.remove_measure(
                        db, current_user, assessment.id, remove_id, version=assessment.version
                    ),
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
            finishing = action in (CONTINUE, LATER)

            def save() -> None:
                if adding:
                    ops.add_measure(
                        db,
                        current_user,
                        assessment.id,
                        version=assessment.version,
                        measure=ops.MeasureInput(
                            form.description.data or "",
                            form.rara.data or "",
                            form.responsible.data or "",
                        ),
                        finish_plan=finishing,
                    )
                else:
                    ops.save_plan(
                        db,
                        current_user,
                        assessment.id,
                        version=assessment.version,
                        finish=finishing,
                    )

            if _version_ok(assessment, form) and valid and _saved(form, assessment.id, save):
                if finishing:
                    return _after_save(assessment, instrument, t.PLAN)
                flash("Measure added. Add another or save and continue.", "success")
                return redirect(_plan_url(assessment))
    return _render_section(assessment, "assessments/plan.html", form, t.PLAN)


def _plan_url(assessment: RiskAssessment) -> str:
    return url_for("assessments.section", assessment_id=assessment.id, section_key=t.PLAN)


# ---- check your answers and submit ------------------------------------------------------


def _submit_problems(assessment: RiskAssessment) -> list[dict[str, str]]:
    """Error summary items, each linking to the page that needs attention."""
    return [
        {
            "text": text,
            "href": url_for("assessments.section", assessment_id=assessment.id, section_key=key),
        }
        for key, text in ops.submit_problems(assessment)
    ]


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
        problems = _submit_problems(assessment)
        if (
            _version_ok(assessment, form)
            and valid
            and not problems
            and _saved(
                form,
                assessment.id,
                lambda: ops.submit_assessment(
                    db, current_user, assessment.id, version=assessment.version
                ),
            )
        ):
            flash(
                "Assessment submitted. A supervisor in your agency will review and endorse it.",
                "success",
            )
            return redirect(url_for("assessments.view", assessment_id=assessment.id))
    else:
        queries.note_viewed(db, current_user, assessment, purpose="check")
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
    who = queries.endorser_name(db_session(), assessment)
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
        if problem := ops.endorsement_problem(assessment, final, reason):
            form.reason.errors = [problem]
            valid = False
        if _version_ok(assessment, form) and valid:
            try:
                done = ops.endorse_assessment(
                    db,
                    current_user,
                    assessment_id,
                    version=assessment.version,
                    final_level=final or "",
                    reason=reason,
                )
            except Conflict:
                fresh = _load(assessment_id)
                if fresh.status == AssessmentStatus.ENDORSED:
                    flash(_endorsed_message(fresh), "info")
                    return redirect(url_for("assessments.view", assessment_id=fresh.id))
                form.show_conflict(fresh.version)
            except Invalid as error:
                show_invalid(form, error)
            else:
                message = f"Assessment endorsed as {RiskLevel(final).label.lower()} risk. "
                if done.referral is not None:
                    message += (
                        "A MARAC referral was created automatically: "
                        f"{getattr(done.referral, 'reference', '')}."
                    )
                else:
                    message += "No MARAC referral was created."
                flash(message, "success")
                return redirect(url_for("assessments.endorsement_queue"))
    else:
        queries.note_viewed(db, current_user, assessment, purpose="endorse")
    shown = queries.details(db, assessment)
    return render_template(
        "assessments/endorse.html",
        form=form,
        scoring=_scoring(assessment, get_instrument(assessment.instrument_version)),
        assessor=shown.assessor,
        endorser=None,
        can_endorse=False,
        **_context(assessment),
    )
