"""Small builders for test data. Each takes a session and returns the saved object."""

from __future__ import annotations

import itertools
import time
from typing import Any

from sqlalchemy.orm import Session

from marac.accounts import two_factor
from marac.accounts.models import Agency, AgencyType, Area, Role, User
from marac.accounts.passwords import hash_password
from marac.db import utcnow

PASSWORD = "correct-horse-battery-staple"
_PASSWORD_HASH = hash_password(PASSWORD)  # scrypt is slow on purpose: hash once per run
# The authenticator secret of every user `make_user` makes (unless second_factor=False).
TOTP_SECRET = "UUIMPMFVRMZ37W6AYBO4DUIS7V5CKJQI"
_seq = itertools.count(1)


def unused_code(secret: str, last_step: int | None) -> tuple[str, int]:
    """A code the server accepts now and has not seen: (code, its time step).

    The server takes the steps either side of now but never one at or before the last
    used, so the same user can sign in three times in 30 seconds; a fourth waits.
    """
    while True:
        now = time.time()
        current = int(now) // two_factor.STEP_SECONDS
        into_step = now % two_factor.STEP_SECONDS
        # The step before now only while it cannot slip out of the window on the way.
        candidates = ([current - 1] if into_step < 25 else []) + [current, current + 1]
        for step in candidates:
            if last_step is None or step > last_step:
                return two_factor.code_at(secret, step), step
        time.sleep(two_factor.STEP_SECONDS - into_step + 0.05)


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
