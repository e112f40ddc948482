"""The meeting record: attendance, each case's discussion and decision, action review.

The coordinator running the meeting records it on a laptop in the room: one page per
case, the referral's summary beside the form, saved with one button (with every action
agreed) and straight on to the next. Members of the panel's agencies may read the record
of cases they can see (published agenda, case open), never change it. Once the minutes
are issued the record is locked (`record_lock`): the pages say so and point to a
correction. Every view and change is audited (the operations in `marac.meetings.operations`).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marac.accounts.models import Agency, Role, User
from marac.actions.context import case_contexts, latest_progress
from marac.actions.forms import NO_OFFICER
from marac.actions.rules import KIND_LABELS, RARA_LABELS, STATUS_LABELS, is_overdue
from marac.attachments.queries import case_documents
from marac.auth import require, roles_required
from marac.db import db_session
from marac.formatting import format_date, uk_today
from marac.forms import show_invalid
from marac.incidents.models import INCIDENT_TYPE_LABELS
from marac.meetings import operations as ops
from marac.meetings import queries
from marac.meetings.blueprint import bp
from marac.meetings.models import AttendanceStatus, CaseInformation, Decision
from marac.meetings.queries import CaseOnRecord
from marac.meetings.record_forms import (
    ACTIONS_LIMIT,
    DECISION_LABELS,
    RISK_LABELS,
    AddAgencyForm,
    AttendanceForm,
    AttendeeForm,
    CaseRecordForm,
    CompleteForm,
    ReviewMarkForm,
    agency_field_name,
    attendance_form_class,
    case_record_form_class,
)
from marac.meetings.record_lock import RecordLocked, check_record_open, record_locked
from marac.operations import Conflict, Invalid
from marac.panels.models import Meeting
from marac.people.models import Person
from marac.referrals.models import OUTCOME_LABELS, Referral, SubjectType

# ---- shared helpers ---------------------------------------------------------------------


def _meeting_page(meeting: Meeting) -> str:
    """The meeting page (the agenda) when it exists, else the attendance page."""
    views = current_app.view_functions
    for endpoint in ("meetings.view", "meetings.meeting", "meetings.detail"):
        if endpoint in views:
            return url_for(endpoint, meeting_id=meeting.id)
    return url_for("meetings.attendance", meeting_id=meeting.id)


def _subject(referral: Referral, person: Person | None) -> str:
    if referral.subject_type == SubjectType.LOCATION.value:
        return f"Location: {referral.location}"
    name = person.full_name if person else "Not recorded"
    if referral.subject_type == SubjectType.PERPETRATOR.value:
        name += " (perpetrator-focused)"
    return name


@bp.errorhandler(RecordLocked)
def record_locked_page(error: RecordLocked) -> tuple[str, int]:
    """A write to a locked record: say the minutes are issued and offer a correction.
    (The operation that refused has already rolled its transaction back.)"""
    return render_template("meetings/record_locked.html", error=error), 409


# ---- attendance -------------------------------------------------------------------------


def _attendance_form(meeting: Meeting, agencies: list[Agency], formdata: Any = None) -> Any:
    statuses = {
        row.agency_id: row.status for row in queries.attendance_rows(db_session(), meeting.id)
    }
    form_class = attendance_form_class(agencies)
    return form_class(
        prefix="attendance",
        formdata=formdata,
        data={agency_field_name(a.id): statuses.get(a.id) for a in agencies},
    )


def _attendee_form(agencies: list[Agency], formdata: Any = None) -> AttendeeForm:
    form = AttendeeForm(prefix="attendee", formdata=formdata)
    form.agency_id.choices = [(0, "Select an agency")] + [(a.id, a.name) for a in agencies]
    return form


def _add_agency_form(meeting: Meeting, formdata: Any = None) -> AddAgencyForm:
    form = AddAgencyForm(prefix="add-agency", formdata=formdata)
    form.agency_id.choices = [(0, "Select an agency")] + [
        (a.id, a.name) for a in queries.addable_agencies(db_session(), meeting)
    ]
    return form


def _render_attendance(
    meeting: Meeting,
    attendance: AttendanceForm | None = None,
    attendee: AttendeeForm | None = None,
    failed: Any = None,
    add_agency: AddAgencyForm | None = None,
) -> str:
    db = db_session()
    agencies = queries.record_agencies(db, meeting)
    attendance = attendance or _attendance_form(meeting, agencies)
    attendee = attendee or _attendee_form(agencies)
    add_agency = add_agency or _add_agency_form(meeting)
    attendees = queries.attendees(db, meeting.id)
    names = {a.id: a.name for a in agencies}
    missing = {a.agency_id for a in attendees} - set(names)
    names.update({a.id: a.name for a in queries.by_id(db, Agency, missing).values()})
    return render_template(
        "meetings/attendance.html",
        meeting_page=_meeting_page(meeting),
        meeting=meeting,
        agencies=agencies,
        attendance=attendance,
        attendee=attendee,
        attendees=sorted(attendees, key=lambda a: (names.get(a.agency_id, ""), a.name, a.id)),
        agency_names=names,
        fields=[(a, attendance[agency_field_name(a.id)]) for a in agencies],
        members={a.id for a in meeting.panel.agencies},
        add_agency=add_agency,
        locked=record_locked(meeting),
        form=failed,
    )


@bp.route("/<int:meeting_id>/attendance", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def attendance(meeting_id: int) -> str | Response:
    """Each agency present, sent apologies, absent or (unmarked) not expected; the named
    attendees; agencies asked to this meeting only."""
    db = db_session()
    meeting = queries.recording_meeting(db, current_user, meeting_id)
    if request.method == "GET":
        page = _render_attendance(meeting)
        ops.record_attendance_viewed(db, current_user, meeting.id)
        return page
    agencies = queries.record_agencies(db, meeting)
    form = _attendance_form(meeting, agencies, request.form)
    if not form.validate_on_submit():
        return _render_attendance(meeting, attendance=form, failed=form)
    statuses = {a.id: form[agency_field_name(a.id)].data for a in agencies}
    try:
        ops.save_attendance(db, current_user, meeting.id, statuses=statuses)
    except Invalid as error:
        show_invalid(form, error)
        return _render_attendance(meeting, attendance=form, failed=form)
    unmarked = sum(1 for status in statuses.values() if not status)
    flash(
        "Attendance saved."
        + (
            f" {unmarked} {'agency' if unmarked == 1 else 'agencies'} left unmarked "
            "recorded as not expected."
            if unmarked
            else ""
        ),
        "success",
    )
    return redirect(url_for("meetings.attendance", meeting_id=meeting.id))


@bp.post("/<int:meeting_id>/attendance/agencies")
@roles_required(Role.COORDINATOR)
def add_meeting_agency(meeting_id: int) -> str | Response:
    """Ask an agency that is not on the panel to this meeting."""
    db = db_session()
    meeting = queries.recording_meeting(db, current_user, meeting_id)
    form = _add_agency_form(meeting, request.form)
    if not form.validate_on_submit():
        return _render_attendance(meeting, failed=form, add_agency=form)
    try:
        agency = ops.add_meeting_agency(db, current_user, meeting.id, agency_id=form.agency_id.data)
    except Invalid as error:
        meeting = queries.recording_meeting(db, current_user, meeting_id)
        show_invalid(form, error)
        return _render_attendance(meeting, failed=form, add_agency=form)
    flash(f"{agency.name} added to this meeting.", "success")
    return redirect(url_for("meetings.attendance", meeting_id=meeting.id))


@bp.post("/<int:meeting_id>/attendance/attendees")
@roles_required(Role.COORDINATOR)
def add_attendee(meeting_id: int) -> str | Response:
    """Add one named attendee; their agency is then marked present."""
    db = db_session()
    meeting = queries.recording_meeting(db, current_user, meeting_id)
    agencies = queries.record_agencies(db, meeting)
    form = _attendee_form(agencies, request.form)
    if not form.validate_on_submit():
        return _render_attendance(meeting, attendee=form, failed=form)
    try:
        ops.add_attendee(
            db,
            current_user,
            meeting.id,
            agency_id=form.agency_id.data,
            name=form.name.data,
            job_title=form.job_title.data or "",
            acknowledged=bool(form.acknowledged.data),
        )
    except Invalid as error:
        meeting = queries.recording_meeting(db, current_user, meeting_id)
        show_invalid(form, error)
        return _render_attendance(meeting, attendee=form, failed=form)
    flash(f"{form.name.data} added.", "success")
    return redirect(url_for("meetings.attendance", meeting_id=meeting.id) + "#attendees")


@bp.post("/<int:meeting_id>/attendance/attendees/<int:attendee_id>/acknowledge")
@roles_required(Role.COORDINATOR)
def acknowledge_attendee(meeting_id: int, attendee_id: int) -> Response:
    """Record that an attendee accepted the confidentiality statement, and when."""
    attendee = ops.acknowledge_attendee(db_session(), current_user, meeting_id, attendee_id)
    flash(f"{attendee.name}'s confidentiality acknowledgement recorded.", "success")
    return redirect(url_for("meetings.attendance", meeting_id=meeting_id) + "#attendees")


@bp.post("/<int:meeting_id>/attendance/attendees/<int:attendee_id>/remove")
@roles_required(Role.COORDINATOR)
def remove_attendee(meeting_id: int, attendee_id: int) -> Response:
    name = ops.remove_attendee(db_session(), current_user, meeting_id, attendee_id)
    flash(f"{name} removed.", "success")
    return redirect(url_for("meetings.attendance", meeting_id=meeting_id) + "#attendees")


# ---- the case record --------------------------------------------------------------------


def _record_form(
    page: CaseOnRecord,
    agencies: list[Agency],
    infos: dict[int, CaseInformation],
    later: list[Meeting],
    formdata: Any = None,
) -> CaseRecordForm:
    item, referral = page.item, page.referral
    closed_here = item.decision == Decision.CLOSE.value
    data: dict[str, Any] = {
        "version": str(item.version),
        "risks_identified": item.risks_identified,
        "risk_level_after": item.risk_level_after,
        "decision": item.decision,
        "review_meeting_id": item.review_meeting_id or (later[0].id if later else 0),
        "closure_reason": referral.closure_reason if closed_here else "",
        "outcome": referral.outcome if closed_here else None,
        "victim_view_of_outcome": referral.victim_view_of_outcome if closed_here else "",
    }
    for agency in agencies:
        info = infos.get(agency.id)
        data[f"info_{agency.id}"] = info.information if info else ""
    form = case_record_form_class(agencies)(prefix="record", formdata=formdata, data=data)
    form.review_meeting_id.choices = [(0, "Select a meeting")] + [
        (m.id, format_date(m.meeting_date)) for m in later
    ]
    _action_choices(form, page, fresh=formdata is None)
    return form


def _action_choices(form: CaseRecordForm, page: CaseOnRecord, fresh: bool = False) -> None:
    """Agencies and officers on every action fieldset (call again after adding one)."""
    db = db_session()
    officers = queries.panel_officers(db, page.meeting)
    agencies = queries.record_agencies(db, page.meeting)
    for action_form in form.action_forms():
        action_form.set_choices(agencies, officers)
        action_form.today = uk_today()
        if fresh or action_form.officer_id.data is None:
            action_form.officer_id.data = NO_OFFICER


def _render_case(
    page: CaseOnRecord, form: CaseRecordForm | None = None, failed: bool = False
) -> str:
    db = db_session()
    meeting, item, referral = page.meeting, page.item, page.referral
    summary = queries.case_summary(db, page)
    infos = queries.case_information(db, item.id)
    agencies = queries.information_agencies(db, meeting, infos)
    locked = record_locked(meeting)
    writable = page.editable and not locked
    later = queries.review_meetings(db, meeting) if writable else []
    if writable and form is None:
        form = _record_form(page, agencies, infos, later)
    actions, earlier_actions = summary.actions, summary.earlier_actions
    names = {a.id: a.name for a in queries.record_agencies(db, meeting)}
    owners = {a.agency_id for a in actions} | {a.agency_id for a in earlier_actions}
    names.update(
        {
            a.id: a.name
            for a in queries.by_id(
                db, Agency, {r.agency_id for r in summary.research} | owners
            ).values()
        }
    )
    officers = queries.by_id(db, User, (a.officer_id for a in [*actions, *earlier_actions]))
    review_meeting = queries.by_id(db, Meeting, [item.review_meeting_id]).get(
        item.review_meeting_id or 0
    )
    ids = [i.id for i, _ in page.items]
    at = ids.index(item.id)
    return render_template(
        "meetings/record_case.html",
        meeting_page=_meeting_page(meeting),
        meeting=meeting,
        item=item,
        referral=referral,
        subject=_subject(referral, summary.person),
        person=summary.person,
        strands=summary.strands,
        incidents=summary.incidents,
        assessment=summary.assessment,
        research=sorted(summary.research, key=lambda r: names.get(r.agency_id, "")),
        infos=infos,
        info_agencies=agencies,
        agency_names=names,
        actions=actions,
        earlier_actions=earlier_actions,
        documents=case_documents(db, current_user, referral.id),
        officers=officers,
        review_meeting=review_meeting,
        previous_item=page.items[at - 1][0] if at > 0 else None,
        next_item=page.items[at + 1][0] if at + 1 < len(page.items) else None,
        position=at + 1,
        count=len(page.items),
        record_form=form,
        form=form if failed else None,
        editable=writable,
        runs=page.editable,
        locked=locked,
        can_add_action=bool(form) and len(form.actions) < ACTIONS_LIMIT,
        has_later_meetings=bool(later),
        labels={
            "risk": RISK_LABELS,
            "decision": DECISION_LABELS,
            "outcome": OUTCOME_LABELS,
            "kind": KIND_LABELS,
            "rara": RARA_LABELS,
            "status": STATUS_LABELS,
            "incident_type": INCIDENT_TYPE_LABELS,
        },
    )


@bp.get("/<int:meeting_id>/record/<int:item_id>")
@roles_required(Role.MEMBER, Role.COORDINATOR)
def record_case(meeting_id: int, item_id: int) -> str:
    """One case's record: the summary, agencies' research, and what the panel decides."""
    db = db_session()
    page = queries.case_on_record(db, current_user, meeting_id, item_id)
    html = _render_case(page)
    ops.record_case_viewed(db, current_user, meeting_id, item_id)
    return html


def _typed_record(form: CaseRecordForm) -> ops.CaseRecord:
    return ops.CaseRecord(
        information={agency_id: field.data or "" for agency_id, field in form.information_fields()},
        risks_identified=form.risks_identified.data or "",
        risk_level_after=form.risk_level_after.data or None,
        decision=form.decision.data or None,
        review_meeting_id=form.review_meeting_id.data or None,
        closure_reason=form.closure_reason.data or "",
        outcome=form.outcome.data or None,
        victim_view_of_outcome=form.victim_view_of_outcome.data or "",
    )


def _typed_actions(form: CaseRecordForm) -> list[tuple[int, ops.NewAction]]:
    """(fieldset index, action) for each fieldset with something typed in it."""
    return [
        (
            n,
            ops.NewAction(
                description=sub.description.data or "",
                kind=sub.kind.data or "",
                rara=sub.rara.data or "",
                agency_id=sub.agency_id.data or 0,
                officer_id=sub.officer_id.data or None,
                due_date=sub.due_date.data,
            ),
        )
        for n, sub in enumerate(form.action_forms())
        if sub.has_any_input()
    ]


def _renumbered(error: Invalid, indexes: list[int]) -> Invalid:
    """The operation numbers only the typed actions; put errors on their fieldsets."""
    errors: dict[str, list[str]] = {}
    for name, problems in error.errors.items():
        parts = name.split(".")
        if parts[0] == "actions" and len(parts) > 1 and parts[1].isdigit():
            parts[1] = str(indexes[int(parts[1])])
        errors[".".join(parts)] = problems
    return Invalid(errors)


@bp.post("/<int:meeting_id>/record/<int:item_id>")
@roles_required(Role.COORDINATOR)
def save_case(meeting_id: int, item_id: int) -> str | Response:
    """Save the case's record and every action typed, in one transaction; on to the next
    case. "Add another action" re-renders with one more empty action (no script needed)."""
    db = db_session()
    page = queries.case_on_record(db, current_user, meeting_id, item_id)
    require(page.editable)
    check_record_open(page.meeting)
    infos = queries.case_information(db, page.item.id)
    agencies = queries.information_agencies(db, page.meeting, infos)
    later = queries.review_meetings(db, page.meeting)
    form = _record_form(page, agencies, infos, later, request.form)
    if form.add_action.data:
        form.add_action_fieldset()
        _action_choices(form, page)
        return _render_case(page, form)
    if not form.validate_on_submit():
        return _render_case(page, form, failed=True)
    typed = _typed_actions(form)
    try:
        version = int(form.version.data or "")
    except ValueError:
        version = -1
    try:
        saved = ops.record_case(
            db,
            current_user,
            meeting_id,
            item_id,
            version=version,
            values=_typed_record(form),
            actions=[action for _, action in typed],
        )
    except Invalid as error:
        page = queries.case_on_record(db, current_user, meeting_id, item_id)
        show_invalid(form, _renumbered(error, [n for n, _ in typed]))
        return _render_case(page, form, failed=True)
    except Conflict:
        page = queries.case_on_record(db, current_user, meeting_id, item_id)
        form.show_conflict(page.item.version)
        return _render_case(page, form, failed=True)
    page, agreed = saved.case, saved.actions
    flash(
        f"{page.referral.reference} saved"
        + (
            " with a new action."
            if len(agreed) == 1
            else f" with {len(agreed)} new actions."
            if agreed
            else "."
        ),
        "success",
    )
    ids = [i.id for i, _ in page.items]
    at = ids.index(page.item.id)
    if form.save_next.data and at + 1 < len(ids):
        return redirect(
            url_for("meetings.record_case", meeting_id=page.meeting.id, item_id=ids[at + 1])
        )
    if form.save_next.data:
        return redirect(url_for("meetings.complete", meeting_id=page.meeting.id))
    return redirect(
        url_for("meetings.record_case", meeting_id=page.meeting.id, item_id=page.item.id)
    )


# ---- review of earlier actions ----------------------------------------------------------


def _render_review(
    meeting: Meeting, failed: Any = None, failed_action_id: int | None = None
) -> str:
    db = db_session()
    actions = queries.earlier_outstanding(db, meeting)
    ids = [a.id for a in actions]
    updates = latest_progress(db, ids)
    reviews = queries.action_reviews(db, meeting.id, ids)
    users = queries.by_id(
        db,
        User,
        [a.officer_id for a in actions]
        + [u.user_id for u in updates.values()]
        + [r.reviewed_by_id for r in reviews.values()],
    )
    agencies = queries.by_id(db, Agency, (a.agency_id for a in actions))
    contexts = case_contexts(db, actions)
    withheld = queries.withheld_cases(
        db, current_user, queries.by_id(db, Referral, (a.referral_id for a in actions)).values()
    )
    forms = {
        a.id: failed
        if failed is not None and failed_action_id == a.id
        else ReviewMarkForm(prefix=f"review-{a.id}", formdata=None)
        for a in actions
        if a.id not in reviews
    }
    today = uk_today()
    return render_template(
        "meetings/review.html",
        meeting_page=_meeting_page(meeting),
        meeting=meeting,
        actions=actions,
        contexts=contexts,
        withheld={a.id: withheld[a.referral_id] for a in actions if a.referral_id in withheld},
        updates=updates,
        reviews=reviews,
        users=users,
        agencies=agencies,
        forms=forms,
        form=failed,
        overdue={a.id: is_overdue(a.status, a.due_date, today) for a in actions},
        labels={"kind": KIND_LABELS, "status": STATUS_LABELS, "rara": RARA_LABELS},
    )


@bp.get("/<int:meeting_id>/review")
@roles_required(Role.COORDINATOR)
def review(meeting_id: int) -> str:
    """Outstanding actions from the panel's earlier meetings, each to mark reviewed."""
    db = db_session()
    meeting = queries.recording_meeting(db, current_user, meeting_id)
    page = _render_review(meeting)
    ops.record_review_viewed(db, current_user, meeting.id)
    return page


