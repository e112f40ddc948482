"""Partner actions: my actions, the agency view, and each action's page and progress log."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from marac.accounts.models import Agency, Role, User
from marac.actions import notices
from marac.actions.access import can_edit_action, can_update_action, can_view_action, owns_action
from marac.actions.context import case_contexts
from marac.actions.forms import NO_OFFICER, EditActionForm, ProgressForm
from marac.actions.models import OUTSTANDING_STATUSES, Action, ActionStatus, ActionUpdate
from marac.actions.queries import agency_scope, assigned_to, is_agency_manager, overdue, owner_order
from marac.actions.rules import (
    KIND_LABELS,
    RARA_LABELS,
    STATUS_LABELS,
    can_move,
    completed_at_after,
    is_overdue,
    next_statuses,
)
from marac.audit import record
from marac.auth import require, roles_required
from marac.db import db_session, get_or_404, utcnow
from marac.formatting import format_date, uk_today
from marac.inputs import id_arg
from marac.minutes.models import DocumentKind, IssuedDocument
from marac.pagination import paginate
from marac.panels.access import visible_panels
from marac.panels.models import Meeting, Panel
from marac.referrals.models import Referral

bp = Blueprint("actions", __name__, url_prefix="/actions")

OBJECT = "action"
WORKER_ROLES = (Role.REFERRER, Role.MEMBER, Role.COORDINATOR)


def _labels() -> dict[str, dict[str, str]]:
    return {"kind": KIND_LABELS, "rara": RARA_LABELS, "status": STATUS_LABELS}


def _by_id(model: Any, ids: Any) -> dict[int, Any]:
    """Rows of `model` by id, in one query (none when there are no ids)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {row.id: row for row in db_session().scalars(select(model).where(model.id.in_(wanted)))}


# ---- my actions -------------------------------------------------------------------------


@bp.get("/mine")
@roles_required(*WORKER_ROLES)
def mine() -> str:
    """Actions named to me, and my agency's actions with nobody named: overdue first."""
    db = db_session()
    today = uk_today()
    show_finished = request.args.get("show") == "all"
    query = select(Action).where(assigned_to(current_user))
    if not show_finished:
        query = query.where(Action.status.in_(OUTSTANDING_STATUSES))
    page = paginate(db, query.order_by(*owner_order(today)), request.args.get("page", 1, type=int))
    contexts = case_contexts(db, page.items)
    record(db, "my_actions_listed", OBJECT, None, f"Listed my actions, page {page.page}")
    db.commit()
    return render_template(
        "actions/mine.html",
        page=page,
        contexts=contexts,
        today=today,
        is_overdue=is_overdue,
        labels=_labels(),
        show_finished=show_finished,
        can_see_agency=_can_use_agency_view(current_user),
    )


# ---- the agency view --------------------------------------------------------------------


def _can_use_agency_view(user: Any) -> bool:
    return is_agency_manager(user) or user.has_role(Role.COORDINATOR)


def _int_arg(name: str) -> int | None:
    return id_arg(name)


@bp.get("/agency")
@roles_required(*WORKER_ROLES)
def agency() -> str:
    """All the agency's actions for its managers; coordinators see their areas' cases."""
    require(_can_use_agency_view(current_user))
    db = db_session()
    today = uk_today()
    status = request.args.get("status", "outstanding")
    overdue_only = request.args.get("overdue") == "1"
    officer_id = _int_arg("officer")
    panel_id = _int_arg("panel")
    query = (
        select(Action)
        .join(Referral, Referral.id == Action.referral_id)
        .where(agency_scope(current_user))
    )
    if status == "outstanding":
        query = query.where(Action.status.in_(OUTSTANDING_STATUSES))
    elif status in STATUS_LABELS:
        query = query.where(Action.status == status)
    else:
        status = "all"
    if overdue_only:
        query = query.where(overdue(today))
    if officer_id:
        query = query.where(Action.officer_id == officer_id)
    if panel_id:
        query = query.join(Meeting, Meeting.id == Action.meeting_id).where(
            Meeting.panel_id == panel_id
        )
    page = paginate(db, query.order_by(*owner_order(today)), request.args.get("page", 1, type=int))
    contexts = case_contexts(db, page.items)
    agencies = _by_id(Agency, (a.agency_id for a in page.items))
    officers = _by_id(User, (a.officer_id for a in page.items))
    # Filter choices: the officers named on actions in scope; the panels I may see.
    named = (
        select(Action.officer_id)
        .join(Referral, Referral.id == Action.referral_id)
        .where(agency_scope(current_user), Action.officer_id.is_not(None))
    )
    officer_choices = list(db.scalars(select(User).where(User.id.in_(named)).order_by(User.name)))
    panels = list(
        db.scalars(select(Panel).where(visible_panels(current_user)).order_by(Panel.name))
    )
    record(
        db,
        "agency_actions_listed",
        OBJECT,
        None,
        f"Listed agency actions: status {status}, overdue only {overdue_only}, "
        f"officer {officer_id or 'any'}, panel {panel_id or 'any'}, page {page.page}",
    )
    db.commit()
    return render_template(
        "actions/agency.html",
        page=page,
        contexts=contexts,
        agencies=agencies,
        officers=officers,
        officer_choices=officer_choices,
        panels=panels,
        filters={
            "status": status,
            "overdue": "1" if overdue_only else "",
            "officer": officer_id or "",
            "panel": panel_id or "",
        },
        today=today,
        is_overdue=is_overdue,
        labels=_labels(),
        is_coordinator=current_user.has_role(Role.COORDINATOR),
    )


