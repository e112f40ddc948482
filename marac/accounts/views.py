"""Sign in, sign out and change password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from marac.accounts.forms import ChangePasswordForm, LoginForm
from marac.accounts.models import User
from marac.accounts.passwords import (
    after_failed_login,
    hash_password,
    is_locked,
    password_problem,
    verify_password,
)
from marac.audit import record
from marac.auth import refresh_last_activity
from marac.db import db_session, utcnow
from marac.formatting import format_time
from marac.ratelimit import per_account, per_address, signed_in_user, submitted_email

bp = Blueprint("accounts", __name__)

GENERIC_FAILURE = "Enter a correct email address and password"


def _safe_next(target: str | None) -> str:
    """Only follow `next` to a path on this site, never to another host."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and "\\" not in target:
            return target
    return url_for("home.dashboard")


@bp.route("/sign-in", methods=["GET", "POST"])
@per_address()
@per_account(submitted_email("email"))
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("home.dashboard"))
    form = LoginForm()
    settings = current_app.config["MARAC_SETTINGS"]
    if form.validate_on_submit():
        db = db_session()
        email = (form.email.data or "").lower()
        user = db.scalar(select(User).where(func.lower(User.email) == email))
        now = utcnow()
        if user is not None and is_locked(user.locked_until, now):
            record(
                db, "login_refused_locked", "user", user.id, "Sign-in refused: locked", user=user
            )
            db.commit()
            until = format_time(user.locked_until)
            form.password.errors.append(
                f"This account is locked after {settings.lockout_attempts} wrong passwords. "
                f"Try again after {until}, or ask your administrator to unlock it."
            )
        elif (
            user is None
            or not user.active
            or not verify_password(user.password_hash, form.password.data or "")
        ):
            if user is not None and user.active:
                user.failed_logins, user.locked_until = after_failed_login(
                    user.failed_logins,
                    now,
                    max_attempts=settings.lockout_attempts,
                    lockout_minutes=settings.lockout_minutes,
                )
                record(db, "login_failed", "user", user.id, "Wrong password", user=user)
                db.commit()
                if user.locked_until:
                    form.password.errors.append(
                        f"This account is now locked for {settings.lockout_minutes} minutes "
                        f"after {settings.lockout_attempts} wrong passwords."
                    )
            if not form.password.errors:
                form.email.errors.append(GENERIC_FAILURE)
        else:
            user.failed_logins = 0
            user.locked_until = None
            user.last_login_at = now
            record(db, "login", "user", user.id, "Signed in", user=user)
            db.commit()
            session.clear()  # a fresh session on sign-in: no fixation
            login_user(user)
            refresh_last_activity(now)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form)


@bp.route("/sign-out", methods=["POST"])
def logout() -> Response:
    db = db_session()
    record(db, "logout", "user", current_user.id, "Signed out")
    db.commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@per_address()
@per_account(signed_in_user)
def change_password() -> str | Response:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user: User = current_user  # type: ignore[assignment]
        if not verify_password(user.password_hash, form.current_password.data or ""):
            form.current_password.errors.append("Your current password is not correct")
        else:
            problem = password_problem(
                form.new_password.data or "", email=user.email, name=user.name
            )
            if problem:
                form.new_password.errors.append(problem)
            else:
                db = db_session()
                user.password_hash = hash_password(form.new_password.data or "")
                user.password_changed_at = utcnow()
                user.session_version += 1
                record(db, "password_changed", "user", user.id, "Changed own password")
                db.commit()
                login_user(user)  # keep this session; others end with the old version
                flash("Your password has been changed.", "success")
                return redirect(url_for("home.dashboard"))
    return render_template("accounts/change_password.html", form=form)


@bp.route("/session/keep-alive", methods=["POST"])
def keep_alive() -> Response:
    """Stay signed in, from the idle warning: the session's clock starts again."""
    refresh_last_activity()
    return Response(status=204)
