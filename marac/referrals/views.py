"""Referral pages: partner referrals, 'your referrals', the referral page and screening."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import case, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from marac.accounts.models import Agency, Area, Role, User
from marac.actions.rules import STATUS_LABELS as ACTION_STATUS_LABELS
from marac.assessments.models import AssessmentStatus, RiskAssessment
from marac.audit import record
from marac.audit.models import AuditEvent
from marac.auth import require, roles_required
from marac.db import db_session, get_or_404, utcnow
from marac.formatting import format_date, format_datetime, uk_today
from marac.incidents.access import can_view_incident, viewable_incidents
from marac.incidents.labels import local_strand_names, strand_summary
from marac.incidents.models import INCIDENT_TYPE_LABELS, Incident
from marac.inputs import id_arg
from marac.meetings.agenda import KIND_LABELS as AGENDA_KIND_LABELS
from marac.meetings.agenda import panel_research_for
from marac.meetings.hearings import panel_history
from marac.pagination import paginate
from marac.people.access import can_view_person
from marac.people.models import Person
from marac.referrals import notices
from marac.referrals.access import (
    SCREENABLE_STATUSES,
    can_screen_referral,
    can_see_subject,
    can_view_referral,
    coordinator_scope,
    hidden_references,
    redact_references,
)
from marac.referrals.areas import area_for_postcode
from marac.referrals.forms import (
    DECLINE_REASONS,
    SUBJECT_SHORT_LABELS,
    AcceptForm,
    DeclineForm,
    MoreInfoForm,
    PartnerReferralForm,
    ReplyForm,
    VersionedForm,
)
from marac.referrals.models import (
    CONSENT_LABELS,
    OUTCOME_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    SUPPORT_STATUS_LABELS,
    Referral,
    ReferralIncident,
    ReferralSource,
    ReferralStatus,
    SubjectType,
)
from marac.referrals.needs import needs_from_person
from marac.referrals.triggers import (
    UNHEARD_STATUSES,
    as_earlier,
    earlier_referrals_of,
    higher_level,
    repeat_of,
    repeat_reason,
    rules_for_area,
    save_with_reference,
)

bp = Blueprint("referrals", __name__, url_prefix="/referrals")

OBJECT = "referral"
CASE_ROLES = (Role.REFERRER, Role.MEMBER, Role.COORDINATOR)
PARTNER_REASON = "Professional judgement: referred by {agency}"

# Audit actions shown as the referral's history, in the panel's words.
HISTORY_ACTIONS: dict[str, str] = {
    "referral_created": "Referred by a partner",
    "referral_created_automatically": "Referred automatically",
    "referral_trigger_added": "New trigger added",
    "referral_accepted": "Accepted",
    "referral_declined": "Declined",
    "referral_more_info_requested": "More information requested",
    "referral_info_added": "More information added by the referrer",
}

T = TypeVar("T")


# ---- helpers ----------------------------------------------------------------------------


def _by_id(model: type[T], ids: Iterable[int | None]) -> dict[int, T]:
    """Rows of `model` by id, in one query (none when there are no ids)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db_session().scalars(select(model).where(model.id.in_(wanted)))  # type: ignore[attr-defined]
    return {row.id: row for row in rows}  # type: ignore[attr-defined]


def _load(referral_id: int) -> Referral:
    referral = get_or_404(Referral, referral_id)
    return referral


def _days_waiting(referral: Referral, now: datetime) -> int:
    return max(0, (now - referral.created_at).days)


def _labels() -> dict[str, Any]:
    return {
        "source": SOURCE_LABELS,
        "status": STATUS_LABELS,
        "subject": SUBJECT_SHORT_LABELS,
        "consent": CONSENT_LABELS,
        "support": SUPPORT_STATUS_LABELS,
        "incident_type": INCIDENT_TYPE_LABELS,
        "outcome": OUTCOME_LABELS,
    }


def _incident_label(incident: Incident, strands: list[str]) -> str:
    kind = INCIDENT_TYPE_LABELS.get(incident.incident_type, incident.incident_type)
    text = f"{kind} on {format_date(incident.occurred_at)}"
    if incident.place:
        text += f", {incident.place}"
    if strands:
        text += f" ({'; '.join(strands)})"
    return text


