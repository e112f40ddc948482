"""The retention pages: the review (governance) and the schedule (administrators)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marac.accounts.models import Role
from marac.auth import admin_required, roles_required
from marac.db import db_session, utcnow
from marac.forms import show_invalid
from marac.operations import Invalid
from marac.retention import operations, queries
from marac.retention.forms import DisposeForm, KeepForm, schedule_form
from marac.retention.schedule import KINDS, SCHEDULE, in_words

bp = Blueprint("retention", __name__)

reviewers_only = roles_required(Role.GOVERNANCE, Role.ADMIN)


def _today() -> date:
    return queries.today_uk(utcnow())


@bp.get("/governance/retention")
@reviewers_only
def review() -> str:
    page = queries.review(db_session(), current_user, _today())
    return render_template(
        "retention/review.html", page=page, dispose_form=DisposeForm(), in_words=in_words
    )


@bp.post("/governance/retention/dispose")
@reviewers_only
def dispose() -> Response:
    form = DisposeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        job = operations.request_disposal(
            db_session(), current_user, form.record_type.data or "", _today()
        )
    except Invalid as error:
        for problems in error.errors.values():
            for problem in problems:
                flash(problem, "error")
        return redirect(url_for("retention.review"))
    return redirect(url_for("jobs.progress", job_id=job.id))


@bp.route("/governance/retention/<record_type>/<int:object_id>/keep", methods=["GET", "POST"])
@reviewers_only
def keep(record_type: str, object_id: int) -> str | Response:
    db = db_session()
    kind = KINDS.get(record_type)
    if kind is None or not kind.holdable:
        abort(404)
    target = queries.hold_target(db, current_user, record_type, object_id)
    form = KeepForm()
    if form.validate_on_submit():
        try:
            operations.keep(
                db,
                current_user,
                record_type,
                object_id,
                form.reason.data or "",
                form.review_on.data,
                _today(),
            )
        except Invalid as error:
            show_invalid(form, error)
        else:
            flash(f"{target.reference} is kept until {form.review_on.data:%-d %B %Y}.", "success")
            return redirect(url_for("retention.review"))
    return render_template("retention/keep.html", form=form, kind=kind, target=target)


@bp.route("/admin/retention", methods=["GET", "POST"])
@admin_required
def schedule() -> str | Response:
    db = db_session()
    current = queries.periods(db)
    form = schedule_form(current)
    if form.validate_on_submit():
        months = {kind.record_type.value: form[kind.record_type.value].data for kind in SCHEDULE}
        try:
            changed = operations.set_periods(db, current_user, months)
        except Invalid as error:
            show_invalid(form, error)
        else:
            flash("Saved the retention schedule." if changed else "Nothing changed.", "success")
            return redirect(url_for("retention.schedule"))
    return render_template("retention/schedule.html", form=form, kinds=SCHEDULE)
