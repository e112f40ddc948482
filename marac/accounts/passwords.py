"""Password hashing, the password policy and the lockout rule (plain functions)."""

from __future__ import annotations

from datetime import datetime, timedelta

from werkzeug.security import check_password_hash, generate_password_hash

MIN_PASSWORD_LENGTH = 12
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
        return f"Password must be {MIN_PASSWORD_LENGTH} characters or more"
    lowered = password.lower()
    local_part = email.split("@")[0].lower()
    if local_part and len(local_part) >= 4 and local_part in lowered:
        return "Password must not contain your email address"
    if lowered in {"password1234", "passwordpassword", "123456789012", "qwertyuiopas"}:
        return "Password is too easy to guess; try three random words"
    name_parts = [part.lower() for part in name.split() if len(part) > 2]
    if name_parts and all(part in lowered for part in name_parts):
        return "Password must not be your name"
    return None


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
