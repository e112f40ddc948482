"""The self-building agenda, its publication, amendments and agencies' research.

Views stay thin: the rules live in marac.meetings.agenda (order, candidates, building)
and marac.meetings.access (who may see or run a meeting). Every change is a POST,
audited; after publication every change also needs a reason and leaves an amendment
that members see on the meeting page.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from marac.accounts.models import Role, User
from marac.audit import record
from marac.auth import require, roles_required
from marac.db import db_session, get_or_404, utcnow
from marac.formatting import uk_today
from marac.meetings import notices
from marac.meetings.access import can_run_meeting, can_see_meeting
from marac.meetings.agenda import (
    AGENDA_STATUS_LABELS,
    KIND_LABELS,
    AgendaLocked,
    agenda_rows,
    build_agenda,
    end_time,
    ensure_changeable,
    latest_panel_risk,
    renumber,
    research_responses,
    slot_length,
)
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
from marac.meetings.models import AgendaAmendment, AgendaItem, CaseResearch, ItemKind, ItemStatus
from marac.panels.access import sits_on_panel, visible_panels
from marac.panels.models import AgendaStatus, Meeting, MeetingStatus, Panel
from marac.people.models import Person
from marac.referrals.models import Referral, ReferralStatus

OBJECT = "meeting"
RECENT_DAYS = 365
LIST_LIMIT = 25
CONFLICT = (
    "Someone else changed this agenda at the same time. Nothing was saved: check the "
    "agenda below and make your change again."
)

MEETING_STATUS_LABELS: dict[str, str] = {
    MeetingStatus.SCHEDULED.value: "Scheduled",
    MeetingStatus.CANCELLED.value: "Cancelled",
    MeetingStatus.HELD.value: "Held",
}
# ---- helpers ----------------------------------------------------------------------------


def _running(meeting_id: int) -> Meeting:
    """The meeting, if the signed-in coordinator runs its panel (403 otherwise)."""
    meeting = get_or_404(Meeting, meeting_id)
    require(can_run_meeting(current_user, meeting))
    return meeting


def _item(meeting: Meeting, item_id: int) -> tuple[AgendaItem, Referral]:
    db = db_session()
    item = db.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id:
        abort(404)
    referral = db.get(Referral, item.referral_id)
    assert referral is not None
    return item, referral


def _meeting_page(meeting: Meeting) -> Response:
    return redirect(url_for("meetings.meeting", meeting_id=meeting.id))


def _locked(meeting: Meeting) -> Response | None:
    """Redirect with a message when the agenda of this meeting cannot change."""
    try:
        ensure_changeable(meeting)
    except AgendaLocked:
        flash(
            f"This meeting is {MEETING_STATUS_LABELS[meeting.status].lower()}: "
            "its agenda cannot change.",
            "info",
        )
        return _meeting_page(meeting)
    return None


def _published(meeting: Meeting) -> bool:
    return meeting.agenda_status == AgendaStatus.PUBLISHED.value


def _change(db: Session, meeting: Meeting, action: str, summary: str, reason: str) -> None:
    """Audit an agenda change and, after publication, record it as an amendment."""
    # The reason is case text: it stays on the amendment, never in the audit log.
    record(db, action, OBJECT, meeting.id, f"{summary} (reason given)" if reason else summary)
    if _published(meeting):
        db.add(
            AgendaAmendment(
                meeting_id=meeting.id, user_id=current_user.id, summary=summary, reason=reason
            )
        )
        notices.agenda_amended(db, meeting)  # members of the panel's agencies


def _commit(meeting: Meeting, message: str) -> Response:
    """Commit an agenda change; a concurrent change is refused with a clear message."""
    db = db_session()
    try:
        db.commit()
    except (StaleDataError, IntegrityError):
        db.rollback()
        flash(CONFLICT, "info")
        return _meeting_page(meeting)
    flash(message, "success")
    return _meeting_page(meeting)


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
        published=_published(meeting),
    )


def _listed_items(db: Session, meeting: Meeting) -> list[AgendaItem]:
    return list(
        db.scalars(
            select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting.id)
            .order_by(AgendaItem.position, AgendaItem.id)
        )
    )


# ---- the meetings list -----------------------------------------------------------------


@bp.get("/")
@roles_required(Role.MEMBER, Role.COORDINATOR)
def index() -> str:
    """Upcoming (soonest first) and recent (latest first) meetings of the user's panels."""
    db = db_session()
    today = uk_today()
    counts = (
        select(AgendaItem.meeting_id, func.count().label("cases"))
        .where(AgendaItem.status == ItemStatus.LISTED.value)
        .group_by(AgendaItem.meeting_id)
        .subquery()
    )
    conditions = [visible_panels(current_user)]
    if not current_user.has_role(Role.COORDINATOR):
        conditions.append(Meeting.agenda_status == AgendaStatus.PUBLISHED.value)
    base = (
        select(Meeting, func.coalesce(counts.c.cases, 0))
        .join(Panel, Panel.id == Meeting.panel_id)
        .outerjoin(counts, counts.c.meeting_id == Meeting.id)
        .where(*conditions)
    )
    upcoming = db.execute(
        base.where(Meeting.meeting_date >= today)
        .order_by(Meeting.meeting_date, Meeting.start_time, Meeting.id)
        .limit(LIST_LIMIT)
    ).all()
    recent = db.execute(
        base.where(
            Meeting.meeting_date < today,
            Meeting.meeting_date >= today - timedelta(days=RECENT_DAYS),
        )
        .order_by(Meeting.meeting_date.desc(), Meeting.id.desc())
        .limit(LIST_LIMIT)
    ).all()
    record(db, "meetings_listed", OBJECT, None, "Listed meetings")
    db.commit()
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
    meeting = get_or_404(Meeting, meeting_id)
    require(can_see_meeting(current_user, meeting))
    runs = can_run_meeting(current_user, meeting)
    published = _published(meeting)
    rows = agenda_rows(db, meeting) if (runs or published) else []
    if not runs:
        # Members see what was published: listed and deferred cases, not removed ones.
        rows = [r for r in rows if r.item.status != ItemStatus.REMOVED.value]
    listed = [r for r in rows if r.item.status == ItemStatus.LISTED.value]
    others = [r for r in rows if r.item.status != ItemStatus.LISTED.value]
    panel_agencies = {a.id for a in meeting.panel.agencies}
    responded = {
        referral_id: agency_ids & panel_agencies
        for referral_id, agency_ids in (research_responses(db, meeting) if rows else {}).items()
    }
    amendments = (
        db.execute(
            select(AgendaAmendment, User.name)
            .outerjoin(User, User.id == AgendaAmendment.user_id)
            .where(AgendaAmendment.meeting_id == meeting.id)
            .order_by(AgendaAmendment.created_at, AgendaAmendment.id)
        ).all()
        if published
        else []
    )
    agencies = sorted(meeting.panel.agencies, key=lambda a: a.name)
    record(
        db,
        "meeting_viewed",
        OBJECT,
        meeting.id,
        f"Viewed the meeting of {meeting.panel.name} on {meeting.meeting_date.isoformat()}"
        + (f" with {len(rows)} case(s)" if rows else ""),
    )
    db.commit()
    return render_template(
        "meetings/meeting.html",
        meeting=meeting,
        panel=meeting.panel,
        listed=listed,
        others=others,
        responded=responded,
        agencies=agencies,
        amendments=amendments,
        runs=runs,
        published=published,
        changeable=runs and meeting.status == MeetingStatus.SCHEDULED.value,
        can_research=sits_on_panel(current_user, meeting.panel)
        and published
        and meeting.status == MeetingStatus.SCHEDULED.value,
        kind_labels=KIND_LABELS,
        meeting_labels=MEETING_STATUS_LABELS,
        agenda_labels=AGENDA_STATUS_LABELS,
        finishes=end_time(meeting.start_time, [r.item.slot_minutes for r in listed])
        if listed
        else None,
        move_form=MoveForm(formdata=None),
        publish_form=PublishForm(formdata=None),
        build_form=ReasonForm(formdata=None),
    )


