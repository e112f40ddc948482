"""The minutes page of a meeting, the lifecycle steps and the PDF downloads.

Issued PDFs are served from their stored bytes, never re-rendered; every download and
preview is audited.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from marac.accounts.models import Agency, Role, User
from marac.audit import record
from marac.auth import require, roles_required
from marac.db import db_session
from marac.formatting import uk_today
from marac.minutes import lifecycle
from marac.minutes.access import can_open_minutes
from marac.minutes.content import gather_agenda, gather_minutes
from marac.minutes.forms import ApproveForm, CorrectionForm, IssueForm
from marac.minutes.models import DocumentKind, IssuedDocument, MinutesStatus
from marac.minutes.render import render_agenda, render_full_minutes
from marac.panels.access import runs_panel
from marac.panels.models import Meeting, MeetingStatus

bp = Blueprint("minutes", __name__, url_prefix="/meetings")

OBJECT = "minutes"
ROLES = (Role.REFERRER, Role.MEMBER, Role.COORDINATOR)
STATUS_LABELS = {
    MinutesStatus.DRAFT: "Draft",
    MinutesStatus.APPROVED: "Approved by the chair",
    MinutesStatus.ISSUED: "Issued",
}


def _meeting(meeting_id: int) -> Meeting:
    meeting = db_session().get(Meeting, meeting_id)
    if meeting is None or meeting.status == MeetingStatus.CANCELLED.value:
        abort(404)
    return meeting


def _pdf(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _stem(meeting: Meeting) -> str:
    return f"marac-{meeting.panel_id}-{meeting.meeting_date.isoformat()}"


def _page(meeting: Meeting, correction: CorrectionForm | None = None, status: int = 200) -> Any:
    db = db_session()
    minutes = lifecycle.minutes_of(db, meeting)
    runs = runs_panel(current_user, meeting.panel)
    documents = [
        d
        for d in lifecycle.issued_documents(db, meeting.id)
        if lifecycle.can_download(current_user, meeting, d)
    ]
    names = {
        a.id: a.name
        for a in db.scalars(
            select(Agency).where(Agency.id.in_({d.agency_id for d in documents} - {None}))
        )
    }
    people = {
        u.id: u.name
        for u in db.scalars(
            select(User).where(User.id.in_({minutes.approved_by_id, minutes.issued_by_id} - {None}))
        )
    }
    record(
        db, "minutes_viewed", OBJECT, meeting.id, f"Viewed the minutes page of meeting {meeting.id}"
    )
    db.commit()
    version = str(minutes.version or 1)
    return (
        render_template(
            "minutes/minutes.html",
            meeting=meeting,
            minutes=minutes,
            status_label=STATUS_LABELS[MinutesStatus(minutes.status)],
            documents=documents,
            agency_names=names,
            people=people,
            runs=runs,
            held=meeting.status == MeetingStatus.HELD.value,
            may_approve=lifecycle.can_approve(current_user, meeting),
            approve_form=ApproveForm(formdata=None, version=version),
            issue_form=IssueForm(formdata=None, version=version),
            correction_form=correction or CorrectionForm(formdata=None, version=version),
            form=correction if correction is not None and correction.errors else None,
        ),
        status,
    )


@bp.get("/<int:meeting_id>/minutes")
@roles_required(*ROLES)
def minutes(meeting_id: int) -> Any:
    """Status, the steps the viewer may take, and the versions they may download."""
    meeting = _meeting(meeting_id)
    require(can_open_minutes(db_session(), current_user, meeting))
    return _page(meeting)


@bp.get("/<int:meeting_id>/minutes/draft.pdf")
@roles_required(Role.COORDINATOR)
def preview(meeting_id: int) -> Response:
    """The draft as it would be issued today, for the coordinator to check (not stored)."""
    db = db_session()
    meeting = _meeting(meeting_id)
    require(runs_panel(current_user, meeting.panel))
    pdf = render_full_minutes(gather_minutes(db, meeting), None, None)
    record(db, "minutes_previewed", OBJECT, meeting.id, "Previewed the draft minutes")
    db.commit()
    return _pdf(pdf.pdf, f"{_stem(meeting)}-draft-minutes.pdf")


def _issue_and_notify(db: Any, meeting: Meeting, reason: str = "") -> None:
    """Issue the next version, then tell the members and the action-owning agencies."""
    from marac.minutes import notices

    documents = lifecycle.issue(db, meeting, current_user, uk_today(), reason)
    page = url_for("minutes.minutes", meeting_id=meeting.id)
    agencies = [d.agency_id for d in documents if d.agency_id is not None]
    notices.minutes_issued(
        db, meeting, agencies, full_link=page, extract_links=dict.fromkeys(agencies, page)
    )


def _step(meeting: Meeting, form: Any, apply: Any, done: str, audit: tuple[str, str]) -> Any:
    """Run one lifecycle step with the version check, the audit row and the message."""
    db = db_session()
    minutes = lifecycle.minutes_of(db, meeting)
    if not form.validate_on_submit():
        if isinstance(form, CorrectionForm):
            return _page(meeting, correction=form, status=400)
        abort(400)
    if not form.version_matches(minutes.version or 1):
        flash("Someone else changed these minutes while you were looking. Check and try again")
        return redirect(url_for("minutes.minutes", meeting_id=meeting.id))
    try:
        apply(db)
        record(db, audit[0], OBJECT, meeting.id, audit[1])
        db.commit()
    except lifecycle.MinutesError as error:
        db.rollback()
        if isinstance(form, CorrectionForm):
            form.reason.errors = [*form.reason.errors, str(error)]
            return _page(meeting, correction=form, status=400)
        flash(str(error))
        return redirect(url_for("minutes.minutes", meeting_id=meeting.id))
    except StaleDataError:
        db.rollback()
        flash("Someone else changed these minutes at the same moment. Check and try again")
        return redirect(url_for("minutes.minutes", meeting_id=meeting.id))
    flash(done)
    return redirect(url_for("minutes.minutes", meeting_id=meeting.id))


@bp.post("/<int:meeting_id>/minutes/approve")
@roles_required(Role.COORDINATOR)
def approve(meeting_id: int) -> Any:
    meeting = _meeting(meeting_id)
    require(lifecycle.can_approve(current_user, meeting))
    return _step(
        meeting,
        ApproveForm(),
        lambda db: lifecycle.approve(db, meeting, current_user),
        "The minutes are approved. The coordinator can now issue them",
        ("minutes_approved", "Approved the minutes"),
    )


@bp.post("/<int:meeting_id>/minutes/issue")
@roles_required(Role.COORDINATOR)
def issue(meeting_id: int) -> Any:
    meeting = _meeting(meeting_id)
    require(lifecycle.can_issue(current_user, meeting))
    if lifecycle.minutes_of(db_session(), meeting).status == MinutesStatus.ISSUED.value:
        flash("These minutes are already issued: issue a correction with a reason instead")
        return redirect(url_for("minutes.minutes", meeting_id=meeting.id))
    return _step(
        meeting,
        IssueForm(),
        lambda db: _issue_and_notify(db, meeting),
        "The minutes and the agencies' extracts are issued",
        ("minutes_issued", "Issued version 1 of the minutes and extracts"),
    )


@bp.post("/<int:meeting_id>/minutes/correct")
@roles_required(Role.COORDINATOR)
def correct(meeting_id: int) -> Any:
    meeting = _meeting(meeting_id)
    require(lifecycle.can_issue(current_user, meeting))
    minutes = lifecycle.minutes_of(db_session(), meeting)
    if minutes.status != MinutesStatus.ISSUED.value:
        abort(404)
    form = CorrectionForm()
    number = minutes.current_version + 1
    return _step(
        meeting,
        form,
        lambda db: _issue_and_notify(db, meeting, form.reason.data or ""),
        f"Version {number} of the minutes is issued",
        ("minutes_corrected", f"Issued correction version {number} (reason given)"),
    )


@bp.get("/<int:meeting_id>/minutes/documents/<int:document_id>.pdf")
@roles_required(*ROLES)
def download(meeting_id: int, document_id: int) -> Response:
    """An issued PDF exactly as stored; refusals are 403 whatever the reason."""
    db = db_session()
    meeting = _meeting(meeting_id)
    document = db.get(IssuedDocument, document_id)
    if document is None or document.meeting_id != meeting.id:
        abort(404)
    require(lifecycle.can_download(current_user, meeting, document))
    kind = "minutes" if document.kind == DocumentKind.FULL.value else "extract"
    record(
        db,
        "minutes_downloaded",
        OBJECT,
        meeting.id,
        f"Downloaded {kind} version {document.version_number} (document {document.id}, "
        f"sha256 {document.sha256[:12]})",
    )
    db.commit()
    suffix = f"-agency-{document.agency_id}" if document.agency_id else ""
    return _pdf(document.pdf, f"{_stem(meeting)}-{kind}{suffix}-v{document.version_number}.pdf")


@bp.get("/<int:meeting_id>/agenda.pdf")
@roles_required(Role.MEMBER, Role.COORDINATOR)
def agenda(meeting_id: int) -> Response:
    """The published agenda as a PDF, rendered as it stands (amendments included)."""
    db = db_session()
    meeting = _meeting(meeting_id)
    require(lifecycle.can_download_agenda(current_user, meeting))
    pdf = render_agenda(meeting, gather_agenda(db, meeting))
    record(db, "agenda_downloaded", "meeting", meeting.id, "Downloaded the agenda PDF")
    db.commit()
    return _pdf(pdf.pdf, f"{_stem(meeting)}-agenda.pdf")