def _ordered_queue(query: Any) -> Any:
    """High risk first, then repeats, then the longest waiting."""
    high_first = case((Referral.risk_level == "high", 0), else_=1)
    return query.order_by(
        high_first, Referral.is_repeat.desc(), Referral.created_at.asc(), Referral.id.asc()
    )


# ---- your referrals ---------------------------------------------------------------------


@bp.route("")
def index() -> str:
    """The referrals the signed-in user made (automatic ones name the assessor)."""
    db = db_session()
    query = (
        select(Referral)
        .where(Referral.referrer_id == current_user.id)
        .order_by(Referral.created_at.desc(), Referral.id.desc())
    )
    page = paginate(db, query, request.args.get("page", 1, type=int))
    people = _by_id(Person, (r.person_id for r in page.items))
    record(db, "referrals_listed", OBJECT, None, f"Listed own referrals, page {page.page}")
    db.commit()
    return render_template(
        "referrals/index.html",
        page=page,
        people=people,
        labels=_labels(),
        is_coordinator=current_user.has_role(Role.COORDINATOR),
        can_refer=not current_user.has_role(Role.ADMIN),
    )


# ---- partner referral -------------------------------------------------------------------


def _referral_context() -> tuple[Person | None, Incident | None]:
    """The person (and incident) the referral starts from, checking the user may see them."""
    db = db_session()
    incident_id = id_arg("incident_id")
    person_id = id_arg("person_id")
    incident: Incident | None = None
    if incident_id is not None:
        incident = get_or_404(Incident, incident_id)
        require(can_view_incident(current_user, incident))
        person_id = incident.person_id
    if person_id is None:
        return None, None
    person = get_or_404(Person, person_id)
    if incident is None:
        require(can_view_person(db, current_user, person))
    return person, incident


def _partner_area(
    db: Session, form: PartnerReferralForm, chosen: list[Incident], person: Person
) -> Area | None:
    """The location's postcode for a location, else the newest chosen incident's area."""
    if form.subject_type.data == SubjectType.LOCATION and form.location_postcode.data:
        area = area_for_postcode(db, form.location_postcode.data)
        if area is not None:
            return area
    for incident in sorted(chosen, key=lambda i: i.occurred_at, reverse=True):
        if incident.area_id is not None:
            return db.get(Area, incident.area_id)
    return area_for_postcode(db, person.postcode)


def _endorsed_level(db: Session, incidents: list[Incident]) -> str | None:
    """The highest endorsed level of the chosen incidents' assessments, if any (one query)."""
    if not incidents:
        return None
    levels = db.scalars(
        select(RiskAssessment.final_level).where(
            RiskAssessment.incident_id.in_([i.id for i in incidents]),
            RiskAssessment.status == AssessmentStatus.ENDORSED.value,
        )
    )
    level: str | None = None
    for value in levels:
        level = higher_level(level, value)
    return level