# ---- one action -------------------------------------------------------------------------


def _load(action_id: int) -> tuple[Action, Referral]:
    action = get_or_404(Action, action_id)
    referral = get_or_404(Referral, action.referral_id)
    require(can_view_action(current_user, action, referral.area_id))
    return action, referral


def _edit_choices(action: Action) -> tuple[list[Agency], list[User]]:
    """The panel's agencies (all active ones for an action agreed outside a meeting)."""
    db = db_session()
    meeting = db.get(Meeting, action.meeting_id) if action.meeting_id else None
    if meeting is not None:
        agencies = sorted(meeting.panel.agencies, key=lambda a: a.name)
    else:
        agencies = list(db.scalars(select(Agency).where(Agency.active).order_by(Agency.name)))
    ids = [a.id for a in agencies] or [action.agency_id]
    if action.agency_id not in ids:
        extra = db.get(Agency, action.agency_id)
        if extra is not None:
            agencies.append(extra)
            ids.append(extra.id)
    officers = list(
        db.scalars(
            select(User)
            .where(User.agency_id.in_(ids), User.active, User.role != Role.ADMIN.value)
            .order_by(User.name)
        )
    )
    return agencies, officers


def _progress_form(action: Action, formdata: Any = None) -> ProgressForm:
    form = ProgressForm(
        prefix="progress",
        formdata=formdata,
        data={"version": str(action.version), "status": action.status},
    )
    form.set_choices(action.status, next_statuses(action.status))
    return form


def _edit_form(action: Action, formdata: Any = None) -> EditActionForm:
    form = EditActionForm(
        prefix="edit",
        formdata=formdata,
        data={
            "version": str(action.version),
            "description": action.description,
            "kind": action.kind,
            "rara": action.rara,
            "agency_id": action.agency_id,
            "officer_id": action.officer_id or NO_OFFICER,
            "due_date": action.due_date,
        },
    )
    agencies, officers = _edit_choices(action)
    form.set_choices(agencies, officers)
    form.today = uk_today()
    form.unchanged_due = action.due_date
    return form


def _render(
    action: Action,
    referral: Referral,
    progress: ProgressForm | None = None,
    edit: EditActionForm | None = None,
    failed: Any = None,
) -> str:
    db = db_session()
    can_update = can_update_action(current_user, action, referral.area_id)
    can_edit = can_edit_action(current_user, referral.area_id)
    if can_update and progress is None:
        progress = _progress_form(action)
    if can_edit and edit is None:
        edit = _edit_form(action)
    log = list(
        db.scalars(
            select(ActionUpdate)
            .where(ActionUpdate.action_id == action.id)
            .order_by(ActionUpdate.created_at.desc(), ActionUpdate.id.desc())
        )
    )
    users = _by_id(User, [u.user_id for u in log] + [action.officer_id, action.created_by_id])
    # The owning agency's extract of the issued minutes: how an action owner who does not
    # sit on the panel reaches the record of what was agreed.
    extract_id = (
        db.scalar(
            select(IssuedDocument.id)
            .where(
                IssuedDocument.meeting_id == action.meeting_id,
                IssuedDocument.kind == DocumentKind.EXTRACT.value,
                IssuedDocument.agency_id == current_user.agency_id,
                IssuedDocument.superseded.is_(False),
            )
            .order_by(IssuedDocument.version_number.desc())
            .limit(1)
        )
        if action.meeting_id and current_user.agency_id == action.agency_id
        else None
    )
    context = case_contexts(db, [action])[action.id]
    return render_template(
        "actions/view.html",
        action=action,
        context=context,
        agency=db.get(Agency, action.agency_id),
        users=users,
        log=log,
        progress=progress if can_update else None,
        edit=edit if can_edit else None,
        form=failed,
        labels=_labels(),
        extract_id=extract_id,
        overdue=is_overdue(action.status, action.due_date, uk_today()),
        is_owner=owns_action(current_user, action),
        can_edit=can_edit,
    )


@bp.get("/<int:action_id>")
@roles_required(*WORKER_ROLES)
def view(action_id: int) -> str:
    db = db_session()
    action, referral = _load(action_id)
    page = _render(action, referral)
    record(
        db, "action_viewed", OBJECT, action.id, f"Viewed action {action.id} on {referral.reference}"
    )
    db.commit()
    return page


