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

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_login import LoginManager, current_user, logout_user
from sqlalchemy.orm import Session

from marac.accounts.models import Role, User
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
        "sso.start",  # single sign-on with an agency's provider
        "sso.callback",
        "pages.accessibility",
        "pages.privacy",
        "health.healthz",
        "panels.calendar_ics",  # the secret token in the URL is the key
    }
)


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """Load by "id:version" so a password change or deactivation ends other sessions."""
    try:
        raw_id, raw_version = user_id.split(":", 1)
        uid, version = int(raw_id), int(raw_version)
    except ValueError:
        return None
    user = db_session().get(User, uid)
    if user is None or user.session_version != version or not user.active:
        return None
    return user


def enforce_login_and_idle_timeout() -> object | None:
    """Before every request: require sign-in and sign out after inactivity."""
    endpoint = request.endpoint or ""
    if endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    timeout = current_app.permanent_session_lifetime
    now = utcnow()
    last_seen = session.get("last_seen")
    if last_seen is not None:
        try:
            idle = now - datetime.fromisoformat(last_seen)
        except (TypeError, ValueError):
            idle = timeout
        if idle >= timeout:
            logout_user()
            session.clear()
            minutes = int(timeout.total_seconds() // 60)
            flash(
                f"You were signed out because you did nothing for {minutes} minutes. "
                "Sign in again to continue.",
                "info",
            )
            return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
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


def refresh_last_activity(now: datetime | None = None) -> None:
    """Restart the idle clock: every request and "Stay signed in" come through here."""
    session.permanent = True
    session["last_seen"] = (now or utcnow()).isoformat()


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
