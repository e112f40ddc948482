"""Person pages: a person with their incidents and history, finding someone, and merging.

The blueprint keeps the name `people` (and its URLs) though it moved here: a person's
page and history compose incidents, referrals and meetings, so they sit above them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marac.accounts.models import Role
from marac.auth import admin_required, roles_required
from marac.db import db_session
from marac.formatting import format_date, uk_today
from marac.forms import show_invalid
from marac.incidents.models import INCIDENT_TYPE_LABELS
from marac.operations import Invalid
from marac.people.forms import MergeForm, NotDuplicateForm, PersonSearchForm, RepeatSettingsForm
from marac.people.models import Person
from marac.people.operations import SEARCH_LIMIT, search_people
from marac.referrals.access import viewable_referrals
from marac.repeats import operations, queries
from marac.repeats.flags import (
    RULE_FIELDS,
    LinkedCase,
    RepeatFlag,
    flags_for_referrals,
    linked_cases,
)
from marac.repeats.timeline import risk_chart

bp = Blueprint("people", __name__, url_prefix="/people")
settings_bp = Blueprint("repeats", __name__, url_prefix="/admin")


@bp.app_template_global("repeat_flags")
def repeat_flags(referrals: Iterable[Any]) -> dict[int, list[RepeatFlag]]:
    """Flags for the referrals a page lists, in a fixed number of queries for the page.

    A template global so every list or case page (referrals, agenda, minutes) can call it
    once with its rows: `{% set flags = repeat_flags(page.items) %}`.
    """
    return flags_for_referrals(db_session(), [r.id for r in referrals], uk_today())


@bp.app_template_global("linked_cases_of")
def linked_cases_of(referral: Any) -> list[LinkedCase]:
    """Referrals sharing a named perpetrator or a postcode with `referral` (the case page).

    Only those the viewer may open: a hidden case's reference or status is never shown,
    nor a hint that one exists (that alone would tell a referrer about others' cases).
    """
    return linked_cases(db_session(), referral.id, visible=viewable_referrals(current_user))


CASE_ROLES = (Role.REFERRER, Role.MEMBER, Role.COORDINATOR)
DUPLICATES_SHOWN = 50


@bp.route("/<int:person_id>")
@roles_required(*CASE_ROLES)
def view(person_id: int) -> str:
    page = operations.open_person(db_session(), current_user, person_id)
    return render_template(
        "people/view.html",
        person=page.person,
        incidents=page.incidents,
        strands=page.strands,
        incident_types=INCIDENT_TYPE_LABELS,
    )


@bp.route("/<int:person_id>/timeline")
@roles_required(*CASE_ROLES)
def timeline(person_id: int) -> str:
    """The person's history in date order, with a risk chart and counts per 12 months."""
    person, history = operations.open_timeline(
        db_session(), current_user, person_id, today=uk_today()
    )
    return render_template(
        "people/timeline.html",
        person=person,
        timeline=history,
        chart=risk_chart(history.risk_points),
    )


@bp.route("/search")
@roles_required(*CASE_ROLES)
def search() -> str:
    """Find someone already known before recording a new incident, to avoid duplicates."""
    form = PersonSearchForm(request.args)
    results: list[Person] | None = None
    searched = bool(request.args)
    if searched and form.validate():
        results = search_people(
            db_session(), current_user, name=form.name.data or "", dob=form.dob.data
        )
    return render_template(
        "people/search.html",
        form=form if searched else None,
        search_form=form,
        results=results[:SEARCH_LIMIT] if results is not None else None,
        more=results is not None and len(results) > SEARCH_LIMIT,
        limit=SEARCH_LIMIT,
    )


# ---- likely duplicates and merging (coordinators) ----------------------------------------


@bp.route("/duplicates")
@roles_required(Role.COORDINATOR)
def duplicates() -> str:
    """Pairs of records that may be one person, for a coordinator to merge or dismiss."""
    pairs = operations.list_duplicates(db_session(), current_user, limit=DUPLICATES_SHOWN)
    return render_template("people/duplicates.html", pairs=pairs, limit=DUPLICATES_SHOWN)


def _merge_page(
    first: Person, second: Person, form: Any, merge_form: Any, dismiss_form: Any
) -> str:
    return render_template(
        "people/merge.html",
        first=first,
        second=second,
        form=form,
        merge_form=merge_form,
        dismiss_form=dismiss_form,
        counts=queries.history_counts(db_session(), [first.id, second.id]),
    )


@bp.route("/merge/<int:first_id>/<int:second_id>", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def merge(first_id: int, second_id: int) -> str | Response:
    """Compare two records side by side; merging needs a choice of survivor and a reason."""
    db = db_session()
    if request.method == "GET":
        first, second = operations.compare_people(db, current_user, first_id, second_id)
    else:
        first, second = queries.visible_pair(db, current_user, first_id, second_id)
    form = MergeForm()
    form.survivor.choices = [
        (str(p.id), f"{p.full_name} (record {p.id}, created {format_date(p.created_at)})")
        for p in (first, second)
    ]
    if form.validate_on_submit():
        try:
            survivor, summary = operations.merge_people(
                db,
                current_user,
                first.id,
                second.id,
                survivor_id=int(form.survivor.data or 0),
                reason=form.reason.data or "",
            )
        except Invalid as error:
            show_invalid(form, error)
        else:
            flash(
                f"The records are merged: {summary.text()} moved to {survivor.full_name}.",
                "success",
            )
            return redirect(url_for("people.view", person_id=survivor.id))
    return _merge_page(first, second, form, form, NotDuplicateForm(formdata=None))


@bp.route("/not-duplicates/<int:first_id>/<int:second_id>", methods=["POST"])
@roles_required(Role.COORDINATOR)
def not_duplicates(first_id: int, second_id: int) -> str | Response:
    """A coordinator says two similar records are different people."""
    db = db_session()
    form = NotDuplicateForm()
    if not form.validate_on_submit():
        first, second = queries.visible_pair(db, current_user, first_id, second_id)
        merge_form = MergeForm(formdata=None)
        merge_form.survivor.choices = [(str(p.id), p.full_name) for p in (first, second)]
        return _merge_page(first, second, form, merge_form, form)
    first, second = operations.mark_not_duplicates(
        db, current_user, first_id, second_id, note=form.note.data or ""
    )
    flash(f"{first.full_name} and {second.full_name} are kept as different people.", "success")
    return redirect(url_for("people.duplicates"))


# ---- repeat definitions (issue 5), an admin page -----------------------------------------


@settings_bp.route("/areas/<int:area_id>/repeats", methods=["GET", "POST"])
@admin_required
def settings(area_id: int) -> str | Response:
    """The area's definitions of the repeat flags; the defaults apply until saved."""
    db = db_session()
    area, saved, rules = queries.repeat_settings_of(db, area_id)
    form = RepeatSettingsForm(data={name: getattr(rules, name) for name in RULE_FIELDS})
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in RULE_FIELDS}
        try:
            operations.save_repeat_settings(db, current_user, area.id, values=values)
        except Invalid as error:
            show_invalid(form, error)
        else:
            flash(f"Saved the repeat definitions for {area.name}.", "success")
            return redirect(url_for("admin.area_edit", area_id=area.id))
    return render_template(
        "admin/repeat_settings.html", area=area, form=form, saved=saved is not None
    )