# ---- building and publishing -----------------------------------------------------------


@bp.post("/<int:meeting_id>/agenda/build")
@roles_required(Role.COORDINATOR)
def build(meeting_id: int) -> str | Response:
    """Build (or rebuild) the agenda; after publication the additions are an amendment."""
    db = db_session()
    meeting = _running(meeting_id)
    if (locked := _locked(meeting)) is not None:
        return locked
    form = ReasonForm(reason_required=_published(meeting))
    if _published(meeting) and ("reason" not in request.form or not form.validate()):
        return _ask_reason(meeting, form, "Rebuild the published agenda", "build")
    if not form.validate():
        return _meeting_page(meeting)
    first = meeting.agenda_status == AgendaStatus.NOT_BUILT.value
    with db.no_autoflush:  # changes are flushed at commit, where a conflict is caught
        added = build_agenda(db, meeting, current_user)
        if added and _published(meeting):  # build_agenda audited the additions themselves
            refs = dict(
                db.execute(
                    select(Referral.id, Referral.reference).where(
                        Referral.id.in_([i.referral_id for i in added])
                    )
                ).all()
            )
            summary = "Added by rebuilding: " + ", ".join(refs[i.referral_id] for i in added)
            _change(db, meeting, "agenda_rebuilt", summary, form.reason.data or "")
        elif not added:
            record(db, "agenda_rebuilt", OBJECT, meeting.id, "Agenda rebuilt: no new cases")
    verb = "built" if first else "rebuilt"
    return _commit(meeting, f"Agenda {verb}: {len(added)} case(s) added.")


