"""Referral pages: partner referrals, 'your referrals', the referral page and screening.

Each view parses its form, calls one operation or query of `marac.referrals` and renders
or redirects; the rules (who may, what a referral must say, stale versions) live there.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marac.accounts.models import Area, Role
from marac.actions.rules import STATUS_LABELS as ACTION_STATUS_LABELS
from marac.auth import require, roles_required
from marac.db import db_session, get_or_404, utcnow
from marac.formatting import format_date, uk_today
from marac.forms import show_invalid
from marac.incidents.models import INCIDENT_TYPE_LABELS, Incident
from marac.inputs import id_arg
from marac.meetings.agenda import KIND_LABELS as AGENDA_KIND_LABELS
from marac.meetings.agenda import panel_research_for
from marac.meetings.hearings import panel_history
from marac.operations import Conflict, Invalid
from marac.referrals import operations, queries
from marac.referrals.access import SCREENABLE_STATUSES, can_screen_referral
from marac.referrals.forms import (
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
    ReferralStatus,
)
from marac.referrals.needs import needs_from_person

bp = Blueprint("referrals", __name__, url_prefix="/referrals")

CASE_ROLES = operations.CASE_ROLES


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


def _page_number() -> int:
    return request.args.get("page", 1, type=int)


# ---- your referrals ---------------------------------------------------------------------


@bp.route("")
def index() -> str:
    """The referrals the signed-in user made (automatic ones name the assessor)."""
    listed = queries.own_referrals(db_session(), current_user, _page_number())
    return render_template(
        "referrals/index.html",
        page=listed.page,
        people=listed.people,
        labels=_labels(),
        is_coordinator=current_user.has_role(Role.COORDINATOR),
        can_refer=not current_user.has_role(Role.ADMIN),
    )


# ---- partner referral -------------------------------------------------------------------


def _partner_referral(form: PartnerReferralForm) -> operations.PartnerReferral:
    return operations.PartnerReferral(
        subject_type=form.subject_type.data or "",
        incident_ids=list(form.incident_ids.data or []),
        reasons=form.reasons.data or "",
        consent=form.consent.data or "",
        location=form.location.data or "",
        location_postcode=form.location_postcode.data or "",
        victim_views=form.victim_views.data or "",
        lawful_basis=form.lawful_basis.data or "",
        needs=form.needs.data or "",
        support_status=form.support_status.data or "",
        support_service=form.support_service.data or "",
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*CASE_ROLES)
def new() -> str | Response:
    """Refer a case on professional judgement, starting from a person or an incident."""
    db = db_session()
    start = queries.referral_start(db, current_user, id_arg("person_id"), id_arg("incident_id"))
    can_record = "incidents.new" in current_app.view_functions
    if start.person is None:
        return render_template("referrals/record_first.html", can_record=can_record)
    if not start.incidents:
        return render_template(
            "referrals/record_first.html", person=start.person, can_record=can_record
        )
    form = PartnerReferralForm()
    form.incident_ids.choices = [
        (i.id, _incident_label(i, start.strands[i.id])) for i in start.incidents
    ]
    if request.method == "GET":
        form.incident_ids.data = [start.incident.id if start.incident else start.incidents[0].id]
        form.needs.data = needs_from_person(start.person) if start.sees_person else ""
    if form.validate_on_submit():
        try:
            referral = operations.refer_case(
                db, current_user, start.person.id, _partner_referral(form)
            )
        except Invalid as error:
            show_invalid(form, error)
        else:
            flash(f"Referral {referral.reference} sent to the MARAC coordinator.", "success")
            return redirect(url_for("referrals.view", referral_id=referral.id))
    queries.opened_referral_form(db, current_user, start.person)
    return render_template(
        "referrals/new.html",
        form=form,
        person=start.person,
        incident=start.incident,
        open_referral=start.open_referral,
        has_open_referral=start.has_open_referral,
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


def _render_view(
    referral: Referral,
    forms: dict[str, VersionedForm] | None = None,
    failed: VersionedForm | None = None,
) -> str:
    """The referral page; `failed` is a screening form to show with its errors."""
    db = db_session()
    page = queries.referral_page(db, current_user, referral, utcnow())
    viewable_incident_ids = page.pop("viewable_incident_ids")
    if page["can_screen"] and forms is None:
        forms = _screening_forms(referral, queries.active_areas(db))
    reply_form = None
    if page["can_reply"]:
        reply_form = (
            failed
            if isinstance(failed, ReplyForm)
            else ReplyForm(prefix="reply", formdata=None, data={"version": str(referral.version)})
        )
    views: Any = current_app.view_functions
    return render_template(
        "referrals/view.html",
        **page,
        labels=_labels(),
        forms=forms or {},
        form=failed,
        reply_form=reply_form,
        can_view_person=page["sees_person"] and "people.view" in views,
        viewable_incident_ids=viewable_incident_ids if "incidents.view" in views else set(),
        panel_research=panel_research_for(db, current_user, referral.id),
        panel_history=panel_history(db, current_user, referral, uk_today()),
        kind_labels=AGENDA_KIND_LABELS,
        action_status_labels=ACTION_STATUS_LABELS,
    )


@bp.route("/<int:referral_id>")
def view(referral_id: int) -> str:
    db = db_session()
    referral = queries.visible_referral(db, current_user, referral_id)
    page = _render_view(referral)
    queries.viewed_referral(db, current_user, referral)
    return page


# ---- screening actions ------------------------------------------------------------------


def _screenable(referral_id: int) -> Referral:
    referral = get_or_404(Referral, referral_id)
    require(can_screen_referral(current_user, referral))
    return referral


def _not_screenable_any_more(referral: Referral) -> Response:
    flash(
        f"{referral.reference} has already been screened: it is "
        f"{STATUS_LABELS[referral.status].lower()}.",
        "info",
    )
    return redirect(url_for("referrals.view", referral_id=referral.id))


def _version(form: VersionedForm) -> int:
    try:
        return int(form.version.data or "")
    except ValueError:
        return -1


def _screen(
    referral: Referral,
    form: VersionedForm,
    forms: dict[str, VersionedForm] | None,
    decide: Any,
) -> str | Response | None:
    """Validate `form` and run `decide()`; a page to show instead, or None when it saved."""
    if not form.validate_on_submit():
        return _render_view(referral, forms, form)
    try:
        decide()
    except operations.AlreadyScreened:
        return _not_screenable_any_more(get_or_404(Referral, referral.id))
    except operations.NotWaitingForInformation:
        return _not_waiting(get_or_404(Referral, referral.id))
    except Conflict:
        fresh = get_or_404(Referral, referral.id)
        form.show_conflict(fresh.version)
        return _render_view(fresh, forms, form)
    except Invalid as error:
        show_invalid(form, error)
        return _render_view(referral, forms, form)
    return None


@bp.route("/<int:referral_id>/accept", methods=["POST"])
@roles_required(Role.COORDINATOR)
def accept(referral_id: int) -> str | Response:
    referral = _screenable(referral_id)
    areas = queries.active_areas(db_session())
    forms = _screening_forms(referral, areas)
    form = AcceptForm(prefix="accept")
    _area_choices(form, areas)
    forms["accept"] = form
    if referral.status not in SCREENABLE_STATUSES:
        return _not_screenable_any_more(referral)
    shown = _screen(
        referral,
        form,
        forms,
        lambda: operations.accept_referral(
            db_session(), current_user, referral.id, version=_version(form),
            area_id=form.area_id.data,
        ),
    )  # fmt: skip
    if shown is not None:
        return shown
    area_name = next((a.name for a in areas if a.id == form.area_id.data), "")
    flash(f"{referral.reference} accepted: it waits for the next {area_name} panel.", "success")
    return redirect(url_for("referrals.screening"))


@bp.route("/<int:referral_id>/decline", methods=["POST"])
@roles_required(Role.COORDINATOR)
def decline(referral_id: int) -> str | Response:
    referral = _screenable(referral_id)
    forms = _screening_forms(referral, queries.active_areas(db_session()))
    form = DeclineForm(prefix="decline")
    forms["decline"] = form
    if referral.status not in SCREENABLE_STATUSES:
        return _not_screenable_any_more(referral)
    shown = _screen(
        referral,
        form,
        forms,
        lambda: operations.decline_referral(
            db_session(), current_user, referral.id, version=_version(form),
            reason=form.reason.data or "", details=form.details.data or "",
        ),
    )  # fmt: skip
    if shown is not None:
        return shown
    flash(f"{referral.reference} declined. The referrer can see why.", "success")
    return redirect(url_for("referrals.screening"))


@bp.route("/<int:referral_id>/more-information", methods=["POST"])
@roles_required(Role.COORDINATOR)
def more_info(referral_id: int) -> str | Response:
    referral = _screenable(referral_id)
    forms = _screening_forms(referral, queries.active_areas(db_session()))
    form = MoreInfoForm(prefix="more")
    forms["more"] = form
    if referral.status not in SCREENABLE_STATUSES:
        return _not_screenable_any_more(referral)
    shown = _screen(
        referral,
        form,
        forms,
        lambda: operations.request_more_information(
            db_session(), current_user, referral.id, version=_version(form),
            request_text=form.request_text.data or "",
        ),
    )  # fmt: skip
    if shown is not None:
        return shown
    flash(f"Asked the referrer of {referral.reference} for more information.", "success")
    return redirect(url_for("referrals.screening"))


def _not_waiting(referral: Referral) -> Response:
    flash(f"{referral.reference} is not waiting for more information.", "info")
    return redirect(url_for("referrals.view", referral_id=referral.id))


@bp.route("/<int:referral_id>/reply", methods=["POST"])
def reply(referral_id: int) -> str | Response:
    """The referrer answers the coordinator's request; the referral goes back for screening."""
    referral = get_or_404(Referral, referral_id)
    require(referral.referrer_id == current_user.id and not current_user.has_role(Role.ADMIN))
    if referral.status != ReferralStatus.MORE_INFO:
        return _not_waiting(referral)
    form = ReplyForm(prefix="reply")
    shown = _screen(
        referral,
        form,
        None,
        lambda: operations.add_information(
            db_session(), current_user, referral.id, version=_version(form),
            information=form.information.data or "",
        ),
    )  # fmt: skip
    if shown is not None:
        return shown
    flash(f"Information added to {referral.reference}. It is back with the coordinator.", "success")
    return redirect(url_for("referrals.view", referral_id=referral.id))


# ---- coordinator lists ------------------------------------------------------------------


@bp.route("/screening")
@roles_required(Role.COORDINATOR)
def screening() -> str:
    """New referrals and answered requests in the coordinator's areas, most urgent first."""
    listed = queries.screening_queue(db_session(), current_user, _page_number())
    return render_template(
        "referrals/screening.html",
        page=listed.page,
        people=listed.people,
        areas=listed.areas,
        labels=_labels(),
        now=utcnow(),
        days_waiting=queries.days_waiting,
    )


@bp.route("/high-risk")
@roles_required(Role.COORDINATOR)
def high_risk_waiting() -> str:
    """High-risk cases not yet heard at a panel, the longest waiting first."""
    listed = queries.high_risk_waiting(db_session(), current_user, _page_number())
    return render_template(
        "referrals/high_risk.html",
        page=listed.page,
        people=listed.people,
        areas=listed.areas,
        labels=_labels(),
        now=utcnow(),
        days_waiting=queries.days_waiting,
    )
