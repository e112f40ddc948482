"""Pages of restricted records: parse, call an operation or query, render."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marac.accounts.models import Role
from marac.auth import roles_required
from marac.db import db_session
from marac.forms import show_invalid
from marac.operations import Conflict, Invalid
from marac.people.restriction import RestrictedRecord
from marac.restrictions import operations, queries
from marac.restrictions.forms import (
    AskForm,
    BreakGlassForm,
    DecideForm,
    LiftForm,
    NameForm,
    RemoveForm,
    RestrictForm,
    emails_of,
)

bp = Blueprint("restrictions", __name__, url_prefix="/restrictions")

CASE_ROLES = (Role.REFERRER, Role.MEMBER, Role.COORDINATOR)


@bp.route("")
@roles_required(Role.COORDINATOR)
def index() -> str:
    return render_template(
        "restrictions/index.html", rows=queries.my_restrictions(db_session(), current_user)
    )


@bp.route("/people/<int:person_id>/restrict", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def restrict(person_id: int) -> str | Response | tuple[str, int]:
    db = db_session()
    person = queries.person_to_restrict(db, current_user, person_id)
    existing = queries.restriction_of(db, person_id)
    if existing is not None:
        if operations.manages(current_user, existing):
            return redirect(url_for("restrictions.manage", restriction_id=existing.id))
        flash("This person is already restricted.", "info")
        return redirect(url_for("people.view", person_id=person_id))
    form = RestrictForm()
    if form.validate_on_submit():
        try:
            restriction = operations.restrict_person(
                db, current_user, person_id, form.reason.data or "", emails_of(form.emails.data)
            )
        except Invalid as error:
            show_invalid(form, error)
        except Conflict as error:
            flash(error.message, "info")
            return redirect(url_for("people.view", person_id=person_id))
        else:
            flash("The person is restricted. Only you and the named users see them.", "success")
            return redirect(url_for("restrictions.manage", restriction_id=restriction.id))
    status = 400 if form.errors else 200
    return render_template("restrictions/restrict.html", form=form, person=person), status


def _manage_page(restriction_id: int, **forms: object) -> str:
    page = queries.restriction_page(db_session(), current_user, restriction_id)
    shown = {
        "name_form": NameForm(formdata=None),
        "lift_form": LiftForm(formdata=None),
        "decide_form": DecideForm(formdata=None),
        **forms,
    }
    return render_template("restrictions/manage.html", page=page, **shown)


@bp.route("/<int:restriction_id>")
@roles_required(Role.COORDINATOR)
def manage(restriction_id: int) -> str:
    return _manage_page(restriction_id)


@bp.route("/<int:restriction_id>/name", methods=["POST"])
@roles_required(Role.COORDINATOR)
def name_users(restriction_id: int) -> Response | tuple[str, int]:
    queries.restriction_page(db_session(), current_user, restriction_id)  # refuses others
    form = NameForm()
    if form.validate_on_submit():
        try:
            count = operations.name_users(
                db_session(), current_user, restriction_id, emails_of(form.emails.data)
            )
        except Invalid as error:
            show_invalid(form, error)
        else:
            flash(f"{count} {'user' if count == 1 else 'users'} added.", "success")
            return redirect(url_for("restrictions.manage", restriction_id=restriction_id))
    return _manage_page(restriction_id, name_form=form, form=form), 400


@bp.route("/<int:restriction_id>/access/<int:access_id>/remove", methods=["POST"])
@roles_required(Role.COORDINATOR)
def remove_access(restriction_id: int, access_id: int) -> Response | tuple[str, int]:
    queries.restriction_page(db_session(), current_user, restriction_id)  # refuses others
    form = RemoveForm()
    if form.validate_on_submit():
        operations.remove_access(db_session(), current_user, restriction_id, access_id)
        flash("The user was removed from the restriction.", "success")
        return redirect(url_for("restrictions.manage", restriction_id=restriction_id))
    return _manage_page(restriction_id, form=form), 400


@bp.route("/<int:restriction_id>/lift", methods=["POST"])
@roles_required(Role.COORDINATOR)
def lift(restriction_id: int) -> Response | tuple[str, int]:
    queries.restriction_page(db_session(), current_user, restriction_id)  # refuses others
    form = LiftForm()
    if form.validate_on_submit():
        person_id = operations.lift_restriction(
            db_session(), current_user, restriction_id, bool(form.confirm.data)
        )
        flash("The restriction was lifted.", "success")
        return redirect(url_for("people.view", person_id=person_id))
    return _manage_page(restriction_id, lift_form=form, form=form), 400


@bp.route("/<int:restriction_id>/requests/<int:request_id>", methods=["POST"])
@roles_required(Role.COORDINATOR)
def decide(restriction_id: int, request_id: int) -> Response | tuple[str, int]:
    page = queries.restriction_page(db_session(), current_user, restriction_id)
    if request_id not in {a.request.id for a in page.pending}:
        abort(404)
    form = DecideForm()
    if form.validate_on_submit():
        try:
            asked = operations.decide_request(
                db_session(), current_user, request_id, form.decision.data or ""
            )
        except Conflict as error:
            flash(error.message, "info")
        else:
            flash(f"Request {asked.status}. The user has been told.", "success")
        return redirect(url_for("restrictions.manage", restriction_id=restriction_id))
    return _manage_page(restriction_id, decide_form=form, form=form), 400


@bp.route("/people/<int:person_id>/ask", methods=["GET", "POST"])
@roles_required(*CASE_ROLES)
def ask(person_id: int) -> str | Response | tuple[str, int]:
    db = db_session()
    try:
        restriction = operations.shut_out(db, current_user, person_id)
    except Conflict:
        return redirect(url_for("people.view", person_id=person_id))
    last = queries.ask_state(db, current_user, person_id)
    form = AskForm()
    if form.validate_on_submit():
        try:
            operations.request_access(db, current_user, person_id, form.reason.data or "")
        except Conflict as error:
            flash(error.message, "info")
        else:
            flash("Your request was sent to the coordinator who restricted the record.", "success")
        return redirect(url_for("restrictions.ask", person_id=person_id))
    status = 400 if form.errors else 200
    return render_template(
        "restrictions/ask.html", form=form, restriction=restriction, last=last, person_id=person_id
    ), status


@bp.route("/people/<int:person_id>/break-glass", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def break_glass(person_id: int) -> str | Response | tuple[str, int]:
    db = db_session()
    try:
        restriction = operations.shut_out(db, current_user, person_id)
    except Conflict:
        return redirect(url_for("people.view", person_id=person_id))
    form = BreakGlassForm()
    if form.validate_on_submit():
        operations.break_glass(db, current_user, person_id, form.reason.data or "")
        flash("You can see this record for 24 hours. This has been recorded.", "success")
        return redirect(url_for("people.view", person_id=person_id))
    status = 400 if form.errors else 200
    return render_template(
        "restrictions/break_glass.html", form=form, restriction=restriction, person_id=person_id
    ), status


def placeholder_page(error: Exception | None = None) -> str | None:
    """For the 403 handlers: the restricted-record page, when a restriction caused the refusal.

    One hook for every case page (person, incident, referral, and any page keyed by
    them), so other pages need no change to say "a restricted record exists". A page
    keyed by something else (an agenda item) raises `RestrictedRecord` naming the case.
    """
    args = request.view_args
    if isinstance(error, RestrictedRecord):
        args = {"referral_id": error.referral_id}
    try:
        restriction = queries.placeholder_for(db_session(), current_user, args)
    except Exception:  # the ordinary 403 page still shows
        current_app.logger.exception("could not judge a restricted-record placeholder")
        return None
    if restriction is None:
        return None
    return render_template("restrictions/placeholder.html", restriction=restriction)
