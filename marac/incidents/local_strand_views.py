"""Admin pages for an area's local hate strands (URLs under /admin/areas, as before)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marac.accounts.forms import LocalStrandForm
from marac.auth import admin_required
from marac.db import db_session
from marac.forms import show_invalid
from marac.incidents.local_strands import (
    add_local_strand,
    area_strands,
    change_local_strand,
    strand_in_area,
)
from marac.operations import Invalid

bp = Blueprint("local_strands", __name__, url_prefix="/admin/areas")


@bp.route("/<int:area_id>/strands", methods=["GET", "POST"])
@admin_required
def index(area_id: int) -> str | Response:
    """The area's locally-defined hate strands, and a form to add one."""
    db = db_session()
    area, _ = area_strands(db, current_user, area_id)
    form = LocalStrandForm()
    if form.validate_on_submit():
        name = form.name.data or ""
        try:
            add_local_strand(db, current_user, area_id, name=name, active=bool(form.active.data))
        except Invalid as error:
            show_invalid(form, error)
        else:
            flash(f"Added the local strand {name}.", "success")
            return redirect(url_for("local_strands.index", area_id=area_id))
    area, strands = area_strands(db, current_user, area_id)
    return render_template("admin/local_strands.html", area=area, strands=strands, form=form)


@bp.route("/<int:area_id>/strands/<int:strand_id>", methods=["GET", "POST"])
@admin_required
def edit(area_id: int, strand_id: int) -> str | Response:
    """Rename a local strand, or retire it (incidents keep it; new ones cannot pick it)."""
    db = db_session()
    strand = strand_in_area(db, current_user, area_id, strand_id)
    area, _ = area_strands(db, current_user, area_id)
    form = LocalStrandForm(obj=strand)
    if form.validate_on_submit():
        try:
            strand = change_local_strand(
                db,
                current_user,
                area_id,
                strand_id,
                name=form.name.data or "",
                active=bool(form.active.data),
            )
        except Invalid as error:
            show_invalid(form, error)
        else:
            flash(f"Saved the local strand {strand.name}.", "success")
            return redirect(url_for("local_strands.index", area_id=area_id))
    return render_template("admin/local_strand_form.html", area=area, strand=strand, form=form)