def _save_partner_referral(
    form: PartnerReferralForm, person: Person, incidents: dict[int, Incident]
) -> Referral:
    db = db_session()
    now = utcnow()
    chosen = [incidents[i] for i in form.incident_ids.data or [] if i in incidents]
    subject = form.subject_type.data
    is_location = subject == SubjectType.LOCATION
    area = _partner_area(db, form, chosen, person)
    agency = db.get(Agency, current_user.agency_id)
    reasons = [PARTNER_REASON.format(agency=agency.name if agency else "a partner agency")]
    previous = None
    is_repeat = False
    if not is_location:
        rules = rules_for_area(db, area.id if area else None)
        history = earlier_referrals_of(db, person.id)
        repeat = repeat_of(rules, now, as_earlier(history))
        if repeat is not None:
            is_repeat = True
            reasons.append(repeat_reason(rules, repeat))
        previous = history[0] if history else None
    consent = form.consent.data
    referral = Referral(
        risk_level=_endorsed_level(db, chosen),
        subject_type=subject,
        person_id=None if is_location else person.id,
        location=form.location.data if is_location else "",
        location_postcode=(form.location_postcode.data or "") if is_location else "",
        area_id=area.id if area else None,
        source=ReferralSource.PARTNER.value,
        status=ReferralStatus.NEW.value,
        previous_referral_id=previous.id if previous else None,
        is_repeat=is_repeat,
        trigger_reasons=reasons,
        referrer_id=current_user.id,
        referring_agency_id=current_user.agency_id,
        reasons=form.reasons.data,
        victim_views=form.victim_views.data or "",
        consent=consent,
        lawful_basis=(form.lawful_basis.data or "") if consent != "given" else "",
        needs=form.needs.data or "",
        support_status=form.support_status.data or "",
        support_service=(form.support_service.data or "") if form.support_status.data else "",
        created_at=now,
        updated_at=now,
    )
    save_with_reference(db, referral, now)
    for incident in chosen:
        db.add(ReferralIncident(referral_id=referral.id, incident_id=incident.id))
    record(
        db,
        "referral_created",
        OBJECT,
        referral.id,
        f"{referral.reference}: partner referral ({subject}) about "
        f"{len(chosen)} incident(s); area {area.name if area else 'not known'}"
        + ("; repeat" if is_repeat else ""),
    )
    notices.referral_created(db, referral)  # the area's coordinators
    return referral


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*CASE_ROLES)
def new() -> str | Response:
    """Refer a case on professional judgement, starting from a person or an incident."""
    db = db_session()
    person, incident = _referral_context()
    if person is None:
        return render_template(
            "referrals/record_first.html",
            can_record="incidents.new" in current_app.view_functions,
        )
    incidents = list(
        db.scalars(
            select(Incident)
            .where(Incident.person_id == person.id, viewable_incidents(current_user))
            .order_by(Incident.occurred_at.desc(), Incident.id.desc())
        )
    )
    if not incidents:
        return render_template(
            "referrals/record_first.html",
            person=person,
            can_record="incidents.new" in current_app.view_functions,
        )
    local_names = local_strand_names(db, incidents)
    form = PartnerReferralForm()
    form.incident_ids.choices = [
        (i.id, _incident_label(i, strand_summary(i, local_names))) for i in incidents
    ]
    # Linked by matching to someone the user may not see: nothing from the person's record.
    sees_person = can_view_person(db, current_user, person)
    if request.method == "GET":
        form.incident_ids.data = [incident.id if incident else incidents[0].id]
        form.needs.data = needs_from_person(person) if sees_person else ""
    if form.validate_on_submit():
        referral = _save_partner_referral(form, person, {i.id: i for i in incidents})
        db.commit()
        flash(f"Referral {referral.reference} sent to the MARAC coordinator.", "success")
        return redirect(url_for("referrals.view", referral_id=referral.id))
    open_referral = db.scalar(
        select(Referral)
        .where(Referral.person_id == person.id, Referral.status.in_(UNHEARD_STATUSES))
        .order_by(Referral.created_at.desc())
        .limit(1)
    )
    record(db, "referral_form_opened", "person", person.id, "Opened the partner referral form")
    db.commit()
    return render_template(
        "referrals/new.html",
        form=form,
        person=person,
        incident=incident,
        open_referral=open_referral
        if open_referral is not None and open_referral.referrer_id == current_user.id
        else None,
        has_open_referral=open_referral is not None and sees_person,
        can_view_incident_page="incidents.view" in current_app.view_functions,
    )


# ---- the referral page ------------------------------------------------------------------


def _screening_forms(referral: Referral, areas: list[Area]) -> dict[str, VersionedForm]:
    version = str(referral.version)
    accept = AcceptForm(prefix="accept", formdata=None, data={"version": version})
    accept.area_id.data = referral.area_id or 0
    decline = DeclineForm(prefix="decline", formdata=None, data={"version": version})
    more = MoreInfoForm(prefix="more", formdata=None, data={"version": version})
    _area_choices(accept, areas)
    return {"accept": accept, "decline": decline, "more": more}


