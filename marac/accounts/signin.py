"""Finishing a sign-in once the first factor (password or single sign-on) has passed.

Placeholder replaced at merge by the second-factor work, which owns this module; only
the signature of `finish_first_factor` is the interface single sign-on relies on.
"""

from __future__ import annotations

from flask import redirect, session, url_for
from flask_login import login_user
from werkzeug.wrappers import Response

from marac.accounts.models import User
from marac.db import utcnow

SECOND_FACTOR_URL = "/sign-in/second-factor"


def finish_first_factor(
    user: User, *, method: str, mfa_asserted: bool, next_url: str | None
) -> Response:
    """Sign `user` in when a second factor is already proven, else send them to ours."""
    session.clear()  # a fresh session on sign-in: no fixation
    if not mfa_asserted:
        session["pending_user_id"] = user.id
        session["pending_method"] = method
        return redirect(SECOND_FACTOR_URL)
    login_user(user)
    session.permanent = True
    session["last_seen"] = utcnow().isoformat()
    return redirect(next_url or url_for("home.dashboard"))
