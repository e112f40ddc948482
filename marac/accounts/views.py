"""Sign in (password, then authenticator code), sign out, invitations, change password."""

from __future__ import annotations

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
from flask_login import current_user, login_user
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from marac.accounts import two_factor
from marac.accounts.forms import (
    ChangePasswordForm,
    CodeForm,
    LoginForm,
    RecoveryCodeForm,
    SetPasswordForm,
)
from marac.accounts.invitations import open_link
from marac.accounts.models import Invitation, InvitationKind, RecoveryCode, User, UserSession
from marac.accounts.passwords import (
    after_failed_login,
    hash_password,
    is_locked,
    password_problem,
    verify_password,
)
from marac.accounts.sessions import revoke_user_sessions
from marac.accounts.signin import (
    PENDING_SECRET_KEY,
    complete_sign_in,
    current_session,
    end_session,
    finish_first_factor,
    pop_next,
    second_factor_endpoint,
)
from marac.audit import record
from marac.auth import refresh_last_activity
from marac.db import db_session, utcnow
from marac.ratelimit import (
    invitation_token,
    per_account,
    per_address,
    signed_in_user,
    submitted_email,
)

bp = Blueprint("accounts", __name__)

GENERIC_FAILURE = "Enter a correct email address and password"


def failure_message() -> str:
    """The one message for every failed sign-in: unknown, wrong, locked or deactivated."""
    s = current_app.config["MARAC_SETTINGS"]
    return (
        f"{GENERIC_FAILURE}. After {s.lockout_attempts} wrong attempts an account is locked "
        f"for {s.lockout_minutes} minutes: if you cannot sign in, ask your MARAC administrator"
    )


def _count_failure(db: Session, user: User, summary: str) -> bool:
    """Add one wrong password or code to the user's count; True when that locks them."""
    s = current_app.config["MARAC_SETTINGS"]
    user.failed_logins, user.locked_until = after_failed_login(
        user.failed_logins or 0,
        utcnow(),
        max_attempts=s.lockout_attempts,
        lockout_minutes=s.lockout_minutes,
        locked_until=user.locked_until,
    )
    record(db, "login_failed", "user", user.id, summary, user=user)
    if user.locked_until is not None:
        record(db, "account_locked", "user", user.id, f"Locked after {summary.lower()}", user=user)
        return True
    return False