@bp.post("/<int:meeting_id>/agenda/publish")
@roles_required(Role.COORDINATOR)
def publish(meeting_id: int) -> Response:
    """Publish to members: from now on they see the listed cases, and changes are amended."""
    db = db_session()
    meeting = _running(meeting_id)
    if (locked := _locked(meeting)) is not None:
        return locked
    form = PublishForm()
    if not form.validate_on_submit():
        return _meeting_page(meeting)
    if _published(meeting):
        flash("The agenda is already published.", "info")
        return _meeting_page(meeting)
    listed = db.scalar(
        select(func.count())
        .select_from(AgendaItem)
        .where(AgendaItem.meeting_id == meeting.id, AgendaItem.status == ItemStatus.LISTED.value)
    )
    if not listed:
        flash("Build the agenda, or add a case, before publishing it.", "info")
        return _meeting_page(meeting)
    meeting.agenda_status = AgendaStatus.PUBLISHED.value
    meeting.agenda_published_at = utcnow()
    meeting.agenda_published_by_id = current_user.id
    record(db, "agenda_published", OBJECT, meeting.id, f"Agenda published with {listed} case(s)")
    notices.agenda_published(db, meeting)  # members of the panel's agencies
    return _commit(
        meeting, f"Agenda published: members of the panel's agencies can now see {listed} case(s)."
    )


# ---- the chair's changes ------------------------------------------------------------------


@bp.post("/<int:meeting_id>/agenda/items/<int:item_id>/move")
@roles_required(Role.COORDINATOR)
def move(meeting_id: int, item_id: int) -> str | Response:
    """Move a case one place up or down (a reason is asked for after publication)."""
    db = db_session()
    meeting = _running(meeting_id)
    item, referral = _item(meeting, item_id)
    if (locked := _locked(meeting)) is not None:
        return locked
    form = MoveForm(reason_required=_published(meeting))
    if form.direction.data not in ("up", "down"):
        flash("Choose whether to move the case up or down.", "info")
        return _meeting_page(meeting)
    title = f"Move {referral.reference} {form.direction.data}"
    if _published(meeting) and "reason" not in request.form:
        return _ask_reason(meeting, form, title, "move", referral)
    if not form.validate_on_submit():
        return _ask_reason(meeting, form, title, "move", referral)
    if item.status != ItemStatus.LISTED.value:
        flash(f"{referral.reference} is not listed on the agenda.", "info")
        return _meeting_page(meeting)
    items = _listed_items(db, meeting)
    listed = [i for i in items if i.status == ItemStatus.LISTED.value]
    at = listed.index(item)
    to = at - 1 if form.direction.data == "up" else at + 1
    if not 0 <= to < len(listed):
        flash(f"{referral.reference} is already {'first' if to < 0 else 'last'}.", "info")
        return _meeting_page(meeting)
    listed[at], listed[to] = listed[to], listed[at]
    renumber(listed + [i for i in items if i.status != ItemStatus.LISTED.value])
    summary = f"Moved {referral.reference} {form.direction.data} to position {to + 1}"
    _change(db, meeting, "agenda_item_moved", summary, form.reason.data or "")
    return _commit(meeting, f"{summary}.")