def _area_choices(form: AcceptForm, areas: list[Area]) -> None:
    form.area_id.choices = [(0, "Select an area")] + [(a.id, a.name) for a in areas]


def _active_areas() -> list[Area]:
    return list(db_session().scalars(select(Area).where(Area.active).order_by(Area.name)))


def _render_view(
    referral: Referral,
    forms: dict[str, VersionedForm] | None = None,
    failed: VersionedForm | None = None,
) -> str:
    """The referral page; `failed` is a screening form to show with its errors."""
    db = db_session()
    person = db.get(Person, referral.person_id) if referral.person_id else None
    area = db.get(Area, referral.area_id) if referral.area_id else None
    incidents = list(
        db.scalars(
            select(Incident)
            .join(ReferralIncident, ReferralIncident.incident_id == Incident.id)
            .where(ReferralIncident.referral_id == referral.id)
            .order_by(Incident.occurred_at.desc())
        )
    )
    local_names = local_strand_names(db, incidents)
    previous_id = referral.previous_referral_id
    previous = db.get(Referral, previous_id) if previous_id else None
    users = _by_id(User, (referral.referrer_id, referral.screened_by_id))
    agency = db.get(Agency, referral.referring_agency_id) if referral.referring_agency_id else None
    history = list(
        db.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.object_type == OBJECT,
                AuditEvent.object_id == str(referral.id),
                AuditEvent.action.in_(list(HISTORY_ACTIONS)),
            )
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )
    can_screen = (
        can_screen_referral(current_user, referral) and referral.status in SCREENABLE_STATUSES
    )
    if can_screen and forms is None:
        forms = _screening_forms(referral, _active_areas())
    reply_form = None
    if referral.status == ReferralStatus.MORE_INFO and referral.referrer_id == current_user.id:
        reply_form = (
            failed
            if isinstance(failed, ReplyForm)
            else ReplyForm(prefix="reply", formdata=None, data={"version": str(referral.version)})
        )
    views: Any = current_app.view_functions
    # Reasons may name an earlier referral ("Repeat: previous MARAC referral CM-...").
    hidden = hidden_references(db, current_user, referral.trigger_reasons or [])
    return render_template(
        "referrals/view.html",
        reasons=[redact_references(r, hidden) for r in referral.trigger_reasons or []],
        sees_subject=can_see_subject(db, current_user, referral, person),
        referral=referral,
        person=person,
        area=area,
        incidents=[(i, strand_summary(i, local_names)) for i in incidents],
        # Only a previous referral the viewer may open is named (never its reference alone).
        previous=previous
        if previous is not None and can_view_referral(current_user, previous, db)
        else None,
        referrer=users.get(referral.referrer_id or 0),
        screened_by=users.get(referral.screened_by_id or 0),
        agency=agency,
        history=history,
        history_labels=HISTORY_ACTIONS,
        labels=_labels(),
        can_screen=can_screen,
        forms=forms or {},
        form=failed,
        reply_form=reply_form,
        days_waiting=_days_waiting(referral, utcnow()),
        can_view_person=person is not None
        and "people.view" in views
        and can_view_person(db, current_user, person),
        # Per incident: a panel member reading a listed case may not open its incidents.
        viewable_incident_ids={
            incident.id for incident in incidents if can_view_incident(current_user, incident)
        }
        if "incidents.view" in views
        else set(),
        is_coordinator=current_user.has_role(Role.COORDINATOR),
        panel_research=panel_research_for(db, current_user, referral.id),
        panel_history=panel_history(db, current_user, referral, uk_today()),
        kind_labels=AGENDA_KIND_LABELS,
        action_status_labels=ACTION_STATUS_LABELS,
    )


@bp.route("/<int:referral_id>")
def view(referral_id: int) -> str:
    db = db_session()
    referral = _load(referral_id)
    require(can_view_referral(current_user, referral, db))
    page = _render_view(referral)
    record(db, "referral_viewed", OBJECT, referral.id, f"Viewed {referral.reference}")
    db.commit()
    return page


# ---- screening actions ------------------------------------------------------------------


