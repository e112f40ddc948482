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
from werkzeug.wrappers import Response

from marac.accounts import operations, two_factor
from marac.accounts.forms import (
    ChangePasswordForm,
    CodeForm,
    LoginForm,
    RecoveryCodeForm,
    SetPasswordForm,
)
from marac.accounts.invitations import open_link
from marac.accounts.models import InvitationKind, User, UserSession
from marac.accounts.passwords import is_locked, verify_password
from marac.accounts.queries import user_by_email
from marac.accounts.signin import (
    PENDING_SECRET_KEY,
    complete_sign_in,
    current_session,
    end_locked_out_session,
    finish_first_factor,
    pop_next,
    second_factor_endpoint,
    sign_out,
)
from marac.auth import refresh_last_activity
from marac.db import db_session, utcnow
from marac.forms import show_invalid
from marac.operations import Invalid, NotFound
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


def _refuse(user: User | None, reason: str) -> bool:
    """Record a refused step (a wrong secret counts); True when that locks the account."""
    s = current_app.config["MARAC_SETTINGS"]
    return operations.refuse_sign_in(
        db_session(),
        user,
        reason,
        max_attempts=s.lockout_attempts,
        lockout_minutes=s.lockout_minutes,
    )


@bp.route("/sign-in", methods=["GET", "POST"])
@per_address()
@per_account(submitted_email("email"))
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("home.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = user_by_email(db_session(), form.email.data or "")
        # Exactly one hash check on every path (a real dummy hash for unknown emails), so
        # the time taken says nothing about whether the account exists or is locked.
        typed = form.password.data or ""
        password_ok = verify_password(user.password_hash if user else None, typed)
        if user is None or not user.active:
            _refuse(user, "unknown")
        elif is_locked(user.locked_until, utcnow()):
            _refuse(user, "locked")
        elif not password_ok:
            _refuse(user, "password")
        else:
            return finish_first_factor(
                user, method="password", mfa_asserted=False, next_url=request.args.get("next")
            )
        form.email.errors.append(failure_message())
    return render_template("accounts/login.html", form=form)


def _locked_out() -> Response:
    """Too many wrong codes: end this half-open session and say so."""
    s = current_app.config["MARAC_SETTINGS"]
    end_locked_out_session(current_session())
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
        if is_locked(user.locked_until, utcnow()):
            return _locked_out()
        env = current_app.config["MARAC_SETTINGS"].env
        if operations.claim_code(db_session(), user, form.code.data or "", env=env):
            complete_sign_in(user, row, "authenticator code")
            return redirect(pop_next())
        if _refuse(user, "code"):
            return _locked_out()
        form.code.errors.append(
            "Enter the code your authenticator app shows now; each code works only once"
        )
    return render_template("accounts/second_factor.html", form=form)


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
        if is_locked(user.locked_until, utcnow()):
            return _locked_out()
        left = operations.use_recovery_code(db_session(), user, form.code.data or "")
        if left is not None:
            complete_sign_in(user, row, "a recovery code")
            flash(
                f"You signed in with a recovery code. You have {left} left. If you have lost "
                "your phone, ask your MARAC administrator to reset your authenticator app.",
                "info",
            )
            return redirect(pop_next())
        if _refuse(user, "recovery"):
            return _locked_out()
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
        if is_locked(user.locked_until, utcnow()):
            return _locked_out()
        codes = operations.set_up_authenticator(db_session(), user, secret, form.code.data or "")
        if codes is not None:
            complete_sign_in(user, row, "a new authenticator app")
            session.pop(PENDING_SECRET_KEY, None)
            # Shown once, in this response only: nothing keeps them but their hashes.
            return render_template("accounts/recovery_codes.html", codes=codes, next_url=pop_next())
        if _refuse(user, "set_up"):
            return _locked_out()
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
    sign_out(current_user, current_session())  # type: ignore[arg-type]
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
        try:
            operations.set_password_from_link(db, invitation.id, form.new_password.data or "")
        except Invalid as error:
            show_invalid(form, error)
        except NotFound:
            return render_template("accounts/invitation_invalid.html"), 404
        else:
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
        row = current_session()
        try:
            operations.change_own_password(
                db_session(),
                user,
                current=form.current_password.data or "",
                new=form.new_password.data or "",
                keep_session_id=row.id if row else None,
            )
        except Invalid as error:
            show_invalid(form, error)
        else:
            login_user(user)  # this session carries on with the new version
            flash("Your password has been changed.", "success")
            return redirect(url_for("home.dashboard"))
    return render_template("accounts/change_password.html", form=form)


@bp.route("/session/keep-alive", methods=["POST"])
def keep_alive() -> Response:
    """Stay signed in, from the idle warning: the session's clock starts again."""
    refresh_last_activity(force=True)
    return Response(status=204)
