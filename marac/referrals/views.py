"""Referral pages: partner referrals, 'your referrals' and the coordinator's lists.

The referral page itself, with its screening forms, is the case page (`marac.cases.views`).

Each view parses its form, calls one operation or query of `marac.referrals` and renders
or redirects; the rules (who may, what a referral must say, stale versions) live there.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marac.accounts.models import Role
from marac.auth import roles_required
from marac.db import db_session, utcnow
from marac.forms import show_invalid
from marac.incidents.models import Incident
from marac.incidents.titles import incident_title
from marac.inputs import id_arg
from marac.operations import Conflict, Invalid
from marac.referrals import operations, queries
from marac.referrals.blueprint import bp
from marac.referrals.consent import SharingBasis
from marac.referrals.forms import PartnerReferralForm, SharingBasisForm
from marac.referrals.labels import page_labels
from marac.referrals.needs import needs_from_person

CASE_ROLES = operations.CASE_ROLES


def _incident_label(incident: Incident, strands: list[str]) -> str:
    text = incident_title(incident)  # no address: the same title as everywhere else
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
        labels=page_labels(),
        is_coordinator=current_user.has_role(Role.COORDINATOR),
        can_refer=not current_user.has_role(Role.ADMIN),
    )


@bp.app_template_global("incident_referrals")
def incident_referrals(incident_id: int) -> list[tuple[Any, str]]:
    """The incident page's referrals and their status in words (incidents sit below
    referrals, so the page asks here)."""
    statuses = page_labels()["status"]
    return [
        (r, statuses.get(r.status, r.status))
        for r in queries.incident_referrals(db_session(), current_user, incident_id)
    ]


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
        consent_reason=form.consent_reason.data or "",
        lawful_basis_code=form.lawful_basis_code.data or "",
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


# ---- the victim's views, consent and lawful basis (screening) ---------------------------


def _version_of(form: SharingBasisForm) -> int:
    try:
        return int(form.version.data or "")
    except ValueError:
        return -1


@bp.route("/<int:referral_id>/sharing-basis", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def sharing_basis(referral_id: int) -> str | Response:
    """Record the victim's views, consent and, without consent, the lawful basis."""
    db = db_session()
    referral = queries.sharing_basis_page(db, current_user, referral_id)
    form = SharingBasisForm()
    if request.method == "GET":
        form.version.data = str(referral.version)
        form.victim_views.data = referral.victim_views
        # An automatic referral's "not sought" is a default, not an answer: ask afresh.
        recorded = referral.consent_reason or referral.lawful_basis_code
        form.consent.data = referral.consent if recorded or referral.consent == "given" else None
        form.consent_reason.data = referral.consent_reason
        form.lawful_basis_code.data = referral.lawful_basis_code or None
        form.lawful_basis.data = referral.lawful_basis
    elif form.validate_on_submit():
        basis = SharingBasis(
            victim_views=form.victim_views.data or "",
            consent=form.consent.data or "",
            consent_reason=form.consent_reason.data or "",
            lawful_basis_code=form.lawful_basis_code.data or "",
            lawful_basis=form.lawful_basis.data or "",
        )
        try:
            operations.record_sharing_basis(
                db, current_user, referral.id, version=_version_of(form), basis=basis
            )
        except Conflict:  # the operation rolled back; show the latest version
            form.show_conflict(queries.sharing_basis_page(db, current_user, referral_id).version)
        except Invalid as error:
            show_invalid(form, error)
        else:
            flash(f"Views, consent and lawful basis recorded for {referral.reference}.", "success")
            return redirect(url_for("referrals.view", referral_id=referral.id, _anchor="consent"))
    return render_template(
        "referrals/sharing_basis.html", form=form, referral=referral, labels=page_labels()
    )


# ---- coordinator lists ------------------------------------------------------------------


@bp.route("/screening")
@roles_required(Role.COORDINATOR)
def screening() -> str:
    """New referrals and answered requests in the coordinator's areas, most urgent first."""
    # A link without a page (the menu, the home page) opens the queue afresh.
    opened = "page" not in request.args
    listed = queries.screening_queue(db_session(), current_user, _page_number(), opened=opened)
    return render_template(
        "referrals/screening.html",
        page=listed.page,
        people=listed.people,
        areas=listed.areas,
        new_ids=listed.new_ids,
        new_since=listed.new_since,
        basis_needed=listed.basis_needed,
        labels=page_labels(),
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
        labels=page_labels(),
        now=utcnow(),
        days_waiting=queries.days_waiting,
    )