@bp.route("/sign-in", methods=["GET", "POST"])
@per_address()
@per_account(submitted_email("email"))
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("home.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        db = db_session()
        email = (form.email.data or "").lower()
        user = db.scalar(select(User).where(func.lower(User.email) == email))
        # Exactly one hash check on every path (a real dummy hash for unknown emails), so
        # the time taken says nothing about whether the account exists or is locked.
        typed = form.password.data or ""
        password_ok = verify_password(user.password_hash if user else None, typed)
        if user is None or not user.active:
            record(db, "login_failed", "user", user.id if user else None, "Unknown or inactive")
        elif is_locked(user.locked_until, utcnow()):
            record(db, "login_refused_locked", "user", user.id, "Refused: locked", user=user)
        elif not password_ok:
            _count_failure(db, user, "Wrong password")
        else:
            return finish_first_factor(
                user, method="password", mfa_asserted=False, next_url=request.args.get("next")
            )
        db.commit()
        form.email.errors.append(failure_message())
    return render_template("accounts/login.html", form=form)


def _locked_out(db: Session, user: User) -> Response:
    """Too many wrong codes: end this half-open session and say so."""
    s = current_app.config["MARAC_SETTINGS"]
    end_session(current_session())
    db.commit()
    flash(
        f"Your account is locked for {s.lockout_minutes} minutes after "
        f"{s.lockout_attempts} wrong attempts. Ask your MARAC administrator if you need "
        "to sign in sooner.",
        "info",
    )
    return redirect(url_for("accounts.login"))


def _pending(*, has_app: bool) -> tuple[User, UserSession] | Response:
    """The user and session waiting for a second factor, or where they should go instead.

    `has_app`: the page is for users whose authenticator is set up (code, recovery code)
    or for those without one (set-up); the others are sent to the page that fits them.
    """
    row = current_session()
    user: User = current_user  # type: ignore[assignment]
    if row is None:
        return redirect(url_for("accounts.login"))
    if row.second_factor_at is not None:
        return redirect(url_for("home.dashboard"))
    if user.has_second_factor != has_app:
        return redirect(url_for(second_factor_endpoint(user)))
    return user, row


@bp.route("/sign-in/code", methods=["GET", "POST"])
@per_address()
@per_account(signed_in_user)
def second_factor() -> str | Response:
    pending = _pending(has_app=True)
    if isinstance(pending, Response):
        return pending
    user, row = pending
    form = CodeForm()
    if form.validate_on_submit():
        db = db_session()
        if is_locked(user.locked_until, utcnow()):
            return _locked_out(db, user)
        env = current_app.config["MARAC_SETTINGS"].env
        step = None
        if two_factor.secret_allowed(user.totp_secret, env):
            step = two_factor.matching_step(
                user.totp_secret or "", form.code.data or "", utcnow(), user.totp_last_step
            )
        # Take the step only if no other request took it (or a later one) first.
        if step is not None and _claim_step(db, user, step):
            complete_sign_in(user, row, "authenticator code")
            return redirect(pop_next())
        if _count_failure(db, user, "Wrong authenticator code"):
            return _locked_out(db, user)
        db.commit()
        form.code.errors.append(
            "Enter the code your authenticator app shows now; each code works only once"
        )
    return render_template("accounts/second_factor.html", form=form)


def _claim_step(db: Session, user: User, step: int) -> bool:
    result = db.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    user.totp_last_step = step
    return True


@bp.route("/sign-in/recovery-code", methods=["GET", "POST"])
@per_address()
@per_account(signed_in_user)
def recovery_code() -> str | Response:
    """For someone without their phone: one of the codes saved at set-up, once each."""
    pending = _pending(has_app=True)
    if isinstance(pending, Response):
        return pending
    user, row = pending
    form = RecoveryCodeForm()
    if form.validate_on_submit():
        db = db_session()
        if is_locked(user.locked_until, utcnow()):
            return _locked_out(db, user)
        used = db.execute(
            update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == two_factor.recovery_code_hash(form.code.data or ""),
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if used.rowcount == 1:  # type: ignore[attr-defined]
            left = db.scalar(
                select(func.count(RecoveryCode.id)).where(
                    RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
                )
            )
            record(db, "recovery_code_used", "user", user.id, f"{left} recovery codes left")
            complete_sign_in(user, row, "a recovery code")
            flash(
                f"You signed in with a recovery code. You have {left} left. If you have lost "
                "your phone, ask your MARAC administrator to reset your authenticator app.",
                "info",
            )
            return redirect(pop_next())
        if _count_failure(db, user, "Wrong recovery code"):
            return _locked_out(db, user)
        db.commit()
        form.code.errors.append("Enter a recovery code you have not used before")
    return render_template("accounts/recovery_code.html", form=form)


@bp.route("/sign-in/set-up-authenticator", methods=["GET", "POST"])
@per_address()
@per_account(signed_in_user)
def set_up_second_factor() -> str | Response:
    """First sign-in (or after an admin reset): link an authenticator app, get recovery codes."""
    pending = _pending(has_app=False)  # never replaces a working second factor
    if isinstance(pending, Response):
        return pending
    user, row = pending
    secret = session.get(PENDING_SECRET_KEY)
    if not isinstance(secret, str) or not secret:
        secret = two_factor.new_secret()
        session[PENDING_SECRET_KEY] = secret
    form = CodeForm()
    if form.validate_on_submit():
        db = db_session()
        if is_locked(user.locked_until, utcnow()):
            return _locked_out(db, user)
        step = two_factor.matching_step(secret, form.code.data or "", utcnow(), None)
        if step is not None:
            saved = db.execute(
                update(User)
                .where(User.id == user.id, User.totp_secret.is_(None))
                .values(totp_secret=secret, totp_last_step=step)
                .execution_options(synchronize_session=False)
            )
            if saved.rowcount == 1:  # type: ignore[attr-defined]
                user.totp_secret, user.totp_last_step = secret, step
                codes = two_factor.new_recovery_codes()
                db.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
                db.add_all(
                    RecoveryCode(user_id=user.id, code_hash=two_factor.recovery_code_hash(c))
                    for c in codes
                )
                record(db, "second_factor_set_up", "user", user.id, "Set up authenticator app")
                complete_sign_in(user, row, "a new authenticator app")
                session.pop(PENDING_SECRET_KEY, None)
                # Shown once, in this response only: nothing keeps them but their hashes.
                return render_template(
                    "accounts/recovery_codes.html", codes=codes, next_url=pop_next()
                )
        if _count_failure(db, user, "Wrong authenticator code at set-up"):
            return _locked_out(db, user)
        db.commit()
        form.code.errors.append("Enter the code your authenticator app shows now for this service")
    settings = current_app.config["MARAC_SETTINGS"]
    uri = two_factor.provisioning_uri(secret, email=user.email, issuer=settings.service_name)
    return render_template(
        "accounts/set_up_second_factor.html",
        form=form,
        qr_code=two_factor.qr_code_data_uri(uri),
        secret=two_factor.grouped(secret),
    )


@bp.route("/sign-out", methods=["POST"])
def logout() -> Response:
    db = db_session()
    record(db, "logout", "user", current_user.id, "Signed out")
    end_session(current_session())
    db.commit()
    flash("You have signed out.", "info")
    return redirect(url_for("accounts.login"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@per_address()
@per_account(invitation_token)
def accept_invitation(token: str) -> str | Response | tuple[str, int]:
    """An invitation or reset link: choose a password, then the second factor."""
    db = db_session()
    invitation = open_link(db, token)
    if invitation is None:
        return render_template("accounts/invitation_invalid.html"), 404
    user = invitation.user
    form = SetPasswordForm()
    if form.validate_on_submit():
        problem = password_problem(form.new_password.data or "", email=user.email, name=user.name)
        if problem:
            form.new_password.errors.append(problem)
        else:
            claimed = db.execute(
                update(Invitation)
                .where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
                .values(used_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                db.rollback()
                return render_template("accounts/invitation_invalid.html"), 404
            user.password_hash = hash_password(form.new_password.data or "")
            user.password_changed_at = utcnow()
            user.failed_logins, user.locked_until = 0, None  # the link proves who they are
            user.session_version += 1
            revoke_user_sessions(db, user.id)
            what = "invitation" if invitation.kind == InvitationKind.INVITATION else "reset link"
            record(db, "password_set", "user", user.id, f"Set password from {what}", user=user)
            db.commit()
            return finish_first_factor(user, method="password", mfa_asserted=False, next_url=None)
    return render_template(
        "accounts/invitation.html",
        form=form,
        user=user,
        reset=invitation.kind == InvitationKind.PASSWORD_RESET,
    )


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
                row = current_session()
                user.password_hash = hash_password(form.new_password.data or "")
                user.password_changed_at = utcnow()
                user.session_version += 1
                ended = revoke_user_sessions(db, user.id, keep=row.id if row else None)
                record(
                    db,
                    "password_changed",
                    "user",
                    user.id,
                    f"Changed own password; ended {ended} other sessions",
                )
                db.commit()
                login_user(user)  # this session carries on with the new version
                flash("Your password has been changed.", "success")
                return redirect(url_for("home.dashboard"))
    return render_template("accounts/change_password.html", form=form)


@bp.route("/session/keep-alive", methods=["POST"])
def keep_alive() -> Response:
    """Stay signed in, from the idle warning: the session's clock starts again."""
    refresh_last_activity(force=True)
    return Response(status=204)
