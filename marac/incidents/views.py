"""Recording an incident against a person, and the incident page.

One page in fieldsets: the victim (a new person, or someone already known via
?person_id=), when and where, what kind, the hate strands, perpetrators, and what
happened. Saving calls `operations.record_incident` (placing, matching, audit, the referral
rules, one commit); the view parses the form and shows what the operation says.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marac.accounts.models import Role
from marac.auth import roles_required
from marac.db import db_session
from marac.formatting import format_date
from marac.forms import show_invalid
from marac.incidents import rules
from marac.incidents.forms import IncidentForm, PerpetratorFields
from marac.incidents.models import (
    AGE_BAND_LABELS,
    INCIDENT_TYPE_LABELS,
    PERCEIVED_BY_LABELS,
    RECORDING_LABELS,
    RELATIONSHIP_LABELS,
    REPORTED_VIA_LABELS,
)
from marac.incidents.operations import (
    ChoiceNeeded,
    IncidentDetails,
    Offer,
    PerpetratorDetails,
    VictimDetails,
    record_incident,
)
from marac.incidents.placing import local_strand_choices
from marac.incidents.queries import incident_page, victim_for_new_incident
from marac.incidents.strands import STRAND_LABELS, SUBCATEGORIES
from marac.inputs import id_arg
from marac.operations import Invalid
from marac.people.matching import NEW_PERSON

bp = Blueprint("incidents", __name__, url_prefix="/incidents")

CASE_ROLES = (Role.REFERRER, Role.MEMBER, Role.COORDINATOR)
# All matching may say about people the user may not see (no name, date, place or count).
UNDISCLOSED = "The MARAC may already know a person with these details. A coordinator will check."
YES_NO = {"yes": True, "no": False}


def _victim(data: dict[str, Any]) -> VictimDetails:
    values = {f.name: data.get(f.name) for f in fields(VictimDetails)}
    dob = values.pop("date_of_birth")
    return VictimDetails(date_of_birth=dob, **{k: v or "" for k, v in values.items()})


def _perpetrator(row: PerpetratorFields) -> PerpetratorDetails:
    return PerpetratorDetails(
        known=YES_NO.get(row.known.data or ""),
        name=row.name.data or "",
        relationship=row.relationship.data or "",
        age_band=row.age_band.data or "unknown",
        description=row.description.data or "",
        date_of_birth=row.date_of_birth.data,
        match=row.match.data or None,
    )


def _details(form: IncidentForm, new_victim: bool) -> IncidentDetails:
    """The form's answers as plain values for the operation."""
    return IncidentDetails(
        occurred_on=form.occurred_on.data,
        occurred_time=rules.parse_time(form.occurred_time.data),
        online=form.online.data == "yes",
        incident_type=form.incident_type.data or "",
        recorded_as=form.recorded_as.data or "",
        reported_via=form.reported_via.data or "",
        perceived_by=tuple(form.perceived_by.data or ()),
        description=form.description.data or "",
        place=form.place.data or "",
        postcode=form.postcode.data or "",
        aggravated_offence=YES_NO.get(form.aggravated_offence.data or ""),
        crime_reference=form.crime_reference.data or "",
        strands=tuple(form.strands.data or ()),
        subcategories=tuple(form.subcategories.data or ()),
        local_strands=tuple(form.local_strands.data or ()),
        victim=_victim(form.victim.data) if new_victim else None,
        victim_match=(form.victim_match.data or None) if new_victim else None,
        perpetrators=tuple(_perpetrator(entry.form) for entry in form.perpetrators),
    )


def _choice_label(offer: Offer) -> str:
    born = format_date(offer.date_of_birth) if offer.date_of_birth else "date of birth not known"
    where = offer.postcode or "postcode not known"
    return f"{offer.full_name}, born {born}, {where} ({offer.reason.lower()})"


def _field(form: IncidentForm, dotted: str) -> Any:
    target: Any = form
    for part in dotted.split("."):
        target = target[int(part)] if part.isdigit() else getattr(target, part)
    return target


def _ask(form: IncidentForm, needed: ChoiceNeeded) -> list[str]:
    """Put each "same person / new person" question on its radio field; return their ids.

    A question asked for the first time is a question, not an error (nothing was wrong
    with what was typed); only an answer that cannot be used is shown as an error.
    """
    asked: list[str] = []
    for question in needed.questions:
        target = _field(form, question.field)
        target.choices = [(str(o.person_id), _choice_label(o)) for o in question.offers]
        target.choices.append((NEW_PERSON, "No, none of these: record a new person"))
        asked.append(target.id)
    wrong = {name: problems for name, problems in needed.errors.items() if _field(form, name).data}
    if wrong:
        show_invalid(form, Invalid(wrong))
    return asked


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*CASE_ROLES)
def new() -> str | Response:
    db = db_session()
    person_id = id_arg("person_id")
    person = victim_for_new_incident(db, current_user, person_id) if person_id is not None else None
    form = IncidentForm()
    form.local_strands.choices = local_strand_choices(db)
    if person is not None:
        del form.victim
    asked: list[str] = []
    if form.validate_on_submit():
        try:
            done = record_incident(
                db,
                current_user,
                _details(form, new_victim=person is None),
                person_id=person.id if person else None,
            )
        except ChoiceNeeded as needed:
            asked = _ask(form, needed)
        except Invalid as error:
            show_invalid(form, error)
        else:
            if done.already_known:
                flash(
                    f"{done.already_known} is already known (same name and date of birth): "
                    "the incident is recorded against their existing record.",
                    "success",
                )
            flash("The incident has been recorded.", "success")
            if done.coordinator_will_check:
                flash(UNDISCLOSED, "success")
            return redirect(url_for("incidents.view", incident_id=done.incident.id))
    return render_template(
        "incidents/new.html",
        form=form,
        person=person,
        asked=asked,
        subcategories=SUBCATEGORIES,
        strand_labels=STRAND_LABELS,
    )


@bp.route("/<int:incident_id>")
@roles_required(*CASE_ROLES)
def view(incident_id: int) -> str:
    page = incident_page(db_session(), current_user, incident_id)
    views: Any = current_app.view_functions
    return render_template(
        "incidents/view.html",
        incident=page.incident,
        person=page.person,
        area=page.area,
        creator=page.creator,
        # A victim linked by matching whom the viewer may not see stays unnamed here.
        can_view_person=page.can_view_person,
        strand_lines=page.strand_lines,
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
