"""Person pages: a person's details with their incidents, and finding someone already known."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import case, func, select
from werkzeug.wrappers import Response

from marac.accounts.models import Role
from marac.audit import record
from marac.auth import require, roles_required
from marac.db import db_session, get_or_404
from marac.formatting import format_date, uk_today
from marac.incidents.access import viewable_incidents
from marac.incidents.labels import local_strand_names, strand_summary
from marac.incidents.models import INCIDENT_TYPE_LABELS, Incident
from marac.people.access import can_view_person, viewable_people
from marac.people.forms import MergeForm, NotDuplicateForm, PersonSearchForm
from marac.people.matching import find_matches
from marac.people.merge import dismiss_pair, likely_duplicates, merge_people, referral_clash
from marac.people.models import Person, normalise_name
from marac.people.repeats import LinkedCase, RepeatFlag, flags_for_referrals, linked_cases
from marac.people.timeline import build_timeline, risk_chart
from marac.referrals.access import viewable_referrals
from marac.referrals.models import Referral

bp = Blueprint("people", __name__, url_prefix="/people")


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


UK = ZoneInfo("Europe/London")
CASE_ROLES = (Role.REFERRER, Role.MEMBER, Role.COORDINATOR)
SEARCH_LIMIT = 50
DUPLICATES_SHOWN = 50


@bp.route("/<int:person_id>")
@roles_required(*CASE_ROLES)
def view(person_id: int) -> str:
    db = db_session()
    person = get_or_404(Person, person_id)
    require(can_view_person(db, current_user, person))
    # Only the incidents this user may open are listed, newest first.
    incidents = db.scalars(
        select(Incident)
        .where(Incident.person_id == person.id, viewable_incidents(current_user))
        .order_by(Incident.occurred_at.desc(), Incident.id.desc())
    ).all()
    local_names = local_strand_names(db, incidents)
    record(db, "person_viewed", "person", person.id, f"Viewed person {person.id}")
    db.commit()
    return render_template(
        "people/view.html",
        person=person,
        incidents=incidents,
        strands={i.id: strand_summary(i, local_names) for i in incidents},
        incident_types=INCIDENT_TYPE_LABELS,
    )


@bp.route("/<int:person_id>/timeline")
@roles_required(*CASE_ROLES)
def timeline(person_id: int) -> str:
    """The person's history in date order, with a risk chart and counts per 12 months."""
    db = db_session()
    person = get_or_404(Person, person_id)
    require(can_view_person(db, current_user, person))
    today = uk_today()
    history = build_timeline(db, current_user, person.id, today)
    record(
        db, "person_timeline_viewed", "person", person.id, f"Viewed timeline of person {person.id}"
    )
    db.commit()
    return render_template(
        "people/timeline.html",
        person=person,
        timeline=history,
        chart=risk_chart(history.risk_points),
    )


def _close_names(name: str, dob: date, seen: set[int]) -> list[Person]:
    """People the user may see with a close name and the same date of birth.

    Always two queries (even when nothing is close), so the search's count stays fixed.
    """
    db = db_session()
    found = find_matches(db, name, dob, exclude_ids=seen)
    close = [c.person for c in ([] if found.exact else found.candidates)]
    if found.exact is not None and found.exact.id not in seen:
        close = [found.exact]
    allowed = set(
        db.scalars(
            select(Person.id).where(
                Person.id.in_([p.id for p in close]), viewable_people(current_user)
            )
        )
    )
    return [p for p in close if p.id in allowed]


@bp.route("/search")
@roles_required(*CASE_ROLES)
def search() -> str:
    """Find someone already known before recording a new incident, to avoid duplicates.

    Exact normalised name first, then names containing the words typed. Only people the
    user may see are listed. With a date of birth, close spellings of the name are added.
    """
    db = db_session()
    form = PersonSearchForm(request.args)
    results: list[Person] | None = None
    searched = bool(request.args)
    if searched and form.validate():
        name = normalise_name(form.name.data or "")
        query = select(Person).where(viewable_people(current_user))
        order = [Person.normalised_name, Person.id]
        if name:
            exact = Person.normalised_name == name
            query = query.where(exact | Person.normalised_name.like(f"%{name}%"))
            order.insert(0, case((exact, 0), else_=1))
        if form.dob.data is not None:
            query = query.where(Person.date_of_birth == form.dob.data)
        results = list(db.scalars(query.order_by(*order).limit(SEARCH_LIMIT + 1)))
        if name and form.dob.data is not None:
            # Spelling slips: close names with the same date of birth (people.matching).
            results += _close_names(name, form.dob.data, {p.id for p in results})
        record(
            db,
            "people_searched",
            "person",
            None,
            f"Searched people by {'name' if name else ''}"
            f"{' and ' if name and form.dob.data else ''}"
            f"{'date of birth' if form.dob.data else ''}: {min(len(results), SEARCH_LIMIT)} shown",
        )
        db.commit()
    return render_template(
        "people/search.html",
        form=form if searched else None,
        search_form=form,
        results=results[:SEARCH_LIMIT] if results is not None else None,
        more=results is not None and len(results) > SEARCH_LIMIT,
        limit=SEARCH_LIMIT,
    )


