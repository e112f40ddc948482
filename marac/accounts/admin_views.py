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
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from marac.accounts.forms import (
    AgencyForm,
    AreaForm,
    LocalStrandForm,
    UserForm,
)
from marac.accounts.invitations import INVITATION_HOURS, issue_link, tell_second_factor_reset
from marac.accounts.models import Agency, Area, InvitationKind, RecoveryCode, Role, User
from marac.accounts.sessions import revoke_user_sessions
from marac.audit import record
from marac.auth import admin_required
from marac.db import db_session, get_or_404, utcnow
from marac.incidents.models import LocalStrand
from marac.incidents.strands import DEFAULT_LOCAL_STRANDS
from marac.inputs import id_arg
from marac.pagination import paginate

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _changes(obj: Any, fields: list[str], data: dict[str, Any]) -> list[str]:
    """Names of the fields whose values differ, for the audit summary."""
    return [f for f in fields if getattr(obj, f) != data[f]]


# ---- users -------------------------------------------------------------------------------


@bp.route("/users")
@admin_required
def users() -> str:
    db = db_session()
    query = select(User).join(User.agency).order_by(Agency.name, User.name)
    agency_id = id_arg("agency")
    role = request.args.get("role", "")
    if agency_id:
        query = query.where(User.agency_id == agency_id)
    if role in {r.value for r in Role}:
        query = query.where(User.role == role)
    page = paginate(db, query, request.args.get("page", 1, type=int))
    agencies = db.scalars(select(Agency).order_by(Agency.name)).all()
    return render_template(
        "admin/users.html",
        page=page,
        agencies=agencies,
        agency_id=agency_id,
        role=role,
        roles=list(Role),
    )


def _agency_choices() -> list[tuple[int, str]]:
    rows = db_session().execute(
        select(Agency.id, Agency.name).where(Agency.active).order_by(Agency.name)
    )
    return [(row.id, row.name) for row in rows]


def _area_choices(user: User | None) -> list[tuple[int, str]]:
    """Active areas, plus any inactive area the user still holds (so it can be removed)."""
    rows = db_session().scalars(select(Area).order_by(Area.name)).all()
    held = {a.id for a in user.areas} if user else set()
    return [
        (a.id, a.name if a.active else f"{a.name} (inactive)")
        for a in rows
        if a.active or a.id in held
    ]


def _settings() -> Any:
    return current_app.config["MARAC_SETTINGS"]


def _save_user(form: UserForm, user: User | None) -> User | None:
    """Check uniqueness and areas, then save (inviting a new user); None on form errors."""
    db = db_session()
    if (
        user is not None
        and user.id == current_user.id
        and (not form.active.data or form.role.data != Role.ADMIN)
    ):
        form.role.errors.append("You cannot remove your own administrator access")
        return None
    clash = db.scalar(
        select(User.id).where(func.lower(User.email) == (form.email.data or "").lower())
    )
    if clash is not None and (user is None or clash != user.id):
        form.email.errors.append("A user with this email address already exists")
        return None
    area_ids = set(form.areas.data or [])
    if area_ids and form.role.data != Role.COORDINATOR:
        form.areas.errors = [
            *form.areas.errors,
            "Only MARAC coordinators have areas: untick the areas or choose the "
            "MARAC coordinator role",
        ]
        return None
    areas = list(db.scalars(select(Area).where(Area.id.in_(area_ids)).order_by(Area.name)))
    data = {
        "name": form.name.data,
        "email": form.email.data,
        "agency_id": form.agency_id.data,
        "role": form.role.data,
        "is_supervisor": bool(form.is_supervisor.data),
        "active": bool(form.active.data),
    }
    if user is None:
        # No password until the person sets one from the invitation (an empty hash never
        # matches, see verify_password).
        user = User(**data, password_hash="")
        user.areas = areas
        db.add(user)
        db.flush()
        issue_link(
            db,
            user,
            InvitationKind.INVITATION,
            by=current_user,  # type: ignore[arg-type]
            service_name=_settings().service_name,
        )
        record(db, "user_created", "user", user.id, f"Created {user.email} as {user.role}; invited")
    else:
        changed = _changes(user, list(data), data)
        if {a.id for a in user.areas} != area_ids:
            changed.append("areas")
            user.areas = areas
        ends_sessions = bool({"active", "role", "agency_id"} & set(changed))
        for key, value in data.items():
            setattr(user, key, value)
        if ends_sessions:
            user.session_version += 1
            revoke_user_sessions(db, user.id)
        record(db, "user_updated", "user", user.id, "Changed " + (", ".join(changed) or "nothing"))
    db.commit()
    return user


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def user_new() -> str | Response:
    form = UserForm()
    form.agency_id.choices = _agency_choices()
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
    user = get_or_404(User, user_id)
    form = UserForm(obj=user)
    form.agency_id.choices = _agency_choices()
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
    db = db_session()
    user = get_or_404(User, user_id)
    user.failed_logins = 0
    user.locked_until = None
    record(db, "user_unlocked", "user", user.id, f"Unlocked {user.email}")
    db.commit()
    flash(f"{user.name} can sign in again.", "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/invite", methods=["POST"])
