"""Where every first factor (password, invitation link, single sign-on) finishes.

`finish_first_factor` starts the server-side session. Unless the identity provider
asserted a second factor, the session stays limited to the second-factor pages until the
user passes ours (`complete_sign_in`).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, g, redirect, request, session, url_for
from flask_login import login_user, logout_user
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from marac.accounts.models import User, UserSession
from marac.accounts.sessions import start_session
from marac.audit import record
from marac.db import db_session, utcnow

SESSION_TOKEN_KEY = "sid"  # the cookie session holds only this random token
NEXT_KEY = "after_sign_in"
PENDING_SECRET_KEY = "pending_totp_secret"

# The pages a session may reach before its second factor is done (plus public ones).
SECOND_FACTOR_ENDPOINTS = frozenset(
    {
        "accounts.second_factor",
        "accounts.recovery_code",
        "accounts.set_up_second_factor",
        "accounts.logout",
    }
)


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None. Never a way off the site.

    Browsers read `//host`, `/\\host` and `\\\\host` as other hosts and drop tabs and
    newlines, so only a single leading slash followed by a printable non-slash is taken.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def current_session() -> UserSession | None:
    """The signed-in request's `user_session` row (set by the user loader)."""
    return g.get("user_session")


def second_factor_endpoint(user: User) -> str:
    return "accounts.second_factor" if user.has_second_factor else "accounts.set_up_second_factor"


def finish_first_factor(
    user: User, *, method: str, mfa_asserted: bool, next_url: str | None
) -> Response:
    """Start a session for `user` after a first factor and send the browser on.

    `method` is "password" or "sso". With `mfa_asserted` (the identity provider checked a
    second factor) the session is complete at once; otherwise the user goes to our
    authenticator code page, or sets the app up first. `next_url` is followed only when
    it is a path on this site.
    """
    db = db_session()
    if not user.active or user.is_service:  # an API client's service user never signs in
        flash("You cannot sign in with this account. Ask your MARAC administrator.", "info")
        return redirect(url_for("accounts.login"))
    session.clear()  # a fresh session on sign-in: no fixation
    token, row = start_session(
        db,
        user.id,
        method=method,
        address=request.remote_addr or "",
        second_factor=mfa_asserted,
    )
    if mfa_asserted:
        _mark_signed_in(db, user, row, f"Signed in ({method}, second factor by the provider)")
    else:
        record(
            db, "first_factor_passed", "user", user.id, f"First factor passed ({method})", user=user
        )
    db.commit()
    login_user(user)
    session.permanent = True
    session[SESSION_TOKEN_KEY] = token
    g.user_session = row
    target = safe_next(next_url)
    if target:
        session[NEXT_KEY] = target
    if mfa_asserted:
        return redirect(pop_next())
    return redirect(url_for(second_factor_endpoint(user)))


def _mark_signed_in(db: Session, user: User, row: UserSession, summary: str) -> None:
    now = utcnow()
    row.second_factor_at = now
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    record(db, "login", "user", user.id, summary, user=user)


def complete_sign_in(user: User, row: UserSession, how: str) -> None:
    """The second factor passed: open the session to the whole service, audited."""
    db = db_session()
    _mark_signed_in(db, user, row, f"Signed in ({row.method} and {how})")
    db.commit()


def pop_next() -> str:
    return safe_next(session.pop(NEXT_KEY, None)) or url_for("home.dashboard")


def end_session(row: UserSession | None) -> None:
    """Revoke the row and forget the cookie session (sign-out, timeout, lockout)."""
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
    logout_user()
    session.clear()
    g.pop("user_session", None)


def sign_out(user: User, row: UserSession | None) -> None:
    """The user signs out: audited, the session row revoked, the cookie session forgotten."""
    db = db_session()
    record(db, "logout", "user", user.id, "Signed out", user=user)
    end_session(row)
    db.commit()


def end_locked_out_session(row: UserSession | None) -> None:
    """Too many wrong codes: end this half-open session (the lock itself is already saved)."""
    db = db_session()
    end_session(row)
    db.commit()
