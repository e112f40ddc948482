"""Recording an incident against a person, and the incident page.

One page in fieldsets: the victim (a new person, or someone already known via
?person_id=), when and where, what kind, the hate strands, perpetrators, and what
happened. Saving places the incident in an area by postcode and runs the automatic
referral rules before the one commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response

from marac.accounts.models import Area, Role, User
from marac.audit import record
from marac.auth import require, roles_required
from marac.db import db_session, get_or_404, utcnow
from marac.formatting import format_date
from marac.incidents.access import can_view_incident
from marac.incidents.forms import IncidentForm
from marac.incidents.labels import local_strand_names, strand_summary
from marac.incidents.models import (
    AGE_BAND_LABELS,
    INCIDENT_TYPE_LABELS,
    PERCEIVED_BY_LABELS,
    RECORDING_LABELS,
    RELATIONSHIP_LABELS,
    REPORTED_VIA_LABELS,
    Incident,
    IncidentStrand,
    Perpetrator,
)
from marac.incidents.placing import area_for_postcode, local_strand_choices, resolve_local_strands
from marac.incidents.strands import STRAND_LABELS, SUBCATEGORIES, SUBCATEGORY_STRAND
from marac.inputs import id_arg
from marac.people.access import can_view_person, viewable_person_ids
from marac.people.matching import (
    NEW_PERSON,
    MatchResult,
    choice_problem,
    chosen_person,
    find_matches,
    for_viewer,
)
from marac.people.merge import queue_possible_matches
from marac.people.models import Person, normalise_postcode
from marac.people.service import fill_blanks, save_person

bp = Blueprint("incidents", __name__, url_prefix="/incidents")

CASE_ROLES = (Role.REFERRER, Role.MEMBER, Role.COORDINATOR)
# All matching may say about people the user may not see (no name, date, place or count).
UNDISCLOSED = "The MARAC may already know a person with these details. A coordinator will check."


def _known_person() -> Person | None:
    """The victim picked from search (?person_id=), if the user may see them."""
    person_id = id_arg("person_id")
    if person_id is None:
        return None
    db = db_session()
    person = get_or_404(Person, person_id)
    require(can_view_person(db, current_user, person))
    return person


def _run_triggers(incident: Incident) -> None:
    from marac.referrals.triggers import on_incident_recorded

    on_incident_recorded(db_session(), incident, utcnow())


def _choice_label(candidate: Any) -> str:
    person = candidate.person
    born = format_date(person.date_of_birth) if person.date_of_birth else "date of birth not known"
    where = person.postcode or "postcode not known"
    return f"{person.full_name}, born {born}, {where} ({candidate.reason.lower()})"


def _offer(field: Any, result: MatchResult, who: str) -> None:
    """Put the similar people on a "same person / new person" question (audited: it shows
    other people's names and dates of birth)."""
    field.choices = [(str(c.person.id), _choice_label(c)) for c in result.candidates]
    field.choices.append((NEW_PERSON, "No, none of these: record a new person"))
    ids = ", ".join(str(c.person.id) for c in result.candidates)
    record(db_session(), "person_match_offered", "person", None, f"{who}: offered people {ids}")


def _find(name: str, dob: Any, postcode: str | None = None, **kw: Any) -> MatchResult:
    """`find_matches` narrowed to what the user may be shown (`matching.for_viewer`)."""
    db = db_session()
    found = find_matches(db, name, dob, postcode, **kw)
    people = [c.person.id for c in found.candidates]
    if found.exact is not None:
        people.append(found.exact.id)
    return for_viewer(found, viewable_person_ids(db, current_user, set(people)))


def _note_undisclosed(person_id: int, found: MatchResult, who: str) -> None:
    """Queue the withheld similar people for a coordinator; audit what was withheld."""
    db = db_session()
    ids = [c.person.id for c in found.withheld] + ([person_id] if found.exact_withheld else [])
    queue_possible_matches(db, person_id, found.withheld, current_user.id)
    record(
        db,
        "person_match_withheld",
        "person",
        person_id,
        f"{who}: not shown people {', '.join(str(i) for i in ids)} (outside the user's view)",
    )


@dataclass
class Matches:
    """What matching found for the victim (None when already chosen) and each perpetrator."""

    victim: MatchResult | None
    perpetrators: dict[int, MatchResult]


def _match(form: IncidentForm, person: Person | None) -> Matches | None:
    """Match the victim and named perpetrators; None (questions shown) while a choice is due."""
    victim = None
    ok = True
    if person is None:
        data = form.victim.data
        victim = _find(data["full_name"], data["date_of_birth"], data["postcode"])
        if victim.needs_choice:
            _offer(form.victim_match, victim, "Victim")
            problem = choice_problem(victim, form.victim_match.data)
            if problem:
                form.victim_match.errors = [problem]
                ok = False
    perpetrators: dict[int, MatchResult] = {}
    for index, entry in enumerate(form.perpetrators):
        row = entry.form
        if row.is_blank or row.known.data != "yes" or not row.name.data:
            continue
        found = _find(
            row.name.data,
            row.date_of_birth.data,
            perpetrator=True,
            exclude_ids=[person.id] if person else [],
        )
        perpetrators[index] = found
        if found.needs_choice:
            _offer(row.match, found, f"Perpetrator {index + 1}")
            problem = choice_problem(found, row.match.data)
            if problem:
                row.match.errors = [problem]
                ok = False
    return Matches(victim, perpetrators) if ok else None


def _link_perpetrator(row: Any, found: MatchResult) -> int | None:
    """The person a named perpetrator is: the one matched or chosen, or a new record.

    A name alone is too weak to start a person record (many people share a name), so a
    perpetrator with no date of birth who matches nobody stays unlinked.
    """
    db = db_session()
    existing = chosen_person(found, row.match.data)
    if existing is not None:
        how = "exact match" if found.exact else "chosen by the user"
        record(db, "person_matched", "person", existing.id, f"Perpetrator linked ({how})")
        person = existing
    elif row.date_of_birth.data is None:
        return None
    else:
        person = save_person(
            db,
            {"full_name": row.name.data, "date_of_birth": row.date_of_birth.data},
            created_by_id=current_user.id,
        )
        record(db, "person_created", "person", person.id, f"Recorded perpetrator {person.id}")
    if found.undisclosed:
        _note_undisclosed(person.id, found, "Perpetrator")
    return person.id


def _victim(form: IncidentForm, matches: Matches) -> Person:
    """The victim's record: the one matched or chosen (blanks filled in), or a new one."""
    db = db_session()
    assert matches.victim is not None
    existing = chosen_person(matches.victim, form.victim_match.data)
    if existing is None:
        person = save_person(db, form.victim.data, created_by_id=current_user.id)
        record(db, "person_created", "person", person.id, f"Recorded person {person.id}")
        if matches.victim.withheld:
            _note_undisclosed(person.id, matches.victim, "Victim")
        return person
    if matches.victim.exact_withheld:
        # Linked for a whole record, told nothing: the incident will not show the person.
        how = "exact match on name and date of birth, outside the user's view"
        _note_undisclosed(existing.id, matches.victim, "Victim")
    elif matches.victim.exact is not None:
        how = "exact match on name and date of birth"
        flash(
            f"{existing.full_name} is already known (same name and date of birth): "
            "the incident is recorded against their existing record.",
            "success",
        )
    else:
        how = "chosen by the user from similar records"
        if matches.victim.withheld:
            _note_undisclosed(existing.id, matches.victim, "Victim")
    filled = fill_blanks(existing, form.victim.data)
    extra = f"; filled blank {', '.join(filled)}" if filled else ""
    record(db, "person_matched", "person", existing.id, f"Victim linked to person ({how}{extra})")
    return existing


def _save(form: IncidentForm, person: Person | None, matches: Matches) -> Incident | None:
    """Save the incident (and a new victim); None when the local strands do not fit."""
    db = db_session()
    postcode = normalise_postcode(form.postcode.data)
    victim_postcode = person.postcode if person else normalise_postcode(form.victim.postcode.data)
    area = area_for_postcode(db, postcode or victim_postcode)
    local_codes, problem = resolve_local_strands(db, area, form.local_strands.data or [])
    if problem:
        form.local_strands.errors = [*form.local_strands.errors, problem]
        return None
    withheld = False
    if person is None:
        person = _victim(form, matches)
        withheld = matches.victim is not None and matches.victim.exact_withheld
    recorded_as = form.recorded_as.data
    perceived = set(form.perceived_by.data or [])
    incident = Incident(
        person_id=person.id,
        area_id=area.id if area else None,
        occurred_at=form.occurred_at,
        place=form.place.data or "",
        postcode=postcode,
        incident_type=form.incident_type.data,
        online=form.online.data == "yes",
        recorded_as=recorded_as,
        # Only a crime can be an aggravated offence (the question says so).
        aggravated_offence=recorded_as == "crime" and form.aggravated_offence.data == "yes",
        crime_reference=form.crime_reference.data or "",
        reported_via=form.reported_via.data,
        perceived_by=",".join(code for code in PERCEIVED_BY_LABELS if code in perceived),
        description=form.description.data or "",
        agency_id=current_user.agency_id,
        created_by_id=current_user.id,
        person_withheld=withheld,
    )
    for code in form.strands.data or []:
        incident.strands.append(IncidentStrand(code=code, subcategory=""))
    for sub in form.subcategories.data or []:
        incident.strands.append(IncidentStrand(code=SUBCATEGORY_STRAND[sub], subcategory=sub))
    for code in local_codes:
        incident.strands.append(IncidentStrand(code=code, subcategory=""))
    for index, entry in enumerate(form.perpetrators):
        row = entry.form
        if row.is_blank:
            continue
        found = matches.perpetrators.get(index)
        incident.perpetrators.append(
            Perpetrator(
                known=row.known.data == "yes",
                person_id=_link_perpetrator(row, found) if found is not None else None,
                name=row.name.data or "",
                relationship_to_victim=row.relationship.data or "",
                age_band=row.age_band.data or "unknown",
                description=row.description.data or "",
            )
        )
    db.add(incident)
    db.flush()
    _run_triggers(incident)
    strands = ", ".join(
        sorted(s.code + (f"/{s.subcategory}" if s.subcategory else "") for s in incident.strands)
    )
    record(
        db,
        "incident_recorded",
        "incident",
        incident.id,
        f"Recorded incident {incident.id} for person {person.id} ({strands})",
    )
    db.commit()
    return incident


def _undisclosed(matches: Matches) -> bool:
    results = [matches.victim, *matches.perpetrators.values()]
    return any(r is not None and r.undisclosed for r in results)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*CASE_ROLES)
