"""Admin pages for API clients: list, register, rotate a token, revoke. All audited.

A token is shown once, on the page that answers the register or rotate request (never
stored in clear, never cached); every write is an operation in `marac.api.operations`.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marac.api import operations, queries
from marac.api.forms import ApiClientForm, ConfirmForm
from marac.api.models import ApiClient
from marac.auth import admin_required
from marac.db import db_session, get_or_404
from marac.forms import show_invalid
from marac.operations import Invalid

bp = Blueprint("api_admin", __name__, url_prefix="/admin/api-clients")


def _token_page(client: ApiClient, token: str, *, rotated: bool) -> Response:
    page = render_template("api/token.html", client=client, token=token, rotated=rotated)
    response = Response(page, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("")
@admin_required
def index() -> str:
    return render_template("api/clients.html", clients=queries.clients(db_session(), current_user))


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def new() -> str | Response:
    db = db_session()
    form = ApiClientForm()
    form.agency_id.choices = [(0, "Select an agency")] + [
        (a.id, a.name) for a in queries.active_agencies(db)
    ]
    if form.validate_on_submit():
        try:
            client, token = operations.register_client(
                db,
                current_user,
                name=form.name.data or "",
                agency_id=form.agency_id.data or 0,
                scopes=form.scopes.data or [],
            )
        except Invalid as error:
            show_invalid(form, error)
        else:
            return _token_page(client, token, rotated=False)
    return render_template("api/client_form.html", form=form)


@bp.route("/<int:client_id>/rotate", methods=["GET", "POST"])
@admin_required
def rotate(client_id: int) -> str | Response:
    db = db_session()
    client = get_or_404(ApiClient, client_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            client, token = operations.rotate_token(db, current_user, client_id)
        except Invalid:
            flash("A revoked client cannot be given a new token.", "info")
            return redirect(url_for("api_admin.index"))
        return _token_page(client, token, rotated=True)
    return render_template("api/confirm.html", form=form, client=client, action="rotate")


@bp.route("/<int:client_id>/revoke", methods=["GET", "POST"])
@admin_required
def revoke(client_id: int) -> str | Response:
    db = db_session()
    client = get_or_404(ApiClient, client_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        operations.revoke_client(db, current_user, client_id)
        flash(f"{client.name} is revoked: its token no longer works.", "success")
        return redirect(url_for("api_admin.index"))
    return render_template("api/confirm.html", form=form, client=client, action="revoke")
