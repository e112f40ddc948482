"""The meeting record: attendance, each case's discussion and decision, action review.

The coordinator running the meeting records it on a laptop in the room: one page per
case, saved with one button and straight on to the next. Members of the panel's
agencies may read the record of cases they can see (published agenda, case open), never
change it. Every view and change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from marac.accounts.models import Agency, Role, User
from marac.actions import notices
from marac.actions.context import case_contexts, latest_progress
from marac.actions.forms import NO_OFFICER
from marac.actions.models import OUTSTANDING_STATUSES, Action, ActionReview, ActionUpdate
from marac.actions.rules import KIND_LABELS, RARA_LABELS, STATUS_LABELS, is_overdue
from marac.audit import record
from marac.auth import require, roles_required
from marac.db import db_session, get_or_404, utcnow
from marac.formatting import format_date, uk_today
from marac.incidents.labels import local_strand_names, strand_summary
from marac.incidents.models import Incident
from marac.meetings.access import can_run_meeting, can_see_meeting, member_can_view_referral
from marac.meetings.blueprint import bp
from marac.meetings.models import (
    AgencyAttendance,
    AgendaItem,
    AttendanceStatus,
    Attendee,
    CaseInformation,
    CaseResearch,
    Decision,
    ItemStatus,
)
from marac.meetings.record_forms import (
    ATTENDANCE_LABELS,
    DECISION_LABELS,
    RISK_LABELS,
    AttendanceForm,
    AttendeeForm,
    CaseRecordForm,
    CompleteForm,
    ReviewMarkForm,
    agency_field_name,
    attendance_form_class,
    case_record_form_class,
    info_field_name,
)
from marac.panels.models import AgendaStatus, Meeting, MeetingStatus
from marac.people.models import Person
from marac.referrals.models import (
    OUTCOME_LABELS,
    Referral,
    ReferralIncident,
    ReferralStatus,
    SubjectType,
)

OBJECT = "meeting"


# ---- shared helpers ---------------------------------------------------------------------


def _running(meeting_id: int) -> Meeting:
    """The meeting, for the coordinator running it (403 for anyone else)."""
    meeting = get_or_404(Meeting, meeting_id)
    require(can_run_meeting(current_user, meeting))
    if meeting.status == MeetingStatus.CANCELLED.value:
        abort(404)
    return meeting


def _meeting_page(meeting: Meeting) -> str:
    """The meeting page (the agenda) when it exists, else the attendance page."""
    views = current_app.view_functions
    for endpoint in ("meetings.view", "meetings.meeting", "meetings.detail"):
        if endpoint in views:
            return url_for(endpoint, meeting_id=meeting.id)
    return url_for("meetings.attendance", meeting_id=meeting.id)


def _by_id(model: Any, ids: Any) -> dict[int, Any]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {row.id: row for row in db_session().scalars(select(model).where(model.id.in_(wanted)))}


def _panel_agencies(meeting: Meeting) -> list[Agency]:
    return sorted(meeting.panel.agencies, key=lambda a: a.name)


def _listed_items(meeting: Meeting) -> list[tuple[AgendaItem, Referral]]:
    """The cases listed on the agenda, in agenda order, with their referrals (one query)."""
    rows = db_session().execute(
        select(AgendaItem, Referral)
        .join(Referral, Referral.id == AgendaItem.referral_id)
        .where(AgendaItem.meeting_id == meeting.id, AgendaItem.status == ItemStatus.LISTED.value)
        .order_by(AgendaItem.position, AgendaItem.id)
    )
    return [(item, referral) for item, referral in rows]


def _subject(referral: Referral, person: Person | None) -> str:
    if referral.subject_type == SubjectType.LOCATION.value:
        return f"Location: {referral.location}"
    name = person.full_name if person else "Not recorded"
    if referral.subject_type == SubjectType.PERPETRATOR.value:
        name += " (perpetrator-focused)"
    return name


# ---- attendance -------------------------------------------------------------------------


def _attendance_form(meeting: Meeting, agencies: list[Agency], formdata: Any = None) -> Any:
    statuses = {
        row.agency_id: row.status
        for row in db_session().scalars(
            select(AgencyAttendance).where(AgencyAttendance.meeting_id == meeting.id)
        )
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


def _render_attendance(
    meeting: Meeting,
    attendance: AttendanceForm | None = None,
    attendee: AttendeeForm | None = None,
    failed: Any = None,
) -> str:
    db = db_session()
    agencies = _panel_agencies(meeting)
    attendance = attendance or _attendance_form(meeting, agencies)
    attendee = attendee or _attendee_form(agencies)
    attendees = list(
        db.scalars(
            select(Attendee)
            .where(Attendee.meeting_id == meeting.id)
            .order_by(Attendee.agency_id, Attendee.name, Attendee.id)
        )
    )
    names = {a.id: a.name for a in agencies}
    missing = {a.agency_id for a in attendees} - set(names)
    names.update({a.id: a.name for a in _by_id(Agency, missing).values()})
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
        form=failed,
    )


@bp.route("/<int:meeting_id>/attendance", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def attendance(meeting_id: int) -> str | Response:
    """Each member agency present, sent apologies or absent; the named attendees."""
    db = db_session()
    meeting = _running(meeting_id)
    if request.method == "GET":
        page = _render_attendance(meeting)
        record(db, "meeting_attendance_viewed", OBJECT, meeting.id, "Viewed attendance")
        db.commit()
        return page
    agencies = _panel_agencies(meeting)
    form = _attendance_form(meeting, agencies, request.form)
    if not form.validate_on_submit():
        return _render_attendance(meeting, attendance=form, failed=form)
    existing = {
        row.agency_id: row
        for row in db.scalars(
            select(AgencyAttendance).where(AgencyAttendance.meeting_id == meeting.id)
        )
    }
    summary = []
    for agency in agencies:
        status = form[agency_field_name(agency.id)].data
        if not status:
            continue
        row = existing.get(agency.id)
        if row is None:
            db.add(AgencyAttendance(meeting_id=meeting.id, agency_id=agency.id, status=status))
        else:
            row.status = status
        summary.append(f"{agency.name}: {ATTENDANCE_LABELS[status]}")
    record(db, "meeting_attendance_saved", OBJECT, meeting.id, "; ".join(summary))
    db.commit()
    flash("Attendance saved.", "success")
    return redirect(url_for("meetings.attendance", meeting_id=meeting.id))


@bp.post("/<int:meeting_id>/attendance/attendees")
@roles_required(Role.COORDINATOR)
def add_attendee(meeting_id: int) -> str | Response:
    """Add one named attendee; their agency is then marked present."""
    db = db_session()
    meeting = _running(meeting_id)
    agencies = _panel_agencies(meeting)
    form = _attendee_form(agencies, request.form)
    if not form.validate_on_submit():
        return _render_attendance(meeting, attendee=form, failed=form)
    now = utcnow()
    acknowledged = bool(form.acknowledged.data)
    attendee = Attendee(
        meeting_id=meeting.id,
        agency_id=form.agency_id.data,
        name=form.name.data,
        job_title=form.job_title.data or "",
        confidentiality_acknowledged=acknowledged,
        acknowledged_at=now if acknowledged else None,
    )
    db.add(attendee)
    presence = db.get(AgencyAttendance, (meeting.id, form.agency_id.data))
    if presence is None:
        db.add(
            AgencyAttendance(
                meeting_id=meeting.id,
                agency_id=form.agency_id.data,
                status=AttendanceStatus.PRESENT.value,
            )
        )
    elif presence.status != AttendanceStatus.PRESENT.value:
        presence.status = AttendanceStatus.PRESENT.value
    agency_name = next(a.name for a in agencies if a.id == form.agency_id.data)
    db.flush()
    record(
        db,
        "meeting_attendee_added",
        OBJECT,
        meeting.id,
        f"Added attendee {attendee.id} ({agency_name})"
        + ("; confidentiality acknowledged" if acknowledged else ""),
    )
    db.commit()
    flash(f"{form.name.data} added.", "success")
    return redirect(url_for("meetings.attendance", meeting_id=meeting.id) + "#attendees")


def _attendee(meeting: Meeting, attendee_id: int) -> Attendee:
    attendee = db_session().get(Attendee, attendee_id)
    if attendee is None or attendee.meeting_id != meeting.id:
        abort(404)
    return attendee


@bp.post("/<int:meeting_id>/attendance/attendees/<int:attendee_id>/acknowledge")
@roles_required(Role.COORDINATOR)
def acknowledge_attendee(meeting_id: int, attendee_id: int) -> Response:
    """Record that an attendee accepted the confidentiality statement, and when."""
    db = db_session()
    meeting = _running(meeting_id)
    attendee = _attendee(meeting, attendee_id)
    if not attendee.confidentiality_acknowledged:
        attendee.confidentiality_acknowledged = True
        attendee.acknowledged_at = utcnow()
        record(
            db,
            "meeting_attendee_acknowledged",
            OBJECT,
            meeting.id,
            f"Attendee {attendee.id} acknowledged",
        )
        db.commit()
    flash(f"{attendee.name}'s confidentiality acknowledgement recorded.", "success")
    return redirect(url_for("meetings.attendance", meeting_id=meeting.id) + "#attendees")


@bp.post("/<int:meeting_id>/attendance/attendees/<int:attendee_id>/remove")
@roles_required(Role.COORDINATOR)
def remove_attendee(meeting_id: int, attendee_id: int) -> Response:
    db = db_session()
    meeting = _running(meeting_id)
    attendee = _attendee(meeting, attendee_id)
    name = attendee.name
    db.delete(attendee)
    record(db, "meeting_attendee_removed", OBJECT, meeting.id, f"Removed attendee {attendee.id}")
    db.commit()
    flash(f"{name} removed.", "success")
    return redirect(url_for("meetings.attendance", meeting_id=meeting.id) + "#attendees")


# ---- the case record --------------------------------------------------------------------


@dataclass
class RecordPage:
    """Everything the case record page shows besides the form."""

    meeting: Meeting
    item: AgendaItem
    referral: Referral
    items: list[tuple[AgendaItem, Referral]]
    editable: bool


def _case(meeting_id: int, item_id: int) -> RecordPage:
    """The listed item, checking the viewer: the coordinator running it, or a member who
    may see the case on the published agenda (read only)."""
    db = db_session()
    meeting = get_or_404(Meeting, meeting_id)
    item = db.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id or item.status != ItemStatus.LISTED.value:
        abort(404)
    editable = can_run_meeting(current_user, meeting)
    if not editable:
        require(
            can_see_meeting(current_user, meeting)
            and meeting.agenda_status == AgendaStatus.PUBLISHED.value
            and member_can_view_referral(db, current_user, item.referral_id)
        )
    if meeting.status == MeetingStatus.CANCELLED.value:
        abort(404)
    items = _listed_items(meeting)
    referral = next(r for i, r in items if i.id == item.id)
    return RecordPage(meeting, item, referral, items, editable)


def _info_agencies(meeting: Meeting, infos: dict[int, CaseInformation]) -> list[Agency]:
    """Agencies present (all the panel's until attendance is taken), plus any that shared."""
    agencies = _panel_agencies(meeting)
    present = set(
        db_session().scalars(
            select(AgencyAttendance.agency_id).where(
                AgencyAttendance.meeting_id == meeting.id,
                AgencyAttendance.status == AttendanceStatus.PRESENT.value,
            )
        )
    )
    if not present:
        return agencies
    return [a for a in agencies if a.id in present or a.id in infos]


def _review_meetings(meeting: Meeting) -> list[Meeting]:
    """The panel's later scheduled meetings, soonest first: where a review can be set."""
    return list(
        db_session().scalars(
            select(Meeting)
            .where(
                Meeting.panel_id == meeting.panel_id,
                Meeting.status == MeetingStatus.SCHEDULED.value,
                Meeting.meeting_date > meeting.meeting_date,
            )
            .order_by(Meeting.meeting_date, Meeting.id)
        )
    )


def _record_form(
    page: RecordPage,
    agencies: list[Agency],
    infos: dict[int, CaseInformation],
    later: list[Meeting],
    formdata: Any = None,
) -> CaseRecordForm:
    db = db_session()
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
        data[info_field_name(agency.id)] = info.information if info else ""
    form = case_record_form_class(agencies)(prefix="record", formdata=formdata, data=data)
    form.review_meeting_id.choices = [(0, "Select a meeting")] + [
        (m.id, format_date(m.meeting_date)) for m in later
    ]
    officers = list(
        db.scalars(
            select(User)
            .where(
                User.agency_id.in_([a.id for a in page.meeting.panel.agencies] or [0]),
                User.active,
                User.role != Role.ADMIN.value,
            )
            .order_by(User.name)
        )
    )
    action_form: Any = form.action.form
    action_form.set_choices(_panel_agencies(page.meeting), officers)
    action_form.today = uk_today()
    if formdata is None:
        action_form.officer_id.data = NO_OFFICER
    return form


def _render_case(page: RecordPage, form: CaseRecordForm | None = None, failed: bool = False) -> str:
    db = db_session()
    meeting, item, referral = page.meeting, page.item, page.referral
    person = db.get(Person, referral.person_id) if referral.person_id else None
    incidents = list(
        db.scalars(
            select(Incident)
            .join(ReferralIncident, ReferralIncident.incident_id == Incident.id)
            .where(ReferralIncident.referral_id == referral.id)
        )
    )
    local_names = local_strand_names(db, incidents)
    strands = sorted({s for i in incidents for s in strand_summary(i, local_names)})
    research = list(
        db.scalars(
            select(CaseResearch).where(
                CaseResearch.meeting_id == meeting.id, CaseResearch.referral_id == referral.id
            )
        )
    )
    infos = {
        info.agency_id: info
        for info in db.scalars(
            select(CaseInformation).where(CaseInformation.agenda_item_id == item.id)
        )
    }
    agencies = _info_agencies(meeting, infos)
    later = _review_meetings(meeting) if page.editable else []
    if page.editable and form is None:
        form = _record_form(page, agencies, infos, later)
    actions = list(
        db.scalars(select(Action).where(Action.agenda_item_id == item.id).order_by(Action.id))
    )
    earlier_actions = list(
        db.scalars(
            select(Action)
            .where(
                Action.referral_id == referral.id,
                Action.status.in_(OUTSTANDING_STATUSES),
                Action.meeting_id != meeting.id,
            )
            .order_by(Action.due_date, Action.id)
        )
    )
    names = {a.id: a.name for a in meeting.panel.agencies}
    owners = {a.agency_id for a in actions} | {a.agency_id for a in earlier_actions}
    names.update(
        {a.id: a.name for a in _by_id(Agency, {r.agency_id for r in research} | owners).values()}
    )
    officers = _by_id(User, (a.officer_id for a in [*actions, *earlier_actions]))
    review_meeting = db.get(Meeting, item.review_meeting_id) if item.review_meeting_id else None
    ids = [i.id for i, _ in page.items]
    at = ids.index(item.id)
    return render_template(
        "meetings/record_case.html",
        meeting_page=_meeting_page(meeting),
        meeting=meeting,
        item=item,
        referral=referral,
        subject=_subject(referral, person),
        person=person,
        strands=strands,
        research=sorted(research, key=lambda r: names.get(r.agency_id, "")),
        infos=infos,
        info_agencies=agencies,
        agency_names=names,
        actions=actions,
        earlier_actions=earlier_actions,
        officers=officers,
        review_meeting=review_meeting,
        previous_item=page.items[at - 1][0] if at > 0 else None,
        next_item=page.items[at + 1][0] if at + 1 < len(page.items) else None,
        position=at + 1,
        count=len(page.items),
        record_form=form,
        form=form if failed else None,
        editable=page.editable,
        has_later_meetings=bool(later),
        labels={
            "risk": RISK_LABELS,
            "decision": DECISION_LABELS,
            "outcome": OUTCOME_LABELS,
            "kind": KIND_LABELS,
            "rara": RARA_LABELS,
            "status": STATUS_LABELS,
        },
    )


@bp.get("/<int:meeting_id>/record/<int:item_id>")
@roles_required(Role.MEMBER, Role.COORDINATOR)
def record_case(meeting_id: int, item_id: int) -> str:
    """One case's record: the summary, agencies' research, and what the panel decides."""
    db = db_session()
    page = _case(meeting_id, item_id)
    html = _render_case(page)
    record(
        db,
        "meeting_case_record_viewed",
        "referral",
        page.referral.id,
        f"Viewed the record of {page.referral.reference} at the meeting of "
        f"{format_date(page.meeting.meeting_date)}",
    )
    db.commit()
    return html


def _apply_decision(form: CaseRecordForm, item: AgendaItem, referral: Referral) -> str:
    """Write the decision to the item and the referral's status; returns an audit note."""
    now = utcnow()
    decision = form.decision.data or None
    was_closed_here = item.decision == Decision.CLOSE.value
    item.decision = decision
    if decision == Decision.REVIEW.value:
        item.review_meeting_id = form.review_meeting_id.data
        if was_closed_here and referral.status == ReferralStatus.CLOSED.value:
            referral.closed_at = None
            referral.closed_by_id = None
            referral.closure_reason = ""
            referral.outcome = ""
            referral.victim_view_of_outcome = ""
        referral.status = ReferralStatus.HEARD.value
        return "decision: review"
    if decision == Decision.CLOSE.value:
        item.review_meeting_id = None
        if referral.status != ReferralStatus.CLOSED.value or referral.closed_at is None:
            referral.closed_at = now
            referral.closed_by_id = current_user.id
        referral.status = ReferralStatus.CLOSED.value
        referral.closure_reason = form.closure_reason.data or ""
        referral.outcome = form.outcome.data or ""
        referral.victim_view_of_outcome = form.victim_view_of_outcome.data or ""
        return f"decision: close ({OUTCOME_LABELS.get(referral.outcome, '')})"
    return "no decision yet"


def _add_action(form: CaseRecordForm, page: RecordPage) -> Action | None:
    sub: Any = form.action.form
    if not sub.has_any_input():
        return None
    db = db_session()
    now = utcnow()
    action = Action(
        referral_id=page.referral.id,
        meeting_id=page.meeting.id,
        agenda_item_id=page.item.id,
        description=sub.description.data,
        kind=sub.kind.data,
        rara=sub.rara.data,
        agency_id=sub.agency_id.data,
        officer_id=sub.officer_id.data or None,
        due_date=sub.due_date.data,
        created_by_id=current_user.id,
        created_at=now,
        updated_at=now,
    )
    db.add(action)
    db.flush()
    db.add(
        ActionUpdate(
            action_id=action.id,
            user_id=current_user.id,
            created_at=now,
            status_to=action.status,
            note=f"Agreed at the panel meeting on {format_date(page.meeting.meeting_date)}",
        )
    )
    notices.action_assigned(db, action, page.referral.reference)  # its owner(s)
    return action


@bp.post("/<int:meeting_id>/record/<int:item_id>")
@roles_required(Role.COORDINATOR)
def save_case(meeting_id: int, item_id: int) -> str | Response:
    """Save the case's record (and a new action if one was typed); on to the next case."""
    db = db_session()
    page = _case(meeting_id, item_id)
    require(page.editable)
    item, referral = page.item, page.referral
    infos = {
        info.agency_id: info
        for info in db.scalars(
            select(CaseInformation).where(CaseInformation.agenda_item_id == item.id)
        )
    }
    agencies = _info_agencies(page.meeting, infos)
    form = _record_form(page, agencies, infos, _review_meetings(page.meeting), request.form)
    if not form.validate_on_submit():
        return _render_case(page, form, failed=True)
    if not form.version_matches(item.version):
        form.show_conflict(item.version)
        return _render_case(page, form, failed=True)
    now = utcnow()
    for agency_id, field in form.information_fields():
        info = infos.get(agency_id)
        if info is None:
            if field.data:
                db.add(
                    CaseInformation(
                        agenda_item_id=item.id, agency_id=agency_id, information=field.data
                    )
                )
        elif info.information != field.data:
            info.information = field.data or ""
    item.risks_identified = form.risks_identified.data or ""
    item.risk_level_after = form.risk_level_after.data or None
    decision_note = _apply_decision(form, item, referral)
    item.discussed_at = item.discussed_at or now
    item.updated_at = now  # bumps the version: a concurrent save is then refused
    action = _add_action(form, page)
    record(
        db,
        "meeting_case_recorded",
        "referral",
        referral.id,
        f"Recorded {referral.reference} at the meeting of "
        f"{format_date(page.meeting.meeting_date)}: {decision_note}"
        + (f"; action agreed for agency {action.agency_id}" if action else ""),
    )
    try:
        db.commit()
    except StaleDataError:
        db.rollback()
        page = _case(meeting_id, item_id)
        form.show_conflict(page.item.version)
        return _render_case(page, form, failed=True)
    flash(f"{referral.reference} saved" + (" with a new action." if action else "."), "success")
    ids = [i.id for i, _ in page.items]
    at = ids.index(item.id)
    if form.save_next.data and at + 1 < len(ids):
        return redirect(
            url_for("meetings.record_case", meeting_id=page.meeting.id, item_id=ids[at + 1])
        )
    if form.save_next.data:
        return redirect(url_for("meetings.complete", meeting_id=page.meeting.id))
    return redirect(url_for("meetings.record_case", meeting_id=page.meeting.id, item_id=item.id))


# ---- review of earlier actions ----------------------------------------------------------


def _earlier_outstanding(meeting: Meeting) -> list[Action]:
    """Outstanding actions agreed at the panel's earlier meetings, by case then due date."""
    earlier = select(Meeting.id).where(
        Meeting.panel_id == meeting.panel_id,
        Meeting.meeting_date < meeting.meeting_date,
    )
    return list(
        db_session().scalars(
            select(Action)
            .where(Action.meeting_id.in_(earlier), Action.status.in_(OUTSTANDING_STATUSES))
            .order_by(Action.referral_id, Action.due_date, Action.id)
        )
    )


def _render_review(
    meeting: Meeting, failed: Any = None, failed_action_id: int | None = None
) -> str:
    db = db_session()
    actions = _earlier_outstanding(meeting)
    ids = [a.id for a in actions]
    updates = latest_progress(db, ids)
    reviews = (
        {
            r.action_id: r
            for r in db.scalars(
                select(ActionReview).where(
                    ActionReview.meeting_id == meeting.id, ActionReview.action_id.in_(ids)
                )
            )
        }
        if ids
        else {}
    )
    users = _by_id(
        User,
        [a.officer_id for a in actions]
        + [u.user_id for u in updates.values()]
        + [r.reviewed_by_id for r in reviews.values()],
    )
    agencies = _by_id(Agency, (a.agency_id for a in actions))
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
        contexts=case_contexts(db, actions),
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
    meeting = _running(meeting_id)
    page = _render_review(meeting)
    record(db, "meeting_review_viewed", OBJECT, meeting.id, "Viewed the review of earlier actions")
    db.commit()
    return page


@bp.post("/<int:meeting_id>/review/<int:action_id>")
@roles_required(Role.COORDINATOR)
def mark_reviewed(meeting_id: int, action_id: int) -> str | Response:
    db = db_session()
    meeting = _running(meeting_id)
    action = next((a for a in _earlier_outstanding(meeting) if a.id == action_id), None)
    if action is None:
        abort(404)
    form = ReviewMarkForm(prefix=f"review-{action.id}")
    if not form.validate_on_submit():
        return _render_review(meeting, form, action.id)
    already = db.scalar(
        select(ActionReview).where(
            ActionReview.meeting_id == meeting.id, ActionReview.action_id == action.id
        )
    )
    if already is None:
        db.add(
            ActionReview(
                action_id=action.id,
                meeting_id=meeting.id,
                reviewed_by_id=current_user.id,
                reviewed_at=utcnow(),
                note=form.note.data or "",
            )
        )
        record(
            db,
            "action_reviewed",
            "action",
            action.id,
            f"Reviewed at the meeting of {format_date(meeting.meeting_date)}",
        )
        db.commit()
    flash("Action marked reviewed.", "success")
    return redirect(url_for("meetings.review", meeting_id=meeting.id) + f"#action-{action.id}")


# ---- completing the record --------------------------------------------------------------


def _render_complete(meeting: Meeting, form: CompleteForm, failed: bool = False) -> str:
    db = db_session()
    items = _listed_items(meeting)
    people = _by_id(Person, (r.person_id for _, r in items))
    attendance = list(
        db.scalars(select(AgencyAttendance).where(AgencyAttendance.meeting_id == meeting.id))
    )
    return render_template(
        "meetings/record_complete.html",
        meeting=meeting,
        items=[(i, r, _subject(r, people.get(r.person_id or 0))) for i, r in items],
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
    meeting = _running(meeting_id)
    form = CompleteForm(prefix="complete")
    if request.method == "GET":
        page = _render_complete(meeting, form)
        record(db, "meeting_record_checked", OBJECT, meeting.id, "Viewed the record checklist")
        db.commit()
        return page
    if not form.validate_on_submit():
        return _render_complete(meeting, form, failed=True)
    if meeting.meeting_date > uk_today():
        form.submit.errors = ["The meeting has not happened yet: complete the record on the day"]
        return _render_complete(meeting, form, failed=True)
    undecided = [r.reference for i, r in _listed_items(meeting) if not i.decision]
    if undecided:
        form.submit.errors = [
            "Record a decision for every case before completing the record: " + ", ".join(undecided)
        ]
        return _render_complete(meeting, form, failed=True)
    now = utcnow()
    meeting.status = MeetingStatus.HELD.value
    meeting.record_completed_at = meeting.record_completed_at or now
    record(db, "meeting_record_completed", OBJECT, meeting.id, "Record completed; meeting held")
    try:
        db.commit()
    except StaleDataError:
        db.rollback()
        flash("Someone else changed this meeting just now. Check the record and try again.", "info")
        return redirect(url_for("meetings.complete", meeting_id=meeting_id))
    flash("The record is complete and the meeting is marked held.", "success")
    return redirect(_meeting_page(meeting))