def _screenable(referral_id: int) -> Referral:
    referral = _load(referral_id)
    require(can_screen_referral(current_user, referral))
    return referral


def _commit_or_conflict(
    referral: Referral, form: VersionedForm, forms: dict[str, VersionedForm] | None
) -> str | None:
    """Commit; on a concurrent change re-render with the conflict message instead."""
    db = db_session()
    try:
        db.commit()
    except StaleDataError:
        db.rollback()
        fresh = _load(referral.id)
        form.show_conflict(fresh.version)
        return _render_view(fresh, forms, form)
    return None


def _not_screenable_any_more(referral: Referral) -> Response:
    flash(
        f"{referral.reference} has already been screened: it is "
        f"{STATUS_LABELS[referral.status].lower()}.",
        "info",
    )
    return redirect(url_for("referrals.view", referral_id=referral.id))


@bp.route("/<int:referral_id>/accept", methods=["POST"])
@roles_required(Role.COORDINATOR)
def accept(referral_id: int) -> str | Response:
    db = db_session()
    referral = _screenable(referral_id)
    areas = _active_areas()
    forms = _screening_forms(referral, areas)
    form = AcceptForm(prefix="accept")
    _area_choices(form, areas)
    forms["accept"] = form
    if referral.status not in SCREENABLE_STATUSES:
        return _not_screenable_any_more(referral)
    if not form.validate_on_submit():
        return _render_view(referral, forms, form)
    if not form.version_matches(referral.version):
        form.show_conflict(referral.version)
        return _render_view(referral, forms, form)
    now = utcnow()
    moved = referral.area_id != form.area_id.data
    old_area = referral.area_id
    referral.area_id = form.area_id.data
    referral.status = ReferralStatus.ACCEPTED.value
    referral.screened_by_id = current_user.id
    referral.screened_at = now
    area_name = next((a.name for a in areas if a.id == form.area_id.data), "")
    summary = f"Accepted {referral.reference} for {area_name}"
    if moved:
        summary += f" (area changed from {old_area or 'not known'})"
    record(db, "referral_accepted", OBJECT, referral.id, summary)
    conflict = _commit_or_conflict(referral, form, forms)
    if conflict is not None:
        return conflict
    flash(f"{referral.reference} accepted: it waits for the next {area_name} panel.", "success")
    return redirect(url_for("referrals.screening"))


@bp.route("/<int:referral_id>/decline", methods=["POST"])
@roles_required(Role.COORDINATOR)
def decline(referral_id: int) -> str | Response:
    db = db_session()
    referral = _screenable(referral_id)
    forms = _screening_forms(referral, _active_areas())
    form = DeclineForm(prefix="decline")
    forms["decline"] = form
    if referral.status not in SCREENABLE_STATUSES:
        return _not_screenable_any_more(referral)
    if not form.validate_on_submit():
        return _render_view(referral, forms, form)
    if not form.version_matches(referral.version):
        form.show_conflict(referral.version)
        return _render_view(referral, forms, form)
    reason = DECLINE_REASONS[form.reason.data]
    referral.status = ReferralStatus.DECLINED.value
    referral.screened_by_id = current_user.id
    referral.screened_at = utcnow()
    referral.screening_note = f"Declined: {reason}. {form.details.data}"
    record(db, "referral_declined", OBJECT, referral.id, f"Declined {referral.reference}: {reason}")
    conflict = _commit_or_conflict(referral, form, forms)
    if conflict is not None:
        return conflict
    flash(f"{referral.reference} declined. The referrer can see why.", "success")
    return redirect(url_for("referrals.screening"))


