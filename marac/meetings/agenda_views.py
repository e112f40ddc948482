"""The self-building agenda, its publication, amendments and agencies' research.

Views stay thin: they parse the form, call an operation in marac.meetings.operations or a
read in marac.meetings.queries, and render or redirect. The rules (order, candidates,
who may see or run a meeting) live below them. After publication every change needs a
reason and leaves an amendment that members see on the meeting page.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marac.accounts.models import Role
from marac.auth import roles_required
from marac.db import db_session
from marac.formatting import plural, uk_today
from marac.forms import show_invalid
from marac.meetings import agenda_publish, operations, queries
from marac.meetings.agenda import AGENDA_STATUS_LABELS, KIND_LABELS, ORDER_EXPLAINED, end_time
from marac.meetings.agenda_lines import agenda_lines
from marac.meetings.blueprint import bp
from marac.meetings.forms import (
    AddCaseForm,
    DeferForm,
    MoveForm,
    PublishForm,
    ReasonForm,
    RemoveForm,
    ResearchForm,
)
from marac.meetings.models import CaseResearch, ItemStatus
from marac.meetings.queries import MEETING_STATUS_LABELS, is_published
from marac.operations import Conflict, Invalid
from marac.panels.access import sits_on_panel
from marac.panels.agreements import lapsed_ids
from marac.panels.models import Meeting, MeetingStatus
from marac.people.models import Person
from marac.referrals.models import Referral, ReferralStatus

# ---- helpers ----------------------------------------------------------------------------


def _meeting_page(meeting_id: int) -> Response:
    return redirect(url_for("meetings.meeting", meeting_id=meeting_id))


def _locked(meeting: Meeting) -> Response | None:
    """Redirect with a message when the agenda of this meeting cannot change."""
    if (message := operations.locked_message(meeting)) is not None:
        flash(message, "info")
        return _meeting_page(meeting.id)
    return None


def _refused_change(meeting_id: int, error: Invalid | Conflict) -> Response:
    """A change the operation turned down: say why on the meeting page."""
    messages = (
        [m for problems in error.errors.values() for m in problems]
        if isinstance(error, Invalid)
        else [error.message]
    )
    for message in messages:
        flash(message, "info")
    return _meeting_page(meeting_id)


def _ask_reason(
    meeting: Meeting, form: ReasonForm, title: str, action: str, referral: Referral | None = None
) -> str:
    """The page that asks for the reason for a change (and shows its errors)."""
    return render_template(
        "meetings/change.html",
        meeting=meeting,
        form=form if form.errors else None,
        change_form=form,
        title=title,
        action=action,
        referral=referral,
        published=is_published(meeting),
    )


# ---- the meetings list -----------------------------------------------------------------


@bp.get("/")
@roles_required(Role.MEMBER, Role.COORDINATOR)
def index() -> str:
    """Upcoming (soonest first) and recent (latest first) meetings of the user's panels."""
    db = db_session()
    upcoming, recent = queries.meetings_list(db, current_user, uk_today())
    operations.note_meetings_listed(db, current_user)
    return render_template(
        "meetings/index.html",
        upcoming=upcoming,
        recent=recent,
        meeting_labels=MEETING_STATUS_LABELS,
        agenda_labels=AGENDA_STATUS_LABELS,
        is_coordinator=current_user.has_role(Role.COORDINATOR),
    )


# ---- the meeting page --------------------------------------------------------------------


