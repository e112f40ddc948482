"""The authenticator-app second factor (TOTP, RFC 6238) and recovery codes: plain rules.

Codes are 6 digits for 30-second steps. The step before and after the current one are
accepted (clocks drift), but never a step at or before the last one used, so a code
seen over someone's shoulder cannot be replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

import pyotp
import segno

DIGITS = 6
STEP_SECONDS = 30
VALID_WINDOW = 1  # steps either side of now
RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: the codes are written down and typed back.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"

# The one fixed secret of the demo users (README, `marac demo-data`, `marac demo-code`).
# Accepted only in development and test: in production a user holding it cannot sign in.
DEMO_SECRET = "MARACDEMOMARACDEMOMARACDEMOMARAC"
DEMO_ENVIRONMENTS = frozenset({"development", "test"})


def new_secret() -> str:
    return pyotp.random_base32(32)


def secret_allowed(secret: str | None, env: str) -> bool:
    """False for a missing secret, and for the demo secret outside development and test."""
    if not secret:
        return False
    return secret != DEMO_SECRET or env in DEMO_ENVIRONMENTS


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to read and type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret: str, *, email: str, issuer: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=email, issuer_name=issuer
    )


def qr_code_data_uri(uri: str) -> str:
    """An SVG QR code as a data: URI (the CSP allows images from 'self' and data: only)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def time_step(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def normalise_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "")


def matching_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step `code` belongs to, if it is valid now and newer than `last_step`."""
    code = normalise_code(code)
    if not re.fullmatch(rf"\d{{{DIGITS}}}", code):
        return None
    current = time_step(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(code_at(secret, step), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Ten codes like "k7xq-m2pd-93ha" (60 random bits each), shown to the user once."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(12))
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
    return codes


def recovery_code_hash(code: str) -> str:
    """Hash of the code as typed, ignoring case, spaces and hyphens."""
    return hashlib.sha256(normalise_code(code).lower().encode()).hexdigest()
