"""Reading the audit log through its operation: admins only, and the reading is recorded."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.audit.models import AuditEvent
from marac.audit.operations import view_log
from marac.operations import Refused
from tests.factories import make_user


def test_admin_reads_a_filtered_page_and_the_view_is_audited(db: Session) -> None:
    admin = make_user(db, Role.ADMIN)
    found = view_log(db, admin, {"action": "nothing_like_this", "from": "27/03/2026"})
    assert found.page.items == [] and "from" in found.errors
    again = view_log(db, admin, {"action": "audit_viewed"})
    assert [e.action for e in again.page.items] == ["audit_viewed"]
    assert "audit_viewed" in again.actions
    assert db.scalars(select(AuditEvent.user_id)).all() == [admin.id, admin.id]


def test_others_are_refused_and_nothing_is_recorded(db: Session) -> None:
    with pytest.raises(Refused):
        view_log(db, make_user(db, Role.COORDINATOR), {})
    assert db.scalars(select(AuditEvent)).all() == []
