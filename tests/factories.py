"""Small builders for test data. Each takes a session and returns the saved object."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.orm import Session

from marac.accounts.models import Agency, AgencyType, Area, Role, User
from marac.accounts.passwords import hash_password

PASSWORD = "correct-horse-battery-staple"
_PASSWORD_HASH = hash_password(PASSWORD)  # scrypt is slow on purpose: hash once per run
_seq = itertools.count(1)


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
    **kw: Any,
) -> User:
    agency = agency or make_agency(db)
    n = next(_seq)
    user = User(
        name=kw.pop("name", f"Test User {n}"),
        email=email or f"user{n}@test.example",
        agency_id=agency.id,
        role=role.value,
        is_supervisor=supervisor,
        password_hash=_PASSWORD_HASH,
        **kw,
    )
    db.add(user)
    db.commit()
    return user