def new() -> str | Response:
    db = db_session()
    person = _known_person()
    form = IncidentForm()
    form.local_strands.choices = local_strand_choices(db)
    if person is not None:
        del form.victim
    if (
        form.validate_on_submit()
        and (matches := _match(form, person)) is not None
        and (incident := _save(form, person, matches))
    ):
        flash("The incident has been recorded.", "success")
        if _undisclosed(matches):
            flash(UNDISCLOSED, "success")
        return redirect(url_for("incidents.view", incident_id=incident.id))
    if form.victim_match.choices or any(e.form.match.choices for e in form.perpetrators):
        db.commit()  # only the audit of the people offered is pending: nothing else is saved
    return render_template(
        "incidents/new.html",
        form=form,
        person=person,
        subcategories=SUBCATEGORIES,
        strand_labels=STRAND_LABELS,
    )


@bp.route("/<int:incident_id>")
@roles_required(*CASE_ROLES)
def view(incident_id: int) -> str:
    db = db_session()
    incident = get_or_404(Incident, incident_id)
    require(can_view_incident(current_user, incident))
    person = db.get(Person, incident.person_id)
    area = db.get(Area, incident.area_id) if incident.area_id else None
    creator = db.get(User, incident.created_by_id)
    record(db, "incident_viewed", "incident", incident.id, f"Viewed incident {incident.id}")
    db.commit()
    views: Any = current_app.view_functions
    return render_template(
        "incidents/view.html",
        incident=incident,
        person=person,
        area=area,
        creator=creator,
        # A victim linked by matching whom the viewer may not see stays unnamed here.
        can_view_person=person is not None and can_view_person(db, current_user, person),
        strand_lines=strand_summary(incident, local_strand_names(db, [incident])),
        labels={
            "type": INCIDENT_TYPE_LABELS,
            "recording": RECORDING_LABELS,
            "reported": REPORTED_VIA_LABELS,
            "perceived": PERCEIVED_BY_LABELS,
            "relationship": RELATIONSHIP_LABELS,
            "age": AGE_BAND_LABELS,
        },
        can_assess="assessments.start" in views,
        can_refer="referrals.new" in views,
    )