def _status_change(
    meeting_id: int, item_id: int, form_class: type[ReasonForm], status: str
) -> str | Response:
    """Defer or remove one listed case, with a reason (GET shows the form)."""
    db = db_session()
    meeting = _running(meeting_id)
    item, referral = _item(meeting, item_id)
    if (locked := _locked(meeting)) is not None:
        return locked
    deferring = status == ItemStatus.DEFERRED.value
    title = (
        f"Defer {referral.reference} to the next meeting"
        if deferring
        else f"Remove {referral.reference} from the agenda"
    )
    action = "defer" if deferring else "remove"
    if item.status != ItemStatus.LISTED.value:
        flash(f"{referral.reference} is not listed on the agenda.", "info")
        return _meeting_page(meeting)
    form = form_class(reason_required=True)
    if request.method == "GET":
        record(db, f"agenda_{action}_opened", OBJECT, meeting.id, title)
        db.commit()
        return _ask_reason(meeting, form, title, action, referral)
    if not form.validate_on_submit():
        return _ask_reason(meeting, form, title, action, referral)
    items = _listed_items(db, meeting)  # read before changing: conflicts surface at commit
    item.status = status
    item.status_reason = form.reason.data
    renumber(items)
    summary = (
        f"Deferred {referral.reference} to the next meeting"
        if deferring
        else f"Removed {referral.reference} from the agenda"
    )
    _change(
        db,
        meeting,
        "agenda_item_deferred" if deferring else "agenda_item_removed",
        summary,
        form.reason.data,
    )
    return _commit(meeting, f"{summary}.")


