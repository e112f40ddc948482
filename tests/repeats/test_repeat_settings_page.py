"""The admin page for an area's repeat definitions: defaults, errors, saving, refusals."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.audit.models import AuditEvent
from marac.people.models import RepeatSettings
from marac.repeats.flags import RULE_FIELDS, RepeatRules
from tests.factories import make_area, make_user

DEFAULTS = {name: str(getattr(RepeatRules(), name)) for name in RULE_FIELDS}


def test_an_admin_sets_the_repeat_definitions_of_an_area(db: Session, login) -> None:
    area = make_area(db, "North")
    admin = login(make_user(db, Role.ADMIN))
    url = f"/admin/areas/{area.id}/repeats"
    page = admin.get(url).get_data(as_text=True)
    assert "Repeat definitions" in page and 'value="183"' in page
    assert "Repeat definitions" in admin.get(f"/admin/areas/{area.id}").get_data(as_text=True)

    bad = admin.submit(url, {**DEFAULTS, "victim_incidents": "1", "targeted_window_days": "x"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "There is a problem" in text
    assert "between 2 and 50" in text and "as a whole number" in text
    assert db.get(RepeatSettings, area.id) is None

    saved = admin.submit(url, {**DEFAULTS, "victim_incidents": "3", "targeted_window_days": "90"})
    assert saved.status_code == 302
    settings = db.get(RepeatSettings, area.id)
    assert (settings.victim_incidents, settings.targeted_window_days) == (3, 90)
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "repeat_settings_updated"))
    assert "victim_incidents=3" in event.summary and "targeted_window_days=90" in event.summary


def test_only_admins_change_repeat_definitions(db: Session, login) -> None:
    area = make_area(db)
    for role in (Role.COORDINATOR, Role.REFERRER):
        client = login(make_user(db, role))
        assert client.get(f"/admin/areas/{area.id}/repeats").status_code == 403
        assert client.submit(f"/admin/areas/{area.id}/repeats", DEFAULTS).status_code in (
            400,
            403,
        )
    assert db.get(RepeatSettings, area.id) is None