@bp.post("/<int:meeting_id>/review/<int:action_id>")
@roles_required(Role.COORDINATOR)
def mark_reviewed(meeting_id: int, action_id: int) -> str | Response:
    db = db_session()
    meeting = queries.recording_meeting(db, current_user, meeting_id)
    action = ops.reviewable_action(db, meeting, action_id)
    form = ReviewMarkForm(prefix=f"review-{action.id}")
    if not form.validate_on_submit():
        return _render_review(meeting, form, action.id)
    try:
        ops.mark_action_reviewed(db, current_user, meeting.id, action.id, note=form.note.data or "")
    except Invalid as error:
        meeting = queries.recording_meeting(db, current_user, meeting_id)
        show_invalid(form, error)
        return _render_review(meeting, form, action_id)
    flash("Action marked reviewed.", "success")
    return redirect(url_for("meetings.review", meeting_id=meeting_id) + f"#action-{action_id}")


# ---- completing the record --------------------------------------------------------------


def _render_complete(meeting: Meeting, form: CompleteForm, failed: bool = False) -> str:
    db = db_session()
    items = queries.listed_items(db, meeting)
    withheld = queries.withheld_cases(db, current_user, (r for _, r in items))
    people = queries.by_id(db, Person, (r.person_id for _, r in items if r.id not in withheld))
    attendance = queries.attendance_rows(db, meeting.id)
    return render_template(
        "meetings/record_complete.html",
        meeting=meeting,
        items=[
            (i, r, _subject(r, people.get(r.person_id or 0)), withheld.get(r.id, ""))
            for i, r in items
        ],
        undecided=[(i, r) for i, r in items if not i.decision],
        present=sum(1 for a in attendance if a.status == AttendanceStatus.PRESENT.value),
        attendance_count=len(attendance),
        complete_form=form,
        form=form if failed else None,
        labels={"decision": DECISION_LABELS},
        meeting_page=_meeting_page(meeting),
    )


@bp.route("/<int:meeting_id>/complete", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def complete(meeting_id: int) -> str | Response:
    """Check every listed case has a decision, then mark the meeting held."""
    db = db_session()
    meeting = queries.recording_meeting(db, current_user, meeting_id)
    form = CompleteForm(prefix="complete")
    if request.method == "GET":
        page = _render_complete(meeting, form)
        ops.record_checklist_viewed(db, current_user, meeting.id)
        return page
    if not form.validate_on_submit():
        return _render_complete(meeting, form, failed=True)
    try:
        meeting = ops.complete_record(db, current_user, meeting.id)
    except Invalid as error:
        meeting = queries.recording_meeting(db, current_user, meeting_id)
        show_invalid(form, error)
        return _render_complete(meeting, form, failed=True)
    except Conflict:
        flash("Someone else changed this meeting just now. Check the record and try again.", "info")
        return redirect(url_for("meetings.complete", meeting_id=meeting_id))
    flash("The record is complete and the meeting is marked held.", "success")
    return redirect(_meeting_page(meeting))
