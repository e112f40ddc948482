"""Subject access pages and "who has seen this case": parse, call, render.

Coordinators (of the person's area) and the information governance role only; the
reads and writes with their checks are `governance.queries` and `governance.operations`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marac.accounts.models import Role
from marac.auth import roles_required
from marac.db import db_session
from marac.governance import operations, queries
from marac.governance.forms import FindPersonForm, ReleaseForm, RequestPackForm
from marac.operations import Conflict, Invalid

bp = Blueprint("subject_access", __name__)

ROLES = (Role.COORDINATOR, Role.GOVERNANCE)
PREFIX = "/governance/subject-access"


def _page_number() -> int:
    number = request.args.get("page", 1, type=int) or 1
    return max(1, min(number, 100_000))


@bp.get(PREFIX)
@roles_required(*ROLES)
def index() -> Any:
    """Find the person by their record number (the request names them by it)."""
    form = FindPersonForm(request.args)
    if "person" in request.args and form.validate():
        return redirect(url_for("subject_access.person", person_id=form.person.data))
    status = 400 if form.errors else 200
    return render_template("governance/index.html", form=form), status


def _person_page(person_id: int, status: int = 200) -> Any:
    db = db_session()
    person = queries.handled_person(db, current_user, person_id)
    return (
        render_template(
            "governance/person.html",
            person=person,
            packs=queries.packs_for(db, person.id),
            form=RequestPackForm(formdata=None),
        ),
        status,
    )


@bp.get(f"{PREFIX}/people/<int:person_id>")
@roles_required(*ROLES)
def person(person_id: int) -> Any:
    return _person_page(person_id)


@bp.post(f"{PREFIX}/people/<int:person_id>")
@roles_required(*ROLES)
def request_pack(person_id: int) -> Any:
    form = RequestPackForm()
    if not form.validate_on_submit():
        abort(400)
    job = operations.request_pack(db_session(), current_user, person_id)
    return redirect(url_for("jobs.progress", job_id=job.id))


def _pack_page(pack_id: int, form: ReleaseForm | None = None, status: int = 200) -> Any:
    pack = operations.view_pack_page(db_session(), current_user, pack_id)
    return (
        render_template(
            "governance/pack.html",
            pack=pack,
            form=form or ReleaseForm(formdata=None),
            errors=form.errors if form is not None else {},
        ),
        status,
    )


@bp.get(f"{PREFIX}/packs/<int:pack_id>")
@roles_required(*ROLES)
def pack(pack_id: int) -> Any:
    return _pack_page(pack_id)


@bp.post(f"{PREFIX}/packs/<int:pack_id>/release")
@roles_required(*ROLES)
def release(pack_id: int) -> Any:
    form = ReleaseForm()
    if not form.validate_on_submit():
        queries.pack_of(db_session(), current_user, pack_id)  # refuse before saying more
        return _pack_page(pack_id, form, 400)
    try:
        operations.release_pack(
            db_session(),
            current_user,
            pack_id,
            released_to=form.released_to.data or "",
            method=form.method.data or "",
            note=form.note.data or "",
        )
    except Invalid as error:
        for field, problems in error.errors.items():
            getattr(form, field).errors = list(problems)
        return _pack_page(pack_id, form, 400)
    except Conflict as error:
        flash(error.message)
    else:
        flash("The release is recorded")
    return redirect(url_for("subject_access.pack", pack_id=pack_id))


@bp.get(f"{PREFIX}/packs/<int:pack_id>/download")
@roles_required(*ROLES)
def download(pack_id: int) -> Response:
    data, filename = operations.download_pack(db_session(), current_user, pack_id)
    response = Response(data, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/people/<int:person_id>/seen")
@roles_required(*ROLES)
def person_seen(person_id: int) -> Any:
    person, rows = operations.view_person_seen(
        db_session(), current_user, person_id, _page_number()
    )
    return render_template(
        "governance/seen.html",
        title=f"Who has seen the records of person {person.id}",
        caption=f"Person {person.id}",
        rows=rows,
        endpoint="subject_access.person_seen",
        args={"person_id": person.id},
        back=url_for("subject_access.person", person_id=person.id),
        back_text="Subject access for this person",
    )


@bp.get("/referrals/<int:referral_id>/seen")
@roles_required(*ROLES)
def referral_seen(referral_id: int) -> Any:
    referral, rows = operations.view_referral_seen(
        db_session(), current_user, referral_id, _page_number()
    )
    return render_template(
        "governance/seen.html",
        title=f"Who has seen referral {referral.reference}",
        caption="Referral",
        rows=rows,
        endpoint="subject_access.referral_seen",
        args={"referral_id": referral.id},
        back=None,
        back_text="",
    )
