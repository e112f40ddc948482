"""The in-app notification list, email preferences, and the admins' outbox page."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovSubmitInput
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import BooleanField, SubmitField

from marac.accounts.models import Role
from marac.auth import admin_required, roles_required
from marac.db import db_session
from marac.notify import operations
from marac.notify.events import unread_count
from marac.notify.queries import USER_ROLES, my_notifications, own_notification, wants_digests

bp = Blueprint("notify", __name__)


class PreferencesForm(FlaskForm):
    digests = BooleanField(
        "Send me the weekly digest of my agency's overdue actions", widget=GovCheckboxInput()
    )
    submit = SubmitField("Save preferences", widget=GovSubmitInput())


class EmptyForm(FlaskForm):
    """CSRF only: the mark-as-read buttons."""


def _safe_link(link: str) -> str:
    """Only paths inside this service are followed."""
    return link if link.startswith("/") and not link.startswith("//") else url_for("notify.index")


@bp.get("/notifications")
@roles_required(*USER_ROLES)
def index() -> str:
    page = my_notifications(db_session(), current_user, request.args.get("page", 1, type=int))
    return render_template("notify/index.html", page=page, form=EmptyForm())


@bp.post("/notifications/<int:notification_id>/read")
@roles_required(*USER_ROLES)
def mark_read(notification_id: int) -> WerkzeugResponse:
    db = db_session()
    own_notification(db, current_user, notification_id)  # 404 before the CSRF check, as before
    if not EmptyForm().validate_on_submit():
        abort(400)
    notification = operations.mark_read(db, current_user, notification_id)
    return redirect(_safe_link(notification.link))


@bp.post("/notifications/read-all")
@roles_required(*USER_ROLES)
def mark_all_read() -> WerkzeugResponse:
    if not EmptyForm().validate_on_submit():
        abort(400)
    operations.mark_all_read(db_session(), current_user)
    flash("All notifications marked as read", "success")
    return redirect(url_for("notify.index"))


@bp.route("/notifications/preferences", methods=["GET", "POST"])
@roles_required(*USER_ROLES)
def preferences() -> Any:
    db = db_session()
    form = PreferencesForm(data={"digests": wants_digests(db, current_user)})
    if request.method == "POST":
        form = PreferencesForm()
        if form.validate_on_submit():
            operations.set_preferences(db, current_user, digests=bool(form.digests.data))
            flash("Your email preferences have been saved", "success")
            return redirect(url_for("notify.preferences"))
    return render_template("notify/preferences.html", form=form)


@bp.get("/admin/outbox")
@admin_required
def outbox() -> str:
    """Admins read stored emails (subject, recipient, link: no case details by design)."""
    page = operations.view_outbox(db_session(), current_user, request.args.get("page", 1, type=int))
    # An invitation or reset link would let whoever reads it take over that account, so
    # only a development machine (where the outbox is the only way to get one) shows it.
    show_links = current_app.config["MARAC_SETTINGS"].env == "development"
    return render_template(
        "notify/outbox.html", page=page, shown=lambda text: text if show_links else hide_links(text)
    )


ACCOUNT_LINK = re.compile(r"/invitation/[A-Za-z0-9_\-]+")


def hide_links(text: str | None) -> str:
    """The text with the secret part of account links taken out."""
    return ACCOUNT_LINK.sub("/invitation/(hidden)", text or "")


def unread_notifications_context() -> dict[str, Callable[[], int]]:
    """Template context: `unread_notifications()` for the header, one query when used."""
    cache: list[int] = []

    def count() -> int:
        if not cache:
            user = current_user
            if not getattr(user, "is_authenticated", False) or user.has_role(Role.ADMIN):
                cache.append(0)
            else:
                cache.append(unread_count(db_session(), user))
        return cache[0]

    return {"unread_notifications": count}