@bp.get("/<int:meeting_id>")
@roles_required(Role.MEMBER, Role.COORDINATOR)
def meeting(meeting_id: int) -> str:
    """Date, venue and the agenda; the chair's controls for the coordinator running it."""
    db = db_session()
    page = queries.meeting_page(db, current_user, meeting_id)
    operations.note_meeting_viewed(db, current_user, page)
    meeting = page.meeting
    scheduled = meeting.status == MeetingStatus.SCHEDULED.value
    return render_template(
        "meetings/meeting.html",
        meeting=meeting,
        panel=meeting.panel,
        listed=agenda_lines(
            page.listed,
            meeting.id,
            page.responded,
            page.agencies,
            current_user.agency_id,
            page.joined,
        ),
        others=agenda_lines(
            page.others, meeting.id, page.responded, page.agencies, current_user.agency_id
        ),
        agency_count=len(page.agencies),
        agencies=page.agencies,
        lapsed=lapsed_ids(page.agencies, uk_today()) if page.runs else set(),
        order_explained=ORDER_EXPLAINED,
        amendments=page.amendments,
        runs=page.runs,
        published=page.published,
        changeable=page.runs and scheduled,
        can_research=sits_on_panel(current_user, meeting.panel) and page.published and scheduled,
        kind_labels=KIND_LABELS,
        meeting_labels=MEETING_STATUS_LABELS,
        agenda_labels=AGENDA_STATUS_LABELS,
        finishes=end_time(meeting.start_time, [r.item.slot_minutes for r in page.listed])
        if page.listed
        else None,
        move_form=MoveForm(formdata=None),
        build_form=ReasonForm(formdata=None),
    )


# ---- building and publishing -----------------------------------------------------------


@bp.post("/<int:meeting_id>/agenda/build")
@roles_required(Role.COORDINATOR)
def build(meeting_id: int) -> str | Response:
    """Build (or rebuild) the agenda; after publication the additions are an amendment."""
    db = db_session()
    meeting = queries.running_meeting(db, current_user, meeting_id)
    if (locked := _locked(meeting)) is not None:
        return locked
    form = ReasonForm(reason_required=is_published(meeting))
    if is_published(meeting) and ("reason" not in request.form or not form.validate()):
        return _ask_reason(meeting, form, "Rebuild the published agenda", "build")
    if not form.validate():
        return _meeting_page(meeting_id)
    try:
        built = operations.build_agenda(db, current_user, meeting_id, reason=form.reason.data or "")
    except (Invalid, Conflict) as error:
        return _refused_change(meeting_id, error)
    verb = "built" if built.first else "rebuilt"
    flash(f"Agenda {verb}: {plural(built.added, 'case')} added.", "success")
    return _meeting_page(meeting_id)


def _confirm_publish(preview: agenda_publish.PublishPreview, form: PublishForm) -> str:
    return render_template(
        "meetings/agenda_publish.html",
        meeting=preview.meeting,
        preview=preview,
        form=form if form.errors else None,
        publish_form=form,
    )


