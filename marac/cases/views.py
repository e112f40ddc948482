"""The case page: a referral with what the panel made of it (hearings, research, actions).

It composes referrals with meetings and actions, so it sits above them. The page and
the screening and reply forms on it keep their URLs and `referrals.*` endpoints (the
blueprint is shared, `marac.referrals.blueprint`). Each view parses, calls one
operation or query, and renders or redirects.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marac.accounts.models import Area, Role
from marac.auth import require, roles_required
from marac.cases import queries as case_queries
from marac.db import db_session, get_or_404, utcnow
from marac.formatting import uk_today
from marac.forms import show_invalid
from marac.operations import Conflict, Invalid, NotFound
from marac.referrals import operations, queries
from marac.referrals.access import SCREENABLE_STATUSES, can_screen_referral
from marac.referrals.blueprint import bp
from marac.referrals.forms import (
    AcceptForm,
    DeclineForm,
    MergeForm,
    MoreInfoForm,
    ReplyForm,
    VersionedForm,
)
from marac.referrals.labels import page_labels
from marac.referrals.models import STATUS_LABELS, Referral, ReferralStatus

# ---- the referral page ------------------------------------------------------------------


def _screening_forms(referral: Referral, areas: list[Area]) -> dict[str, VersionedForm]:
    version = str(referral.version)
    accept = AcceptForm(prefix="accept", formdata=None, data={"version": version})
    accept.area_id.data = referral.area_id or 0
    decline = DeclineForm(prefix="decline", formdata=None, data={"version": version})
    more = MoreInfoForm(prefix="more", formdata=None, data={"version": version})
    merge = MergeForm(prefix="merge", formdata=None, data={"version": version})
    _area_choices(accept, areas)
    return {"accept": accept, "decline": decline, "more": more, "merge": merge}


def _area_choices(form: AcceptForm, areas: list[Area]) -> None:
    form.area_id.choices = [(0, "Select an area")] + [(a.id, a.name) for a in areas]


def _render_view(
    referral: Referral,
    forms: dict[str, VersionedForm] | None = None,
    failed: VersionedForm | None = None,
) -> str:
    """The referral page; `failed` is a screening form to show with its errors."""
    db = db_session()
    page = case_queries.case_page(db, current_user, referral, utcnow(), uk_today())
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
        labels=page_labels(),
        forms=forms or {},
        form=failed,
        reply_form=reply_form,
        can_view_person=page["sees_person"] and "people.view" in views,
        viewable_incident_ids=viewable_incident_ids if "incidents.view" in views else set(),
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
    except operations.CannotMerge as error:
        flash(error.message, "info")
        return redirect(url_for("referrals.view", referral_id=referral.id))
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


@bp.route("/<int:referral_id>/merge", methods=["POST"])
@roles_required(Role.COORDINATOR)
def merge(referral_id: int) -> str | Response:
    """Fold the referral into the person's other open referral (one person, one case)."""
    referral = _screenable(referral_id)
    forms = _screening_forms(referral, queries.active_areas(db_session()))
    form = MergeForm(prefix="merge")
    forms["merge"] = form
    if referral.status not in SCREENABLE_STATUSES:
        return _not_screenable_any_more(referral)
    try:
        into_id = int(form.into_id.data or "")
    except ValueError:
        into_id = 0
    merged: list[Referral] = []
    try:
        shown = _screen(
            referral,
            form,
            forms,
            lambda: merged.append(
                operations.merge_referral(
                    db_session(), current_user, referral.id, version=_version(form),
                    into_id=into_id,
                )
            ),
        )  # fmt: skip
    except NotFound:
        shown = _render_view(referral, forms, None)
    if shown is not None:
        return shown
    into = merged[0]
    flash(f"{referral.reference} merged into {into.reference}.", "success")
    return redirect(url_for("referrals.view", referral_id=into.id))


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
