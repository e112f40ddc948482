"""Admin pages: users, agencies, and areas with their local strands.

Every change is audited.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response

from marac.accounts import operations
from marac.accounts.forms import (
    AgencyForm,
    AreaForm,
    UserForm,
)
from marac.accounts.invitations import INVITATION_HOURS
from marac.accounts.models import Agency, Area, Role, User
from marac.accounts.queries import (
    agencies_by_name,
    agencies_with_user_counts,
    agency_choices,
    areas_by_name,
    person_account,
    users_page,
)
from marac.auth import admin_required
from marac.db import db_session, get_or_404, utcnow
from marac.forms import show_invalid
from marac.inputs import id_arg
from marac.operations import Invalid

bp = Blueprint("admin", __name__, url_prefix="/admin")


# ---- users -------------------------------------------------------------------------------


@bp.route("/users")
@admin_required
def users() -> str:
    db = db_session()
    agency_id = id_arg("agency")
    role = request.args.get("role", "")
    page = users_page(
        db, current_user, agency_id=agency_id, role=role, page=request.args.get("page", 1, type=int)
    )
    return render_template(
        "admin/users.html",
        page=page,
        agencies=agencies_by_name(db),
        agency_id=agency_id,
        role=role,
        roles=list(Role),
    )


def _area_choices(user: User | None) -> list[tuple[int, str]]:
    """Active areas, plus any inactive area the user still holds (so it can be removed)."""
    held = {a.id for a in user.areas} if user else set()
    return [
        (a.id, a.name if a.active else f"{a.name} (inactive)")
        for a in areas_by_name(db_session())
        if a.active or a.id in held
    ]


def _settings() -> Any:
    return current_app.config["MARAC_SETTINGS"]


def _save_user(form: UserForm, user: User | None) -> User | None:
    """Save through the operation (inviting a new user); None with errors on the form."""
    values = operations.UserValues(
        name=form.name.data,
        email=form.email.data,
        agency_id=form.agency_id.data,
        role=form.role.data,
        is_supervisor=bool(form.is_supervisor.data),
        active=bool(form.active.data),
        area_ids=frozenset(form.areas.data or []),
    )
    try:
        return operations.save_user(
            db_session(),
            current_user,
            user.id if user else None,
            values,
            service_name=_settings().service_name,
        )
    except Invalid as error:
        show_invalid(form, error)
        return None


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def user_new() -> str | Response:
    form = UserForm()
    form.agency_id.choices = agency_choices(db_session())
    form.areas.choices = _area_choices(None)
    if form.validate_on_submit() and (user := _save_user(form, None)):
        flash(
            f"Added {user.name}. We have emailed them a link to set their password; it "
            f"expires after {INVITATION_HOURS} hours.",
            "success",
        )
        return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def user_edit(user_id: int) -> str | Response:
    user = person_account(db_session(), current_user, user_id)
    form = UserForm(obj=user)
    form.agency_id.choices = agency_choices(db_session())
    form.areas.choices = _area_choices(user)
    if request.method == "GET":
        form.areas.data = [a.id for a in user.areas]
    if user.agency_id not in {c[0] for c in form.agency_id.choices}:
        form.agency_id.choices.append((user.agency_id, user.agency.name + " (inactive)"))
    if form.validate_on_submit() and _save_user(form, user):
        flash(f"Saved the changes to {user.name}.", "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user)


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@admin_required
def user_unlock(user_id: int) -> Response:
    person_account(db_session(), current_user, user_id)
    user = operations.unlock_user(db_session(), current_user, user_id)
    flash(f"{user.name} can sign in again.", "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/invite", methods=["POST"])
@admin_required
def user_invite(user_id: int) -> Response:
    """A new invitation for someone who has not set a password yet; the old link stops."""
    person_account(db_session(), current_user, user_id)
    try:
        user = operations.resend_invitation(
            db_session(), current_user, user_id, service_name=_settings().service_name
        )
    except Invalid:
        abort(400)
    flash(f"We have emailed {user.name} a new invitation. Earlier links no longer work.", "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"])
@admin_required
def user_reset_password(user_id: int) -> Response:
    """End the password and every session; the person sets a new one from an emailed link."""
    person_account(db_session(), current_user, user_id)
    try:
        user = operations.reset_password(
            db_session(), current_user, user_id, service_name=_settings().service_name
        )
    except Invalid:
        abort(400)
    flash(
        f"{user.name}'s password no longer works and they are signed out. We have emailed "
        "them a link to set a new one.",
        "success",
    )
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/reset-second-factor", methods=["POST"])
@admin_required
def user_reset_second_factor(user_id: int) -> Response:
    """For a lost phone: forget the authenticator and recovery codes, end every session."""
    person_account(db_session(), current_user, user_id)
    user = operations.reset_second_factor(
        db_session(), current_user, user_id, service_name=_settings().service_name
    )
    flash(
        f"{user.name} sets up their authenticator app again when they next sign in. "
        "We have emailed them to say so.",
        "success",
    )
    return redirect(url_for("admin.user_edit", user_id=user.id))


# ---- agencies ----------------------------------------------------------------------------


@bp.route("/agencies")
@admin_required
def agencies() -> str:
    rows = agencies_with_user_counts(db_session())
    return render_template("admin/agencies.html", rows=rows, today=utcnow().date())


def _save_agency(form: AgencyForm, agency: Agency | None) -> Agency | None:
    values = operations.AgencyValues(
        name=form.name.data,
        type=form.type.data,
        review_date=form.review_date.data,
        active=bool(form.active.data),
        ico_registration=form.ico_registration.data or "",
        isa_version=form.isa_version.data or "",
        isa_signed_on=form.isa_signed_on.data,
    )
    try:
        return operations.save_agency(
            db_session(), current_user, agency.id if agency else None, values
        )
    except Invalid as error:
        show_invalid(form, error)
        return None


@bp.route("/agencies/new", methods=["GET", "POST"])
@admin_required
def agency_new() -> str | Response:
    form = AgencyForm()
    if form.validate_on_submit() and (agency := _save_agency(form, None)):
        flash(f"Added {agency.name}.", "success")
        return redirect(url_for("admin.agencies"))
    return render_template("admin/agency_form.html", form=form, agency=None)


@bp.route("/agencies/<int:agency_id>", methods=["GET", "POST"])
@admin_required
def agency_edit(agency_id: int) -> str | Response:
    agency = get_or_404(Agency, agency_id)
    form = AgencyForm(obj=agency)
    if form.validate_on_submit() and _save_agency(form, agency):
        flash(f"Saved the changes to {agency.name}.", "success")
        return redirect(url_for("admin.agencies"))
    return render_template(
        "admin/agency_form.html", form=form, agency=agency, today=utcnow().date()
    )


# ---- areas -------------------------------------------------------------------------------


@bp.route("/areas")
@admin_required
def areas() -> str:
    return render_template("admin/areas.html", areas=areas_by_name(db_session(), active_first=True))


def _save_area(form: AreaForm, area: Area | None) -> Area | None:
    values = operations.AreaValues(
        name=form.name.data,
        wards=form.wards.data or "",
        postcode_districts=form.postcode_districts.data or "",
        active=bool(form.active.data),
    )
    try:
        return operations.save_area(db_session(), current_user, area.id if area else None, values)
    except Invalid as error:
        show_invalid(form, error)
        return None


@bp.route("/areas/new", methods=["GET", "POST"])
@admin_required
def area_new() -> str | Response:
    form = AreaForm()
    if form.validate_on_submit() and (area := _save_area(form, None)):
        flash(f"Added {area.name}.", "success")
        return redirect(url_for("admin.areas"))
    return render_template("admin/area_form.html", form=form, area=None)


@bp.route("/areas/<int:area_id>", methods=["GET", "POST"])
@admin_required
def area_edit(area_id: int) -> str | Response:
    area = get_or_404(Area, area_id)
    form = AreaForm(obj=area)
    if form.validate_on_submit() and _save_area(form, area):
        flash(f"Saved the changes to {area.name}.", "success")
        return redirect(url_for("admin.areas"))
    return render_template("admin/area_form.html", form=form, area=area)
