"""Report operations called directly: targets (admins, versioned) and audited exports."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.audit.models import AuditEvent
from marac.operations import Conflict, Invalid, Refused
from marac.reports import operations
from marac.reports.models import PartnershipTarget
from tests.factories import make_area, make_user

VALUES = operations.TargetValues(
    name="More referrals",
    baseline_start=date(2025, 4, 1),
    baseline_end=date(2026, 3, 31),
    change_percent=50,
    measured_start=date(2026, 4, 1),
    measured_end=date(2027, 3, 31),
    area_id=None,
)


def test_admin_creates_changes_and_deletes_a_target(db: Session) -> None:
    admin = make_user(db, Role.ADMIN)
    area = make_area(db)
    target = operations.create_target(db, admin, VALUES)
    changed = operations.update_target(
        db, admin, target.id, version=1, values=replace(VALUES, change_percent=20, area_id=area.id)
    )
    assert changed == ["change percent", "area"]
    db.expire_all()
    saved = db.get(PartnershipTarget, target.id)
    assert (saved.change_percent, saved.area_id, saved.version) == (20, area.id, 2)
    assert (
        operations.update_target(
            db,
            admin,
            target.id,
            version=2,
            values=replace(VALUES, change_percent=20, area_id=area.id),
        )
        == []
    )
    assert operations.delete_target(db, admin, target.id) == "More referrals"
    actions = db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["create", "update", "delete"]
    assert db.get(PartnershipTarget, target.id) is None


def test_a_stale_version_is_a_conflict_and_nothing_changes(db: Session) -> None:
    admin = make_user(db, Role.ADMIN)
    target = operations.create_target(db, admin, VALUES)
    operations.update_target(db, admin, target.id, version=1, values=replace(VALUES, name="B"))
    with pytest.raises(Conflict):
        operations.update_target(db, admin, target.id, version=1, values=replace(VALUES, name="C"))
    db.expire_all()
    assert db.get(PartnershipTarget, target.id).name == "B"


def test_rules_and_refusals(db: Session) -> None:
    admin = make_user(db, Role.ADMIN)
    bad = replace(VALUES, baseline_end=date(2025, 1, 1), change_percent=-101)
    with pytest.raises(Invalid) as caught:
        operations.create_target(db, admin, bad)
    assert set(caught.value.errors) == {"baseline_end", "change_percent"}
    with pytest.raises(Refused):
        operations.create_target(db, make_user(db, Role.COORDINATOR), VALUES)
    assert db.scalars(select(PartnershipTarget)).all() == []
    assert db.scalars(select(AuditEvent)).all() == []