@bp.route("/<int:meeting_id>/agenda/items/<int:item_id>/defer", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def defer(meeting_id: int, item_id: int) -> str | Response:
    return _status_change(meeting_id, item_id, DeferForm, ItemStatus.DEFERRED.value)


@bp.route("/<int:meeting_id>/agenda/items/<int:item_id>/remove", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def remove(meeting_id: int, item_id: int) -> str | Response:
    return _status_change(meeting_id, item_id, RemoveForm, ItemStatus.REMOVED.value)


def _addable(db: Session, meeting: Meeting) -> list[tuple[Referral, Person | None]]:
    """The panel's open cases (accepted or heard) not listed on this agenda (one query)."""
    area_ids = [a.id for a in meeting.panel.areas]
    on_agenda = select(AgendaItem.referral_id).where(
        AgendaItem.meeting_id == meeting.id, AgendaItem.status == ItemStatus.LISTED.value
    )
    return list(
        db.execute(
            select(Referral, Person)
            .outerjoin(Person, Person.id == Referral.person_id)
            .where(
                Referral.area_id.in_(area_ids),
                Referral.status.in_([ReferralStatus.ACCEPTED.value, ReferralStatus.HEARD.value]),
                Referral.id.notin_(on_agenda),
            )
            .order_by(Referral.created_at, Referral.id)
        )
    )


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
    meeting = _running(meeting_id)
    if (locked := _locked(meeting)) is not None:
        return locked
    candidates = _addable(db, meeting)
    form = AddCaseForm(reason_required=_published(meeting))
    form.referral_id.choices = [(r.id, _case_label(r, p)) for r, p in candidates]
    if request.method == "GET" or not form.validate_on_submit():
        if request.method == "GET":
            record(db, "agenda_add_opened", OBJECT, meeting.id, "Opened 'add a case'")
            db.commit()
        return render_template(
            "meetings/add_case.html",
            meeting=meeting,
            form=form if form.errors else None,
            add_form=form,
            has_cases=bool(candidates),
            published=_published(meeting),
        )
    referral = next(r for r, _ in candidates if r.id == form.referral_id.data)
    items = _listed_items(db, meeting)
    item = next((i for i in items if i.referral_id == referral.id), None)
    if item is None:
        kind = (
            ItemKind.REVIEW.value
            if referral.status == ReferralStatus.HEARD
            else (ItemKind.REPEAT.value if referral.is_repeat else ItemKind.NEW.value)
        )
        item = AgendaItem(
            meeting_id=meeting.id,
            referral_id=referral.id,
            kind=kind,
            slot_minutes=slot_length(meeting.panel.slot_minutes),
            risk_level_before=latest_panel_risk(db, [referral.id]).get(
                referral.id, referral.risk_level
            ),
            position=len(items) + 1,
        )
        db.add(item)
        items.append(item)
    item.status = ItemStatus.LISTED.value
    item.status_reason = ""
    item.added_by_chair = True
    listed = [i for i in items if i.status == ItemStatus.LISTED.value and i is not item]
    renumber(listed + [item] + [i for i in items if i.status != ItemStatus.LISTED.value])
    if meeting.agenda_status == AgendaStatus.NOT_BUILT.value:
        meeting.agenda_status = AgendaStatus.DRAFT.value
    summary = f"Added {referral.reference} to the agenda"
    _change(db, meeting, "agenda_item_added", summary, form.reason.data or "")
    return _commit(meeting, f"{summary}.")


# ---- research before the meeting ---------------------------------------------------------


def _research_context(meeting_id: int, referral_id: int) -> tuple[Meeting, AgendaItem, Referral]:
    """The listed case on a published agenda, for a member of one of the panel's agencies."""
    db = db_session()
    meeting = get_or_404(Meeting, meeting_id)
    require(sits_on_panel(current_user, meeting.panel) and _published(meeting))
    item = db.scalar(
        select(AgendaItem).where(
            AgendaItem.meeting_id == meeting.id,
            AgendaItem.referral_id == referral_id,
            AgendaItem.status == ItemStatus.LISTED.value,
        )
    )
    referral = db.get(Referral, referral_id)
    require(
        item is not None and referral is not None and referral.status != ReferralStatus.CLOSED.value
    )
    assert item is not None and referral is not None
    return meeting, item, referral


def _render_research(
    meeting: Meeting, referral: Referral, form: ResearchForm, saved: CaseResearch | None
) -> str:
    db = db_session()
    person = db.get(Person, referral.person_id) if referral.person_id else None
    return render_template(
        "meetings/research.html",
        meeting=meeting,
        referral=referral,
        person=person,
        form=form,
        saved=saved,
        editable=meeting.status == MeetingStatus.SCHEDULED.value,
    )


def _own_research(db: Session, meeting: Meeting, referral: Referral) -> CaseResearch | None:
    return db.scalar(
        select(CaseResearch).where(
            CaseResearch.meeting_id == meeting.id,
            CaseResearch.referral_id == referral.id,
            CaseResearch.agency_id == current_user.agency_id,
        )
    )


@bp.route("/<int:meeting_id>/cases/<int:referral_id>/research", methods=["GET", "POST"])
@roles_required(Role.MEMBER)
def research(meeting_id: int, referral_id: int) -> str | Response:
    """Add or update what the member's agency knows about a listed case."""
    db = db_session()
    meeting, _item_row, referral = _research_context(meeting_id, referral_id)
    saved = _own_research(db, meeting, referral)
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
        summary = f"Opened research for {referral.reference}"
        record(db, "case_research_viewed", "referral", referral.id, summary)
        db.commit()
        return _render_research(meeting, referral, form, saved)
    form = ResearchForm()
    if meeting.status != MeetingStatus.SCHEDULED.value:
        flash("The meeting has been held or cancelled: research can no longer change.", "info")
        return _meeting_page(meeting)
    if not form.validate_on_submit():
        return _render_research(meeting, referral, form, saved)
    current = saved.version if saved else None
    stale = (form.version.data or "") != ("" if current is None else str(current))
    if stale:
        form.show_conflict(current or 0)
        if current is None:
            form.version.data = ""
            form.version.raw_data = [""]
        return _render_research(meeting, referral, form, saved)
    row = saved or CaseResearch(
        meeting_id=meeting.id, referral_id=referral.id, agency_id=current_user.agency_id
    )
    row.no_involvement = bool(form.no_involvement.data)
    row.involvement = "" if row.no_involvement else form.involvement.data
    row.risks = form.risks.data
    row.can_offer = form.can_offer.data
    row.updated_by_id = current_user.id
    row.updated_at = utcnow()
    if saved is None:
        db.add(row)
    record(
        db,
        "case_research_saved",
        "referral",
        referral.id,
        f"{current_user.agency.name} research for {referral.reference} at the meeting "
        f"of {meeting.meeting_date.isoformat()}"
        + (": not known to us" if row.no_involvement else ""),
    )
    try:
        db.commit()
    except (StaleDataError, IntegrityError):
        db.rollback()
        fresh = _own_research(db, meeting, referral)
        form.show_conflict(fresh.version if fresh else 0)
        return _render_research(meeting, referral, form, fresh)
    flash(f"Your agency's research for {referral.reference} is saved.", "success")
    return _meeting_page(meeting)
