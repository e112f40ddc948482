"""Partner actions: my actions, the agency view, and each action's page and progress log.

The pages parse and render; the reads are `actions.queries`, the writes
`actions.operations` (where the rules, the audit rows and the notices live).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marac.accounts.models import Role
from marac.actions import operations, queries
from marac.actions.access import can_edit_action, can_update_action, owns_action
from marac.actions.forms import NO_OFFICER, EditActionForm, ProgressForm
from marac.actions.models import Action, ActionStatus
from marac.actions.rules import KIND_LABELS, RARA_LABELS, STATUS_LABELS, is_overdue, next_statuses
from marac.auth import require, roles_required
from marac.db import db_session
from marac.formatting import uk_today
from marac.forms import show_invalid
from marac.inputs import id_arg
from marac.operations import Conflict, Invalid

bp = Blueprint("actions", __name__, url_prefix="/actions")

WORKER_ROLES = (Role.REFERRER, Role.MEMBER, Role.COORDINATOR)


def _labels() -> dict[str, dict[str, str]]:
    return {"kind": KIND_LABELS, "rara": RARA_LABELS, "status": STATUS_LABELS}


# ---- my actions -------------------------------------------------------------------------


@bp.get("/mine")
@roles_required(*WORKER_ROLES)
def mine() -> str:
    """Actions named to me, and my agency's actions with nobody named: overdue first."""
    today = uk_today()
    show_finished = request.args.get("show") == "all"
    listing = queries.my_actions(
        db_session(),
        current_user,
        today=today,
        show_finished=show_finished,
        page=request.args.get("page", 1, type=int),
    )
    return render_template(
        "actions/mine.html",
        page=listing.page,
        contexts=listing.contexts,
        today=today,
        is_overdue=is_overdue,
        labels=_labels(),
        show_finished=show_finished,
        can_see_agency=queries.can_use_agency_view(current_user),
    )


# ---- the agency view --------------------------------------------------------------------


@bp.get("/agency")
@roles_required(*WORKER_ROLES)
def agency() -> str:
    """All the agency's actions for its managers; coordinators see their areas' cases."""
    today = uk_today()
    wanted = queries.AgencyFilters(
        status=request.args.get("status", "outstanding"),
        overdue_only=request.args.get("overdue") == "1",
        officer_id=id_arg("officer"),
        panel_id=id_arg("panel"),
    )
    listing, applied, officer_choices, panels = queries.agency_actions(
        db_session(), current_user, wanted, today=today, page=request.args.get("page", 1, type=int)
    )
    return render_template(
        "actions/agency.html",
        page=listing.page,
        contexts=listing.contexts,
        agencies=listing.agencies,
        officers=listing.officers,
        officer_choices=officer_choices,
        panels=panels,
        filters={
            "status": applied.status,
            "overdue": "1" if applied.overdue_only else "",
            "officer": applied.officer_id or "",
            "panel": applied.panel_id or "",
        },
        today=today,
        is_overdue=is_overdue,
        labels=_labels(),
        is_coordinator=current_user.has_role(Role.COORDINATOR),
    )


# ---- one action -------------------------------------------------------------------------


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
    agencies, officers = queries.edit_choices(db_session(), action)
    form.set_choices(agencies, officers)
    form.today = uk_today()
    form.unchanged_due = action.due_date
    return form


def _render(
    action_id: int,
    progress: ProgressForm | None = None,
    edit: EditActionForm | None = None,
    failed: Any = None,
) -> str:
    page = queries.action_page(db_session(), current_user, action_id)
    action, referral = page.action, page.referral
    can_update = can_update_action(current_user, action, referral.area_id)
    can_edit = can_edit_action(current_user, referral.area_id)
    if can_update and progress is None:
        progress = _progress_form(action)
    if can_edit and edit is None:
        edit = _edit_form(action)
    return render_template(
        "actions/view.html",
        action=action,
        context=page.context,
        agency=page.agency,
        users=page.users,
        log=page.log,
        progress=progress if can_update else None,
        edit=edit if can_edit else None,
        form=failed,
        labels=_labels(),
        documents=page.documents,
        overdue=is_overdue(action.status, action.due_date, uk_today()),
        is_owner=owns_action(current_user, action),
        can_edit=can_edit,
    )


@bp.get("/<int:action_id>")
@roles_required(*WORKER_ROLES)
def view(action_id: int) -> str:
    page = _render(action_id)
    queries.action_viewed(db_session(), current_user, action_id)
    return page


def _version(form: Any) -> int:
    """The version the form was loaded at (a mangled one can only be stale)."""
    try:
        return int(form.version.data or "")
    except ValueError:
        return -1


def _conflict(action_id: int, form: Any, again: Any) -> str:
    """Someone else saved first: re-render with their version and what was typed."""
    fresh, _ = queries.visible_action(db_session(), current_user, action_id)
    form.show_conflict(fresh.version)
    return again(fresh)


@bp.post("/<int:action_id>/progress")
@roles_required(*WORKER_ROLES)
def progress(action_id: int) -> str | Response:
    """Record a progress note and/or a status change; never over someone else's save."""
    action, _ = queries.visible_action(db_session(), current_user, action_id)
    form = _progress_form(action, request.form)

    def again(a: Action) -> str:
        form.set_choices(a.status, next_statuses(a.status))
        return _render(a.id, progress=form, failed=form)

    valid = form.validate_on_submit()
    if form.is_submitted() and not form.version_matches(action.version):
        # Someone saved first: say so before anything else (their status may have moved on).
        form.status.errors = []
        form.show_conflict(action.version)
        return again(action)
    if not valid:
        return again(action)
    before = action.status
    try:
        saved = operations.record_progress(
            db_session(),
            current_user,
            action_id,
            version=_version(form),
            status=form.status.data,
            note=form.note.data or "",
        )
    except Invalid as error:
        show_invalid(form, error)
        return again(action)
    except Conflict:
        return _conflict(action_id, form, again)
    flash(
        "Action completed."
        if saved.status == ActionStatus.COMPLETED.value and before != saved.status
        else "Progress saved.",
        "success",
    )
    return redirect(url_for("actions.view", action_id=action_id))


@bp.post("/<int:action_id>/edit")
@roles_required(Role.COORDINATOR)
def edit(action_id: int) -> str | Response:
    """The coordinator corrects what was agreed; the change goes in the progress log."""
    action, referral = queries.visible_action(db_session(), current_user, action_id)
    require(can_edit_action(current_user, referral.area_id))
    form = _edit_form(action, request.form)

    def again(a: Action) -> str:
        return _render(a.id, edit=form, failed=form)

    valid = form.validate_on_submit()
    if form.is_submitted() and not form.version_matches(action.version):
        form.show_conflict(action.version)
        return again(action)
    if not valid:
        return again(action)
    try:
        changes = operations.edit_action(
            db_session(),
            current_user,
            action_id,
            version=_version(form),
            description=form.description.data,
            kind=form.kind.data,
            rara=form.rara.data,
            agency_id=form.agency_id.data,
            officer_id=form.officer_id.data or None,
            due_date=form.due_date.data,
        )
    except Invalid as error:
        show_invalid(form, error)
        return again(action)
    except Conflict:
        return _conflict(action_id, form, again)
    if not changes:
        flash("Nothing was changed.", "info")
    else:
        flash("Action saved.", "success")
    return redirect(url_for("actions.view", action_id=action_id))