@admin_required
def user_invite(user_id: int) -> Response:
    """A new invitation for someone who has not set a password yet; the old link stops."""
    db = db_session()
    user = get_or_404(User, user_id)
    if user.has_password or not user.active:
        abort(400)
    issue_link(
        db,
        user,
        InvitationKind.INVITATION,
        by=current_user,  # type: ignore[arg-type]
        service_name=_settings().service_name,
    )
    record(db, "invitation_sent", "user", user.id, f"Sent a new invitation to {user.email}")
    db.commit()
    flash(f"We have emailed {user.name} a new invitation. Earlier links no longer work.", "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"])
@admin_required
def user_reset_password(user_id: int) -> Response:
    """End the password and every session; the person sets a new one from an emailed link."""
    db = db_session()
    user = get_or_404(User, user_id)
    if not user.active:
        abort(400)
    user.password_hash = ""
    user.session_version += 1
    ended = revoke_user_sessions(db, user.id)
    issue_link(
        db,
        user,
        InvitationKind.PASSWORD_RESET,
        by=current_user,  # type: ignore[arg-type]
        service_name=_settings().service_name,
    )
    record(
        db,
        "password_reset",
        "user",
        user.id,
        f"Reset the password of {user.email}; sent a link; ended {ended} sessions",
    )
    db.commit()
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
    db = db_session()
    user = get_or_404(User, user_id)
    user.totp_secret = None
    user.totp_last_step = None
    db.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
    user.session_version += 1
    ended = revoke_user_sessions(db, user.id)
    tell_second_factor_reset(db, user, service_name=_settings().service_name)
    record(
        db,
        "second_factor_reset",
        "user",
        user.id,
        f"Reset the authenticator app of {user.email}; ended {ended} sessions",
    )
    db.commit()
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
    db = db_session()
    counts = (
        select(User.agency_id, func.count(User.id).label("n"))
        .where(User.active)
        .group_by(User.agency_id)
        .subquery()
    )
    rows = db.execute(
        select(Agency, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.agency_id == Agency.id)
        .order_by(Agency.active.desc(), Agency.name)
    ).all()
    return render_template("admin/agencies.html", rows=rows, today=utcnow().date())


def _save_agency(form: AgencyForm, agency: Agency | None) -> Agency | None:
    db = db_session()
    clash = db.scalar(
        select(Agency.id).where(func.lower(Agency.name) == (form.name.data or "").lower())
    )
    if clash is not None and (agency is None or clash != agency.id):
        form.name.errors.append("An agency with this name already exists")
        return None
    data = {
        "name": form.name.data,
        "type": form.type.data,
        "review_date": form.review_date.data,
        "active": bool(form.active.data),
    }
    if agency is None:
        agency = Agency(**data)
        db.add(agency)
        db.flush()
        record(db, "agency_created", "agency", agency.id, f"Created {agency.name}")
    else:
        changed = _changes(agency, list(data), data)
        for key, value in data.items():
            setattr(agency, key, value)
        record(
            db,
            "agency_updated",
            "agency",
            agency.id,
            "Changed " + (", ".join(changed) or "nothing"),
        )
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        form.name.errors.append("An agency with this name already exists")
        return None
    return agency


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
    return render_template("admin/agency_form.html", form=form, agency=agency)


# ---- areas -------------------------------------------------------------------------------


