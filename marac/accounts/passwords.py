"""Password hashing, the password policy and the lockout rule (plain functions).

Common and breached passwords come from zxcvbn's offline lists: its "passwords"
list is the 30,000 most frequent passwords in leaked password dumps, and its
score (0 to 4) estimates how many guesses a password takes using those lists,
English words, names, keyboard patterns, dates and sequences. We refuse a listed
password outright and anything scoring below 3 (about 10^8 guesses or fewer).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from itertools import pairwise

from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_PASSWORD_LENGTH = 12
MIN_STRENGTH_SCORE = 3
_ZXCVBN_MAX_LENGTH = 72  # zxcvbn refuses longer input; the first 72 characters decide
# A function that says whether a password appears in a breach (see marac.accounts.breached).
BreachCheck = Callable[[str], bool]

TOO_SHORT = f"Password must be {MIN_PASSWORD_LENGTH} characters or more"
HAS_EMAIL = "Password must not contain your email address"
HAS_NAME = "Password must not be your name"
REPEATED = "Password must not be one character repeated"
SEQUENCE = "Password must not be a simple sequence, like 123456789012 or abcdefghijkl"
COMMON = "Password is on a list of common passwords; try three random words"
TOO_EASY = "Password is too easy to guess; try three random words"
BREACHED = "Password has appeared in a data breach, so criminals may try it; choose a different one"
# A constant hash to compare against when the email is unknown, so timing says nothing.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def hash_password(password: str) -> str:
    """scrypt (memory-hard) via Werkzeug: no extra native dependency, a modern algorithm."""
    return generate_password_hash(password, method="scrypt")


def verify_password(password_hash: str | None, password: str) -> bool:
    return check_password_hash(password_hash or _DUMMY_HASH, password) and bool(password_hash)


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why a new password is unacceptable, or None. Length over complexity (NCSC advice)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return TOO_SHORT
    lowered = password.lower()
    local_part = email.split("@")[0].lower()
    if local_part and len(local_part) >= 4 and local_part in lowered:
        return HAS_EMAIL
    name_parts = [part.lower() for part in name.split() if len(part) > 2]
    if name_parts and all(part in lowered for part in name_parts):
        return HAS_NAME
    if len(set(password)) == 1:
        return REPEATED
    if is_simple_sequence(lowered):
        return SEQUENCE
    if lowered in _common_passwords():
        return COMMON
    # The person's own words make a password easy for someone who knows them.
    hints = [local_part, *re.split(r"[^a-z0-9]+", local_part), *name_parts]
    if zxcvbn(password[:_ZXCVBN_MAX_LENGTH], user_inputs=hints)["score"] < MIN_STRENGTH_SCORE:
        return TOO_EASY
    breached = _configured_breach_check()
    if breached is not None and breached(password):
        return BREACHED
    return None


def is_simple_sequence(text: str) -> bool:
    """Each character one up (or each one down) from the last: 0 follows 9 for digits."""
    if len(text) < 3:
        return False
    steps = {_step(a, b) for a, b in pairwise(text)}
    return steps in ({1}, {-1})


def _step(a: str, b: str) -> int:
    if a.isdigit() and b.isdigit():
        diff = (int(b) - int(a)) % 10
        return {1: 1, 9: -1}.get(diff, 0)
    return ord(b) - ord(a)


@cache
def _common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def _configured_breach_check() -> BreachCheck | None:
    """The app's breached-password check when switched on; none outside an app.

    Looked up here so that every caller of `password_problem` gets it without
    passing it in; the check itself (marac.accounts.breached) knows nothing of Flask.
    """
    from flask import current_app, has_app_context

    if not has_app_context():
        return None
    check: BreachCheck | None = current_app.extensions.get("marac_breach_check")
    return check


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and locked_until > now


def after_failed_login(
    failed_logins: int,
    now: datetime,
    *,
    max_attempts: int,
    lockout_minutes: int,
    locked_until: datetime | None = None,
) -> tuple[int, datetime | None]:
    """The new failure count and lock expiry after one more wrong password or code.

    Once a lock has expired the count starts again from zero, so one slip after a lock
    does not lock the account again.
    """
    if locked_until is not None and locked_until <= now:
        failed_logins = 0
    count = failed_logins + 1
    if count >= max_attempts:
        return count, now + timedelta(minutes=lockout_minutes)
    return count, None