def _commit_or_conflict(action: Action, form: Any, render: Any) -> str | None:
    """Commit; when someone else saved first, re-render with their version and our input."""
    db = db_session()
    try:
        db.commit()
    except StaleDataError:
        db.rollback()
        fresh, referral = _load(action.id)
        form.show_conflict(fresh.version)
        return render(fresh, referral)
    return None


@bp.post("/<int:action_id>/progress")
@roles_required(*WORKER_ROLES)
def progress(action_id: int) -> str | Response:
    """Record a progress note and/or a status change; never over someone else's save."""
    db = db_session()
    action, referral = _load(action_id)
    require(can_update_action(current_user, action, referral.area_id))
    form = _progress_form(action, request.form)

    def again(a: Action, r: Referral) -> str:
        form.set_choices(a.status, next_statuses(a.status))
        return _render(a, r, progress=form, failed=form)

    valid = form.validate_on_submit()
    if form.is_submitted() and not form.version_matches(action.version):
        # Someone saved first: say so before anything else (their status may have moved on).
        form.status.errors = []
        form.show_conflict(action.version)
        return again(action, referral)
    if not valid:
        return again(action, referral)
    before, after = action.status, form.status.data
    if after != before and not can_move(before, after):
        form.status.errors = [*form.status.errors, "That status change is not allowed"]
        return again(action, referral)
    now = utcnow()
    action.status = after
    action.completed_at = completed_at_after(after, action.completed_at, now)
    action.updated_at = now  # bumps the version even for a note alone
    db.add(
        ActionUpdate(
            action_id=action.id,
            user_id=current_user.id,
            created_at=now,
            status_from=before if after != before else None,
            status_to=after if after != before else None,
            note=form.note.data or "",
        )
    )
    change = (
        f"status {STATUS_LABELS[before]} to {STATUS_LABELS[after]}"
        if after != before
        else "progress note added"
    )
    record(
        db,
        "action_progress",
        OBJECT,
        action.id,
        f"{referral.reference}: {change}",
    )
    conflict = _commit_or_conflict(action, form, again)
    if conflict is not None:
        return conflict
    flash(
        "Action completed."
        if after == ActionStatus.COMPLETED.value and before != after
        else "Progress saved.",
        "success",
    )
    return redirect(url_for("actions.view", action_id=action.id))


def _describe_changes(action: Action, form: EditActionForm, users: dict[int, User]) -> list[str]:
    changes = []
    if form.description.data != action.description:
        changes.append("action text")
    if form.kind.data != action.kind:
        changes.append(f"kind to {KIND_LABELS.get(form.kind.data, form.kind.data)}")
    if form.rara.data != action.rara:
        changes.append(f"RARA to {RARA_LABELS.get(form.rara.data, form.rara.data)}")
    if form.agency_id.data != action.agency_id:
        changes.append("owning agency")
    if (form.officer_id.data or None) != action.officer_id:
        officer = users.get(form.officer_id.data or 0)
        changes.append(f"named officer to {officer.name if officer else 'nobody'}")
    if form.due_date.data != action.due_date:
        changes.append(f"due date to {format_date(form.due_date.data)}")
    return changes


@bp.post("/<int:action_id>/edit")
@roles_required(Role.COORDINATOR)
def edit(action_id: int) -> str | Response:
    """The coordinator corrects what was agreed; the change goes in the progress log."""
    db = db_session()
    action, referral = _load(action_id)
    require(can_edit_action(current_user, referral.area_id))
    form = _edit_form(action, request.form)

    def again(a: Action, r: Referral) -> str:
        return _render(a, r, edit=form, failed=form)

    valid = form.validate_on_submit()
    if form.is_submitted() and not form.version_matches(action.version):
        form.show_conflict(action.version)
        return again(action, referral)
    if not valid:
        return again(action, referral)
    users = _by_id(User, [form.officer_id.data])
    changes = _describe_changes(action, form, users)
    if not changes:
        flash("Nothing was changed.", "info")
        return redirect(url_for("actions.view", action_id=action.id))
    reassigned = (form.officer_id.data or None, form.agency_id.data) != (
        action.officer_id,
        action.agency_id,
    )
    now = utcnow()
    action.description = form.description.data
    action.kind = form.kind.data
    action.rara = form.rara.data
    action.agency_id = form.agency_id.data
    action.officer_id = form.officer_id.data or None
    action.due_date = form.due_date.data
    action.updated_at = now
    summary = "Changed " + "; ".join(changes)
    db.add(ActionUpdate(action_id=action.id, user_id=current_user.id, created_at=now, note=summary))
    record(
        db, "action_edited", OBJECT, action.id, f"{referral.reference}: {len(changes)} change(s)"
    )
    if reassigned:  # the new officer (or the new agency's members) hear of it
        notices.action_assigned(db, action, referral.reference)
    conflict = _commit_or_conflict(action, form, again)
    if conflict is not None:
        return conflict
    flash("Action saved.", "success")
    return redirect(url_for("actions.view", action_id=action.id))