@bp.route("/areas")
@admin_required
def areas() -> str:
    rows = db_session().scalars(select(Area).order_by(Area.active.desc(), Area.name)).all()
    return render_template("admin/areas.html", areas=rows)


def _save_area(form: AreaForm, area: Area | None) -> Area | None:
    db = db_session()
    clash = db.scalar(
        select(Area.id).where(func.lower(Area.name) == (form.name.data or "").lower())
    )
    if clash is not None and (area is None or clash != area.id):
        form.name.errors.append("An area with this name already exists")
        return None
    wards = "\n".join(w.strip() for w in (form.wards.data or "").splitlines() if w.strip())
    data = {
        "name": form.name.data,
        "wards": wards,
        "postcode_districts": " ".join((form.postcode_districts.data or "").upper().split()),
        "active": bool(form.active.data),
    }
    if area is None:
        area = Area(**data)
        db.add(area)
        db.flush()
        # Every new area starts with the borough's usual local strands; admins adjust them.
        db.add_all(LocalStrand(area_id=area.id, name=name) for name in DEFAULT_LOCAL_STRANDS)
        record(
            db,
            "area_created",
            "area",
            area.id,
            f"Created {area.name} with local strands: {', '.join(DEFAULT_LOCAL_STRANDS)}",
        )
    else:
        changed = _changes(area, list(data), data)
        for key, value in data.items():
            setattr(area, key, value)
        record(db, "area_updated", "area", area.id, "Changed " + (", ".join(changed) or "nothing"))
    db.commit()
    return area


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


# ---- local strands -----------------------------------------------------------------------


def _strand_name_clash(area_id: int, name: str, strand_id: int | None) -> bool:
    clash = db_session().scalar(
        select(LocalStrand.id).where(
            LocalStrand.area_id == area_id, func.lower(LocalStrand.name) == name.lower()
        )
    )
    return clash is not None and clash != strand_id


@bp.route("/areas/<int:area_id>/strands", methods=["GET", "POST"])
@admin_required
def local_strands(area_id: int) -> str | Response:
    """The area's locally-defined hate strands, and a form to add one."""
    db = db_session()
    area = get_or_404(Area, area_id)
    form = LocalStrandForm()
    if form.validate_on_submit():
        name = form.name.data or ""
        if _strand_name_clash(area.id, name, None):
            form.name.errors.append(f"{area.name} already has a local strand called {name}")
        else:
            strand = LocalStrand(area_id=area.id, name=name, active=bool(form.active.data))
            db.add(strand)
            db.flush()
            record(
                db, "local_strand_added", "local_strand", strand.id, f"Added {name} to {area.name}"
            )
            db.commit()
            flash(f"Added the local strand {name}.", "success")
            return redirect(url_for("admin.local_strands", area_id=area.id))
    strands = db.scalars(
        select(LocalStrand)
        .where(LocalStrand.area_id == area.id)
        .order_by(LocalStrand.active.desc(), LocalStrand.name)
    ).all()
    return render_template("admin/local_strands.html", area=area, strands=strands, form=form)


@bp.route("/areas/<int:area_id>/strands/<int:strand_id>", methods=["GET", "POST"])
@admin_required
def local_strand_edit(area_id: int, strand_id: int) -> str | Response:
    """Rename a local strand, or retire it (incidents keep it; new ones cannot pick it)."""
    db = db_session()
    area = get_or_404(Area, area_id)
    strand = get_or_404(LocalStrand, strand_id)
    if strand.area_id != area.id:
        abort(404)
    form = LocalStrandForm(obj=strand)
    if form.validate_on_submit():
        name = form.name.data or ""
        if _strand_name_clash(area.id, name, strand.id):
            form.name.errors.append(f"{area.name} already has a local strand called {name}")
        else:
            data = {"name": name, "active": bool(form.active.data)}
            changed = _changes(strand, list(data), data)
            summary = f"Changed {', '.join(changed) or 'nothing'} of {strand.name} in {area.name}"
            if "name" in changed:
                summary += f" (now {name})"
            strand.name, strand.active = data["name"], data["active"]
            record(db, "local_strand_updated", "local_strand", strand.id, summary)
            db.commit()
            flash(f"Saved the local strand {strand.name}.", "success")
            return redirect(url_for("admin.local_strands", area_id=area.id))
    return render_template("admin/local_strand_form.html", area=area, strand=strand, form=form)
