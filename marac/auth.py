"""Sign-in plumbing and the authorisation checks every view uses.

Views declare who may use them with `@roles_required(...)`; case pages call
`require(...)` with a rule such as "this user can see this referral". Anything
not explicitly public needs a signed-in user (see `PUBLIC_ENDPOINTS`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask_login import LoginManager, current_user
from sqlalchemy.orm import Session

from marac.accounts.models import Role, User
from marac.accounts.sessions import find_session, is_idle, needs_touch
from marac.accounts.signin import (
    SECOND_FACTOR_ENDPOINTS,
    SESSION_TOKEN_KEY,
    current_session,
    end_session,
    second_factor_endpoint,
)
from marac.audit import record
from marac.db import db_session, utcnow

P = ParamSpec("P")
R = TypeVar("R")

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = "Sign in to continue."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"

# Endpoints a visitor may reach without signing in.
PUBLIC_ENDPOINTS = frozenset(
    {
        "static",
        "assets",
        "accounts.login",
        "accounts.accept_invitation",
        "sso.start",  # single sign-on with an agency's provider
        "sso.callback",
        "pages.accessibility",
        "pages.privacy",
        "health.healthz",
        "panels.calendar_ics",  # the secret token in the URL is the key
        # The API door (marac.api) checks its own bearer token; a cookie opens nothing there.
        "api.openapi_json",
        "api.reference",
        "api.instruments",
        "api.instrument",
        "api.strands",
        "api.create_incident",
        "api.incident_status",
        "api.create_assessment",
        "api.assessment_status",
    }
)
API_PATHS = "/api/"  # every API path, routed or not, skips the cookie sign-in checks


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """The user of the cookie's live `user_session` row: revoked rows open nothing."""
    row = find_session(db_session(), session.get(SESSION_TOKEN_KEY))
    if row is None:
        return None
    user = row.user
    # The version check also ends sessions at once when a role or agency changes.
    if user.get_id() != user_id or not user.active or user.is_service:
        return None
    g.user_session = row
    return user


def enforce_login_and_idle_timeout() -> object | None:
    """Before every request: require sign-in, the second factor, and recent activity.

    Idleness is measured from the session row, not the cookie, so a copied cookie does
    not outlive the timeout; last-seen is written at most once a minute.
    """
    endpoint = request.endpoint or ""
    if endpoint in PUBLIC_ENDPOINTS or request.path.startswith(API_PATHS):
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    row = current_session()
    if row is None:  # signed in without a session row: never valid
        end_session(None)
        return login_manager.unauthorized()
    db = db_session()
    timeout = current_app.permanent_session_lifetime
    now = utcnow()
    if is_idle(row, now, timeout):
        record(db, "session_timed_out", "user", current_user.id, "Signed out after inactivity")
        end_session(row)
        db.commit()
        minutes = int(timeout.total_seconds() // 60)
        flash(
            f"You were signed out because you did nothing for {minutes} minutes. "
            "Sign in again to continue.",
            "info",
        )
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    if row.second_factor_at is None and endpoint not in SECOND_FACTOR_ENDPOINTS:
        return redirect(url_for(second_factor_endpoint(current_user)))  # type: ignore[arg-type]
    refresh_last_activity(now)
    return None


def audit_refusal() -> None:
    """Write an audit row for a 403: who tried which page, and the record it names.

    Called from the 403 error handler, so every refusal (`require`, `roles_required`,
    a bare `abort(403)`) is audited once. Only signed-in users reach a 403 (everyone
    else is sent to sign in), so anonymous junk requests write nothing.
    """
    if not current_user.is_authenticated:
        return
    db = db_session()
    db.rollback()  # nothing the refused view staged may be committed with the audit row
    try:
        _record_refusal(db)
    except Exception:  # the 403 page still shows; the failure is logged for the operator
        db.rollback()
        current_app.logger.exception("could not audit a refused request")


def _record_refusal(db: Session) -> None:
    object_type, object_id = "page", None
    for name, value in (request.view_args or {}).items():
        if name.endswith("_id"):
            object_type, object_id = name.removesuffix("_id")[:40], value
            break
    record(
        db,
        "access_refused",
        object_type,
        object_id,
        f"Refused {request.method} {request.endpoint or 'unknown endpoint'} {request.path}",
    )
    db.commit()


def refresh_last_activity(now: datetime | None = None, *, force: bool = False) -> None:
    """Restart the idle clock on the server-side session row.

    Every request comes through here, writing at most once a minute; "Stay signed in"
    (the idle warning) forces the write.
    """
    row = current_session()
    if row is None:
        return
    now = now or utcnow()
    if force or needs_touch(row, now):
        row.last_seen_at = now
        db_session().commit()
    session.permanent = True


def require(condition: bool) -> None:
    """Refuse the request with 403 unless `condition` holds."""
    if not condition:
        abort(403)


def has_role(*roles: Role) -> bool:
    return bool(current_user.is_authenticated and current_user.has_role(*roles))


def roles_required(*roles: Role) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: only users with one of `roles` may use the view; others get 403."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()  # type: ignore[no-any-return]
            require(current_user.has_role(*roles))
            return view(*args, **kwargs)

        wrapped.allowed_roles = frozenset(roles)  # type: ignore[attr-defined]
        return wrapped

    return decorator


admin_required = roles_required(Role.ADMIN)
