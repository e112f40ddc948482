"""The minutes page of a meeting, the lifecycle steps and the PDF downloads.

Issued PDFs are served from their stored bytes, never re-rendered; every download and
preview is audited. The pages parse and render: the reads are `minutes.queries`, the
steps `minutes.operations`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marac.accounts.models import Role
from marac.auth import require, roles_required
from marac.db import db_session
from marac.jobs.models import Job
from marac.jobs.queries import status_of
from marac.meetings.record_lock import record_disposed
from marac.minutes import lifecycle, operations, queries
from marac.minutes.forms import (
    AgendaPdfForm,
    ApproveForm,
    CorrectionForm,
    IssueForm,
    StartCorrectionForm,
)
from marac.minutes.models import MinutesStatus
from marac.operations import Conflict, Invalid
from marac.panels.models import Meeting, MeetingStatus
from marac.pdfs import document_name

bp = Blueprint("minutes", __name__, url_prefix="/meetings")

ROLES = (Role.REFERRER, Role.MEMBER, Role.COORDINATOR)
REFRESH_SECONDS = 2
STATUS_LABELS = {
    MinutesStatus.DRAFT: "Draft",
    MinutesStatus.APPROVED: "Approved by the chair",
    MinutesStatus.ISSUED: "Issued",
}


def _pdf(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _no_longer_held(meeting: Meeting, agenda: bool = False) -> Response:
    """A document of a meeting disposed of under the retention schedule: gone, on purpose."""
    page = render_template("minutes/no_longer_held.html", meeting=meeting, agenda=agenda)
    return Response(page, status=410, mimetype="text/html")


def _name(meeting: Meeting, what: str) -> str:
    return document_name(meeting.panel.name, meeting.meeting_date.isoformat(), what)


def _page(meeting_id: int, correction: CorrectionForm | None = None, status: int = 200) -> Any:
    page = queries.minutes_page(db_session(), current_user, meeting_id)
    meeting, minutes = page.meeting, page.minutes
    version = str(minutes.version or 1)
    return (
        render_template(
            "minutes/minutes.html",
            meeting=meeting,
            minutes=minutes,
            status_label=STATUS_LABELS[MinutesStatus(minutes.status)],
            documents=page.documents,
            agency_names=page.agency_names,
            people=page.people,
            job=page.job,
            runs=lifecycle.can_issue(current_user, meeting),
            held=meeting.status == MeetingStatus.HELD.value,
            may_approve=lifecycle.can_approve(current_user, meeting),
            approve_form=ApproveForm(formdata=None, version=version),
            issue_form=IssueForm(formdata=None, version=version),
            correction_form=correction or CorrectionForm(formdata=None, version=version),
            start_form=StartCorrectionForm(formdata=None, version=version),
            form=correction if correction is not None and correction.errors else None,
        ),
        status,
    )


@bp.get("/<int:meeting_id>/minutes")
@roles_required(*ROLES)
def minutes(meeting_id: int) -> Any:
    """Status, the steps the viewer may take, and the versions they may download."""
    return _page(meeting_id)


@bp.get("/<int:meeting_id>/minutes/draft.pdf")
@roles_required(Role.COORDINATOR)
def preview(meeting_id: int) -> Response:
    """The draft as it would be issued today, for the coordinator to check (not stored)."""
    meeting = queries.meeting_of(db_session(), meeting_id)
    if record_disposed(meeting):
        return _no_longer_held(meeting)
    pdf = operations.preview_minutes(db_session(), current_user, meeting_id)
    return _pdf(pdf, _name(meeting, "draft minutes"))


def _version(form: Any) -> int:
    try:
        return int(form.version.data or "")
    except ValueError:
        return -1


def _step(
    meeting_id: int, form: Any, apply: Callable[[int], object], done: str | None = None
) -> Any:
    """Run one lifecycle step; a clash or a broken rule is said on the minutes page. A step
    that queued a job goes to its progress page."""
    back = redirect(url_for("minutes.minutes", meeting_id=meeting_id))
    if not form.validate_on_submit():
        if isinstance(form, CorrectionForm):
            return _page(meeting_id, correction=form, status=400)
        abort(400)
    try:
        result = apply(_version(form))
    except Conflict as error:
        flash(error.message)
        return back
    except Invalid as error:
        if isinstance(form, CorrectionForm):
            form.reason.errors = [*form.reason.errors, *error.errors.get("reason", [error.message])]
            return _page(meeting_id, correction=form, status=400)
        flash(error.message)
        return back
    if isinstance(result, Job):
        return redirect(url_for("minutes.job", meeting_id=meeting_id, job_id=result.id))
    if done:
        flash(done)
    return back


@bp.post("/<int:meeting_id>/minutes/approve")
@roles_required(Role.COORDINATOR)
def approve(meeting_id: int) -> Any:
    meeting = queries.meeting_of(db_session(), meeting_id)
    require(lifecycle.can_approve(current_user, meeting))
    return _step(
        meeting_id,
        ApproveForm(),
        lambda version: operations.approve_minutes(
            db_session(), current_user, meeting_id, version=version
        ),
        "The minutes are approved. The coordinator can now issue them",
    )


@bp.post("/<int:meeting_id>/minutes/issue")
@roles_required(Role.COORDINATOR)
def issue(meeting_id: int) -> Any:
    meeting = queries.meeting_of(db_session(), meeting_id)
    require(lifecycle.can_issue(current_user, meeting))
    if lifecycle.minutes_of(db_session(), meeting).status == MinutesStatus.ISSUED.value:
        flash("These minutes are already issued: issue a correction with a reason instead")
        return redirect(url_for("minutes.minutes", meeting_id=meeting.id))
    return _step(
        meeting_id,
        IssueForm(),
        lambda version: operations.issue_minutes(
            db_session(), current_user, meeting_id, version=version
        ),
    )


@bp.post("/<int:meeting_id>/minutes/correct")
@roles_required(Role.COORDINATOR)
def correct(meeting_id: int) -> Any:
    meeting = queries.meeting_of(db_session(), meeting_id)
    require(lifecycle.can_issue(current_user, meeting))
    minutes = lifecycle.minutes_of(db_session(), meeting)
    if minutes.status != MinutesStatus.ISSUED.value:
        abort(404)
    form = CorrectionForm()
    return _step(
        meeting_id,
        form,
        lambda version: operations.correct_minutes(
            db_session(), current_user, meeting_id, version=version, reason=form.reason.data or ""
        ),
    )


@bp.post("/<int:meeting_id>/minutes/correction")
@roles_required(Role.COORDINATOR)
def start_correction(meeting_id: int) -> Any:
    """Re-open the meeting record for a correction, then go to the record to change it."""
    meeting = queries.meeting_of(db_session(), meeting_id)
    require(lifecycle.can_issue(current_user, meeting))
    if lifecycle.minutes_of(db_session(), meeting).status != MinutesStatus.ISSUED.value:
        abort(404)
    result = _step(
        meeting_id,
        StartCorrectionForm(),
        lambda version: operations.start_correction(
            db_session(), current_user, meeting_id, version=version
        ),
        "Correction started: the meeting record can be changed until the corrected "
        "version is issued",
    )
    if getattr(result, "status_code", 200) == 302 and meeting.correction_open:
        return redirect(url_for("meetings.complete", meeting_id=meeting_id))
    return result


@bp.get("/<int:meeting_id>/minutes/jobs/<int:job_id>")
@roles_required(*ROLES)
def job(meeting_id: int, job_id: int) -> str:
    """Progress of issuing (or of the agenda PDF): refreshes itself until it is finished."""
    meeting, found = queries.meeting_job(db_session(), current_user, meeting_id, job_id)
    return render_template(
        "minutes/job.html",
        meeting=meeting,
        job=found,
        agenda=found.kind == operations.AGENDA_JOB,
        refresh=None if found.finished else REFRESH_SECONDS,
    )


@bp.get("/<int:meeting_id>/minutes/jobs/<int:job_id>/status")
@roles_required(*ROLES)
def job_status_json(meeting_id: int, job_id: int) -> Response:
    _, found = queries.meeting_job(db_session(), current_user, meeting_id, job_id)
    response = jsonify(status_of(found))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:meeting_id>/minutes/documents/<int:document_id>.pdf")
@roles_required(*ROLES)
def download(meeting_id: int, document_id: int) -> Response:
    """An issued PDF exactly as stored; refusals are 403 whatever the reason."""
    meeting = queries.meeting_of(db_session(), meeting_id)
    got = operations.download_document(db_session(), current_user, meeting_id, document_id)
    if got.disposed:
        return _no_longer_held(meeting)
    if got.data is None:
        page = render_template("minutes/unavailable.html", meeting=meeting)
        return Response(page, status=500, mimetype="text/html")
    return _pdf(got.data, got.filename)


@bp.get("/<int:meeting_id>/agenda.pdf")
@roles_required(Role.MEMBER, Role.COORDINATOR)
def agenda(meeting_id: int) -> Any:
    """The published agenda as a PDF, as it stands (amendments included). The worker
    renders it on request; until a current copy is stored the page offers to ask."""
    meeting = queries.meeting_of(db_session(), meeting_id)
    got = operations.download_agenda(db_session(), current_user, meeting_id)
    if got.data is not None:
        return _pdf(got.data, _name(meeting, "agenda"))
    if got.disposed:
        return _no_longer_held(meeting, agenda=True)
    if got.failed:
        page = render_template("minutes/unavailable.html", meeting=meeting, agenda=True)
        return Response(page, status=500, mimetype="text/html")
    return render_template("minutes/agenda_pdf.html", meeting=meeting, form=AgendaPdfForm())


@bp.post("/<int:meeting_id>/agenda.pdf")
@roles_required(Role.MEMBER, Role.COORDINATOR)
def prepare_agenda(meeting_id: int) -> Any:
    meeting = queries.meeting_of(db_session(), meeting_id)
    if not AgendaPdfForm().validate_on_submit():
        abort(400)
    if record_disposed(meeting):
        return _no_longer_held(meeting, agenda=True)
    found = operations.request_agenda_pdf(db_session(), current_user, meeting_id)
    return redirect(url_for("minutes.job", meeting_id=meeting_id, job_id=found.id))