# ---- likely duplicates and merging (coordinators) ----------------------------------------


def _pair(first_id: int, second_id: int) -> tuple[Person, Person]:
    """Both people, each one the coordinator may see (404 / 403 otherwise)."""
    db = db_session()
    if first_id == second_id:
        abort(404)
    people = []
    for person_id in (first_id, second_id):
        person = get_or_404(Person, person_id)
        require(can_view_person(db, current_user, person))
        people.append(person)
    return people[0], people[1]


@bp.route("/duplicates")
@roles_required(Role.COORDINATOR)
def duplicates() -> str:
    """Pairs of records that may be one person, for a coordinator to merge or dismiss."""
    db = db_session()
    pairs = likely_duplicates(db, viewable_people(current_user), limit=DUPLICATES_SHOWN)
    record(db, "duplicates_listed", "person", None, f"Listed {len(pairs)} likely duplicates")
    db.commit()
    return render_template("people/duplicates.html", pairs=pairs, limit=DUPLICATES_SHOWN)


def _history_counts(person_ids: list[int]) -> dict[int, dict[str, int]]:
    """Incidents and referrals of each person (two grouped queries), to compare records."""
    db = db_session()
    counts: dict[int, dict[str, int]] = {p: {"incidents": 0, "referrals": 0} for p in person_ids}
    for model, key in ((Incident, "incidents"), (Referral, "referrals")):
        rows = db.execute(
            select(model.person_id, func.count())
            .where(model.person_id.in_(person_ids))
            .group_by(model.person_id)
        )
        for person_id, count in rows:
            counts[person_id][key] = count
    return counts


def _referrals_clash(form: MergeForm, first: Person, second: Person) -> bool:
    """Explain on the form when both records have an automatic referral waiting."""
    clash = referral_clash(db_session(), first.id, second.id)
    if clash:
        form.survivor.errors = [
            f"Both records have a referral waiting to be heard ({' and '.join(clash)}). "
            "A person can have only one: decline the one the panel should not hear, "
            "then merge the records"
        ]
    return bool(clash)


@bp.route("/merge/<int:first_id>/<int:second_id>", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def merge(first_id: int, second_id: int) -> str | Response:
    """Compare two records side by side; merging needs a choice of survivor and a reason."""
    db = db_session()
    first, second = _pair(first_id, second_id)
    form = MergeForm()
    form.survivor.choices = [
        (str(p.id), f"{p.full_name} (record {p.id}, created {format_date(p.created_at)})")
        for p in (first, second)
    ]
    if form.validate_on_submit() and not _referrals_clash(form, first, second):
        survivor, duplicate = (
            (first, second)
            if form.survivor.data == str(first.id)
            else (
                second,
                first,
            )
        )
        summary = merge_people(
            db, survivor, duplicate, form.reason.data or "", merged_by_id=current_user.id
        )
        db.commit()
        flash(
            f"The records are merged: {summary.text()} moved to {survivor.full_name}.",
            "success",
        )
        return redirect(url_for("people.view", person_id=survivor.id))
    if request.method == "GET":
        record(
            db,
            "duplicates_compared",
            "person",
            first.id,
            f"Compared person {first.id} with person {second.id}",
        )
        db.commit()
    return render_template(
        "people/merge.html",
        first=first,
        second=second,
        form=form,
        merge_form=form,
        dismiss_form=NotDuplicateForm(formdata=None),
        counts=_history_counts([first.id, second.id]),
    )


@bp.route("/not-duplicates/<int:first_id>/<int:second_id>", methods=["POST"])
@roles_required(Role.COORDINATOR)
def not_duplicates(first_id: int, second_id: int) -> str | Response:
    """A coordinator says two similar records are different people."""
    db = db_session()
    first, second = _pair(first_id, second_id)
    form = NotDuplicateForm()
    if not form.validate_on_submit():
        merge_form = MergeForm(formdata=None)
        merge_form.survivor.choices = [(str(p.id), p.full_name) for p in (first, second)]
        return render_template(
            "people/merge.html",
            first=first,
            second=second,
            form=form,
            merge_form=merge_form,
            dismiss_form=form,
            counts=_history_counts([first.id, second.id]),
        )
    dismiss_pair(db, first, second, current_user.id, form.note.data or "")
    db.commit()
    flash(f"{first.full_name} and {second.full_name} are kept as different people.", "success")
    return redirect(url_for("people.duplicates"))