@bp.route("/<int:meeting_id>/agenda/publish", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def publish(meeting_id: int) -> str | Response:
    """Confirm who will be told (GET), then publish to members (POST).

    From then on members see the listed cases, and changes are amendments.
    """
    db = db_session()
    today = uk_today()
    preview = agenda_publish.publish_preview(db, current_user, meeting_id, today)
    meeting = preview.meeting
    if (locked := _locked(meeting)) is not None:
        return locked
    if is_published(meeting):
        flash("The agenda is already published.", "info")
        return _meeting_page(meeting_id)
    if not preview.listed:
        flash("Build the agenda, or add a case, before publishing it.", "info")
        return _meeting_page(meeting_id)
    form = PublishForm(lapsed=bool(preview.lapsed))
    if request.method == "GET":
        return _confirm_publish(preview, PublishForm(formdata=None, lapsed=bool(preview.lapsed)))
    if not form.validate_on_submit():
        return _confirm_publish(preview, form)
    try:
        listed = operations.publish_agenda(
            db,
            current_user,
            meeting_id,
            lapsed_reason=form.lapsed_reason.data or "",
            today=today,
        )
    except Invalid as error:
        if set(error.errors) <= {"lapsed_reason"}:
            show_invalid(form, error)
            return _confirm_publish(preview, form)
        return _refused_change(meeting_id, error)
    except Conflict as error:
        return _refused_change(meeting_id, error)
    flash(
        f"Agenda published: members of the panel's agencies can now see {plural(listed, 'case')}.",
        "success",
    )
    return _meeting_page(meeting_id)


# ---- the chair's changes ------------------------------------------------------------------


@bp.post("/<int:meeting_id>/agenda/items/<int:item_id>/move")
@roles_required(Role.COORDINATOR)
def move(meeting_id: int, item_id: int) -> str | Response:
    """Move a case one place up or down (a reason is asked for after publication)."""
    db = db_session()
    meeting = queries.running_meeting(db, current_user, meeting_id)
    _item, referral = queries.agenda_item(db, meeting, item_id, current_user)
    if (locked := _locked(meeting)) is not None:
        return locked
    form = MoveForm(reason_required=is_published(meeting))
    if form.direction.data not in ("up", "down"):
        flash("Choose whether to move the case up or down.", "info")
        return _meeting_page(meeting_id)
    title = f"Move {referral.reference} {form.direction.data}"
    if is_published(meeting) and "reason" not in request.form:
        return _ask_reason(meeting, form, title, "move", referral)
    if not form.validate_on_submit():
        return _ask_reason(meeting, form, title, "move", referral)
    try:
        summary = operations.move_agenda_item(
            db,
            current_user,
            meeting_id,
            item_id,
            direction=form.direction.data,
            reason=form.reason.data or "",
        )
    except (Invalid, Conflict) as error:
        return _refused_change(meeting_id, error)
    flash(f"{summary}.", "success")
    return _meeting_page(meeting_id)


def _take_off(meeting_id: int, item_id: int, deferring: bool) -> str | Response:
    """Defer or remove one listed case, with a reason (GET shows the form)."""
    db = db_session()
    meeting = queries.running_meeting(db, current_user, meeting_id)
    item, referral = queries.agenda_item(db, meeting, item_id, current_user)
    if (locked := _locked(meeting)) is not None:
        return locked
    title = (
        f"Defer {referral.reference} to the next meeting"
        if deferring
        else f"Remove {referral.reference} from the agenda"
    )
    action = "defer" if deferring else "remove"
    if item.status != ItemStatus.LISTED.value:
        flash(f"{referral.reference} is not listed on the agenda.", "info")
        return _meeting_page(meeting_id)
    form = (DeferForm if deferring else RemoveForm)(reason_required=True)
    if request.method == "GET":
        operations.note_take_off_opened(db, current_user, meeting_id, item_id, deferring=deferring)
        return _ask_reason(meeting, form, title, action, referral)
    if not form.validate_on_submit():
        return _ask_reason(meeting, form, title, action, referral)
    change = operations.defer_agenda_item if deferring else operations.remove_agenda_item
    try:
        summary = change(db, current_user, meeting_id, item_id, reason=form.reason.data or "")
    except (Invalid, Conflict) as error:
        return _refused_change(meeting_id, error)
    flash(f"{summary}.", "success")
    return _meeting_page(meeting_id)


@bp.route("/<int:meeting_id>/agenda/items/<int:item_id>/defer", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def defer(meeting_id: int, item_id: int) -> str | Response:
    return _take_off(meeting_id, item_id, deferring=True)


@bp.route("/<int:meeting_id>/agenda/items/<int:item_id>/remove", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def remove(meeting_id: int, item_id: int) -> str | Response:
    return _take_off(meeting_id, item_id, deferring=False)


def _case_label(referral: Referral, person: Person | None) -> str:
    who = person.full_name if person else (referral.location or "No subject recorded")
    state = "accepted, waiting" if referral.status == ReferralStatus.ACCEPTED else "heard, open"
    risk = f"{referral.risk_level} risk" if referral.risk_level else "risk not known"
    return f"{referral.reference}: {who} ({risk}, {state})"


@bp.route("/<int:meeting_id>/agenda/add", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def add_case(meeting_id: int) -> str | Response:
    """Add one of the panel's open cases to the agenda."""
    db = db_session()
    meeting = queries.running_meeting(db, current_user, meeting_id)
    if (locked := _locked(meeting)) is not None:
        return locked
    candidates = queries.addable_cases(db, meeting, current_user)
    form = AddCaseForm(reason_required=is_published(meeting))
    form.referral_id.choices = [(r.id, _case_label(r, p)) for r, p in candidates]

    def page() -> str:
        return render_template(
            "meetings/add_case.html",
            meeting=meeting,
            form=form if form.errors else None,
            add_form=form,
            has_cases=bool(candidates),
            published=is_published(meeting),
        )

    if request.method == "GET":
        operations.note_add_case_opened(db, current_user, meeting_id)
        return page()
    if not form.validate_on_submit():
        return page()
    try:
        summary = operations.add_case_to_agenda(
            db,
            current_user,
            meeting_id,
            referral_id=form.referral_id.data,
            reason=form.reason.data or "",
        )
    except Invalid as error:
        if set(error.errors) <= {"referral_id", "reason"}:
            show_invalid(form, error)
            return page()
        return _refused_change(meeting_id, error)
    except Conflict as error:
        return _refused_change(meeting_id, error)
    flash(f"{summary}.", "success")
    return _meeting_page(meeting_id)


# ---- research before the meeting ---------------------------------------------------------


def _render_research(
    case: queries.ResearchCase, form: ResearchForm, saved: CaseResearch | None
) -> str:
    return render_template(
        "meetings/research.html",
        meeting=case.meeting,
        referral=case.referral,
        person=case.person,
        form=form,
        saved=saved,
        editable=case.meeting.status == MeetingStatus.SCHEDULED.value,
    )


def _loaded_version(form: ResearchForm) -> int | None:
    """The version the member loaded: None when there was no research yet."""
    text = (form.version.data or "").strip()
    if not text:
        return None
    return int(text) if text.isdigit() else -1  # a mangled version never matches


@bp.route("/<int:meeting_id>/cases/<int:referral_id>/research", methods=["GET", "POST"])
@roles_required(Role.MEMBER)
def research(meeting_id: int, referral_id: int) -> str | Response:
    """Add or update what the member's agency knows about a listed case."""
    db = db_session()
    case = queries.research_case(db, current_user, meeting_id, referral_id)
    saved = queries.own_research(db, current_user, meeting_id, referral_id)
    if request.method == "GET":
        data: dict[str, Any] = {"version": str(saved.version) if saved else ""}
        if saved:
            data.update(
                involvement=saved.involvement,
                risks=saved.risks,
                can_offer=saved.can_offer,
                no_involvement=saved.no_involvement,
            )
        form = ResearchForm(formdata=None, data=data)
        operations.note_research_opened(db, current_user, meeting_id, referral_id)
        return _render_research(case, form, saved)
    form = ResearchForm()
    if case.meeting.status != MeetingStatus.SCHEDULED.value:
        flash(operations.RESEARCH_CLOSED, "info")
        return _meeting_page(meeting_id)
    if not form.validate_on_submit():
        return _render_research(case, form, saved)
    try:
        operations.save_case_research(
            db,
            current_user,
            meeting_id,
            referral_id,
            version=_loaded_version(form),
            research=operations.Research(
                no_involvement=bool(form.no_involvement.data),
                involvement=form.involvement.data or "",
                risks=form.risks.data or "",
                can_offer=form.can_offer.data or "",
            ),
        )
    except Invalid as error:
        show_invalid(form, error)
        return _render_research(case, form, saved)
    except Conflict:
        case = queries.research_case(db, current_user, meeting_id, referral_id)
        fresh = queries.own_research(db, current_user, meeting_id, referral_id)
        form.show_conflict(fresh.version if fresh else 0)
        if fresh is None:
            form.version.data = ""
            form.version.raw_data = [""]
        return _render_research(case, form, fresh)
    flash(f"Your agency's research for {case.referral.reference} is saved.", "success")
    return _meeting_page(meeting_id)