@bp.route("/<int:referral_id>/more-information", methods=["POST"])
@roles_required(Role.COORDINATOR)
def more_info(referral_id: int) -> str | Response:
    db = db_session()
    referral = _screenable(referral_id)
    forms = _screening_forms(referral, _active_areas())
    form = MoreInfoForm(prefix="more")
    forms["more"] = form
    if referral.status not in SCREENABLE_STATUSES:
        return _not_screenable_any_more(referral)
    if not form.validate_on_submit():
        return _render_view(referral, forms, form)
    if not form.version_matches(referral.version):
        form.show_conflict(referral.version)
        return _render_view(referral, forms, form)
    referral.status = ReferralStatus.MORE_INFO.value
    referral.screened_by_id = current_user.id
    referral.screened_at = utcnow()
    referral.screening_note = form.request_text.data
    record(
        db,
        "referral_more_info_requested",
        OBJECT,
        referral.id,
        f"Asked the referrer of {referral.reference} for more information",
    )
    notices.more_info_requested(db, referral)  # the referrer
    conflict = _commit_or_conflict(referral, form, forms)
    if conflict is not None:
        return conflict
    flash(f"Asked the referrer of {referral.reference} for more information.", "success")
    return redirect(url_for("referrals.screening"))


@bp.route("/<int:referral_id>/reply", methods=["POST"])
def reply(referral_id: int) -> str | Response:
    """The referrer answers the coordinator's request; the referral goes back for screening."""
    db = db_session()
    referral = _load(referral_id)
    require(referral.referrer_id == current_user.id and not current_user.has_role(Role.ADMIN))
    if referral.status != ReferralStatus.MORE_INFO:
        flash(f"{referral.reference} is not waiting for more information.", "info")
        return redirect(url_for("referrals.view", referral_id=referral.id))
    form = ReplyForm(prefix="reply")
    if not form.validate_on_submit():
        return _render_view(referral, None, form)
    if not form.version_matches(referral.version):
        form.show_conflict(referral.version)
        return _render_view(referral, None, form)
    now = utcnow()
    addition = f"More information added on {format_datetime(now)}:\n{form.information.data}"
    referral.reasons = f"{referral.reasons}\n\n{addition}".strip()
    referral.status = ReferralStatus.NEW.value
    record(
        db,
        "referral_info_added",
        OBJECT,
        referral.id,
        f"The referrer added information to {referral.reference}",
    )
    conflict = _commit_or_conflict(referral, form, None)
    if conflict is not None:
        return conflict
    flash(f"Information added to {referral.reference}. It is back with the coordinator.", "success")
    return redirect(url_for("referrals.view", referral_id=referral.id))


# ---- coordinator lists ------------------------------------------------------------------


@bp.route("/screening")
@roles_required(Role.COORDINATOR)
def screening() -> str:
    """New referrals and answered requests in the coordinator's areas, most urgent first."""
    db = db_session()
    query = _ordered_queue(
        select(Referral).where(
            Referral.status.in_(SCREENABLE_STATUSES), coordinator_scope(current_user)
        )
    )
    page = paginate(db, query, request.args.get("page", 1, type=int))
    people = _by_id(Person, (r.person_id for r in page.items))
    areas = _by_id(Area, (r.area_id for r in page.items))
    record(db, "screening_queue_viewed", OBJECT, None, f"Screening queue page {page.page}")
    db.commit()
    return render_template(
        "referrals/screening.html",
        page=page,
        people=people,
        areas=areas,
        labels=_labels(),
        now=utcnow(),
        days_waiting=_days_waiting,
    )


@bp.route("/high-risk")
@roles_required(Role.COORDINATOR)
def high_risk_waiting() -> str:
    """High-risk cases not yet heard at a panel, the longest waiting first."""
    db = db_session()
    query = (
        select(Referral)
        .where(
            Referral.risk_level == "high",
            Referral.status.in_(UNHEARD_STATUSES),
            coordinator_scope(current_user),
        )
        .order_by(Referral.created_at.asc(), Referral.id.asc())
    )
    page = paginate(db, query, request.args.get("page", 1, type=int))
    people = _by_id(Person, (r.person_id for r in page.items))
    areas = _by_id(Area, (r.area_id for r in page.items))
    record(db, "high_risk_list_viewed", OBJECT, None, f"High risk not yet heard, page {page.page}")
    db.commit()
    return render_template(
        "referrals/high_risk.html",
        page=page,
        people=people,
        areas=areas,
        labels=_labels(),
        now=utcnow(),
        days_waiting=_days_waiting,
    )
