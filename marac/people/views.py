"""Person pages: a person's details with their incidents, and finding someone already known."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from sqlalchemy import case, select

from marac.accounts.models import Role
from marac.audit import record
from marac.auth import require, roles_required
from marac.db import db_session
from marac.incidents.access import viewable_incidents
from marac.incidents.labels import local_strand_names, strand_summary
from marac.incidents.models import INCIDENT_TYPE_LABELS, Incident
from marac.people.access import can_view_person, viewable_people
from marac.people.forms import PersonSearchForm
from marac.people.models import Person, normalise_name

bp = Blueprint("people", __name__, url_prefix="/people")

CASE_ROLES = (Role.REFERRER, Role.MEMBER, Role.COORDINATOR)
SEARCH_LIMIT = 50


@bp.route("/<int:person_id>")
@roles_required(*CASE_ROLES)
def view(person_id: int) -> str:
    db = db_session()
    person = db.get(Person, person_id)
    if person is None:
        abort(404)
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


@bp.route("/search")
@roles_required(*CASE_ROLES)
def search() -> str:
    """Find someone already known before recording a new incident, to avoid duplicates.

    Exact normalised name first, then names containing the words typed. Only people the
    user may see are listed. Fuzzy matching comes with the matching work, not here.
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
