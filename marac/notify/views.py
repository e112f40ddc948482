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
from sqlalchemy import select, update
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import BooleanField, SubmitField

from marac.accounts.models import Role
from marac.audit import record
from marac.auth import admin_required, roles_required
from marac.db import db_session, utcnow
from marac.notify.events import unread_count
from marac.notify.models import Notification, NotificationPreference, OutboxMessage
from marac.pagination import paginate

bp = Blueprint("notify", __name__)

USER_ROLES = (Role.REFERRER, Role.MEMBER, Role.COORDINATOR)


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
    db = db_session()
    query = (
        select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.id.desc())
    )
    page = paginate(db, query, request.args.get("page", 1, type=int), per_page=50)
    return render_template("notify/index.html", page=page, form=EmptyForm())


@bp.post("/notifications/<int:notification_id>/read")
@roles_required(*USER_ROLES)
def mark_read(notification_id: int) -> WerkzeugResponse:
    db = db_session()
    notification = db.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)  # someone else's notification is none of this user's business
    if not EmptyForm().validate_on_submit():
        abort(400)
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.commit()
    return redirect(_safe_link(notification.link))


@bp.post("/notifications/read-all")
@roles_required(*USER_ROLES)
def mark_all_read() -> WerkzeugResponse:
    if not EmptyForm().validate_on_submit():
        abort(400)
    db = db_session()
    db.execute(
        update(Notification)
        .where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.commit()
    flash("All notifications marked as read", "success")
    return redirect(url_for("notify.index"))


@bp.route("/notifications/preferences", methods=["GET", "POST"])
@roles_required(*USER_ROLES)
def preferences() -> Any:
    db = db_session()
    pref = db.get(NotificationPreference, current_user.id)
    form = PreferencesForm(data={"digests": pref.digests if pref else True})
    if request.method == "POST":
        form = PreferencesForm()
        if form.validate_on_submit():
            if pref is None:
                pref = NotificationPreference(user_id=current_user.id)
                db.add(pref)
            pref.digests = bool(form.digests.data)
            record(
                db,
                "notification_preferences_changed",
                "user",
                current_user.id,
                f"Weekly digests {'on' if pref.digests else 'off'}",
            )
            db.commit()
            flash("Your email preferences have been saved", "success")
            return redirect(url_for("notify.preferences"))
    return render_template("notify/preferences.html", form=form)


@bp.get("/admin/outbox")
@admin_required
def outbox() -> str:
    """Admins read stored emails (subject, recipient, link: no case details by design)."""
    db = db_session()
    page = paginate(
        db,
        select(OutboxMessage).order_by(OutboxMessage.id.desc()),
        request.args.get("page", 1, type=int),
        per_page=50,
    )
    record(db, "outbox_viewed", "outbox", None, f"Viewed the email outbox page {page.page}")
    db.commit()
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
