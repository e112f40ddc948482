"""Small builders for test data. Each takes a session and returns the saved object."""

from __future__ import annotations

import itertools
import time
from typing import Any

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from marac.accounts import two_factor
from marac.accounts.models import Agency, AgencyType, Area, Role, User
from marac.db import utcnow

PASSWORD = "correct-horse-battery-staple"
# The test users' hash: scrypt as in production but with a small work factor, because every
# sign-in checks it (thousands per run). Production's cost is proved in test_sign_in.py, and
# the timing test there gives its users production hashes.
TEST_HASH_METHOD = "scrypt:1024:8:1"
_PASSWORD_HASH = generate_password_hash(PASSWORD, method=TEST_HASH_METHOD)
# The authenticator secret of every user `make_user` makes (unless second_factor=False).
TOTP_SECRET = "UUIMPMFVRMZ37W6AYBO4DUIS7V5CKJQI"
_seq = itertools.count(1)


def fresh_code(secret: str, last_step: int | None) -> tuple[str, int] | None:
    """A code the server accepts now and has not seen, (code, its time step), or None.

    The server takes the steps either side of now but never one at or before the last
    used, so the same user can sign in about three times in 30 seconds.
    """
    now = time.time()
    current = int(now) // two_factor.STEP_SECONDS
    # The step before now only while it cannot slip out of the window on the way: 15 s
    # of slack, as a sign-in on the loaded 2-core machine took more than 5 s.
    early = now % two_factor.STEP_SECONDS < 15
    for step in ([current - 1] if early else []) + [current, current + 1]:
        if last_step is None or step > last_step:
            return two_factor.code_at(secret, step), step
    return None


def unused_code(secret: str, last_step: int | None) -> tuple[str, int]:
    """As `fresh_code`, waiting for the next time step when every valid one is used."""
    while (found := fresh_code(secret, last_step)) is None:
        time.sleep(two_factor.STEP_SECONDS - time.time() % two_factor.STEP_SECONDS + 0.05)
    return found


def current_code(secret: str) -> str:
    return two_factor.code_at(secret, two_factor.time_step(utcnow()))


def make_agency(
    db: Session, name: str | None = None, type: AgencyType = AgencyType.POLICE, **kw: Any
) -> Agency:
    agency = Agency(name=name or f"Agency {next(_seq)}", type=type.value, **kw)
    db.add(agency)
    db.commit()
    return agency


def make_area(db: Session, name: str | None = None, districts: str = "AK1", **kw: Any) -> Area:
    area = Area(name=name or f"Area {next(_seq)}", postcode_districts=districts, **kw)
    db.add(area)
    db.commit()
    return area


def make_user(
    db: Session,
    role: Role = Role.REFERRER,
    agency: Agency | None = None,
    email: str | None = None,
    supervisor: bool = False,
    second_factor: bool = True,
    **kw: Any,
) -> User:
    """A user with the test password and, unless `second_factor=False`, the test secret."""
    agency = agency or make_agency(db)
    n = next(_seq)
    user = User(
        name=kw.pop("name", f"Test User {n}"),
        email=email or f"user{n}@test.example",
        agency_id=agency.id,
        role=role.value,
        is_supervisor=supervisor,
        password_hash=kw.pop("password_hash", _PASSWORD_HASH),
        totp_secret=TOTP_SECRET if second_factor else None,
        **kw,
    )
    db.add(user)
    db.commit()
    return user
