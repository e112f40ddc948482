"""Partnership targets: progress against the hand-built borough, and the admin's page."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.audit.models import AuditEvent
from marac.reports.models import PartnershipTarget
from marac.reports.targets import target_progress
from tests.factories import make_user
from tests.reports.helpers import TODAY, Borough


def _target(db: Session, area_id: int | None, percent: int, **kw: Any) -> PartnershipTarget:
    target = PartnershipTarget(
        name=kw.pop("name", "Increase hate crime referrals"),
        area_id=area_id,
        baseline_start=date(2025, 12, 1),
        baseline_end=date(2025, 12, 31),
        change_percent=percent,
        measured_start=date(2026, 1, 1),
        measured_end=kw.pop("measured_end", date(2026, 3, 31)),
    )
    db.add(target)
    db.commit()
    return target


def test_progress_counts_baseline_and_measured_referrals(db: Session) -> None:
    world = Borough(db)
    _target(db, world.area.id, 50, name="Northfield")
    _target(db, None, 200, name="Borough", measured_end=date(2026, 12, 31))
    _target(db, world.other_area.id, 10, name="Elsewhere")
    found = {p.target.name: p for p in target_progress(db, world.scope().area_ids, TODAY)}
    assert set(found) == {"Northfield", "Borough"}  # Elsewhere's target is not in scope
    north, borough = found["Northfield"], found["Borough"]
    assert (north.area_label, north.baseline, north.aim, north.measured) == ("Northfield", 1, 2, 3)
    assert north.complete and north.met and north.change_so_far == 200
    # The borough counts area B's referral too: 4 so far against an aim of 3.
    assert (borough.area_label, borough.baseline, borough.aim, borough.measured) == (
        "Whole borough",
        1,
        3,
        4,
    )
    assert not borough.complete
    assert len(target_progress(db, None, TODAY)) == 3


def test_a_falling_target_is_met_at_or_below_its_aim(db: Session) -> None:
    world = Borough(db)
    _target(db, world.area.id, -50)
    (progress,) = target_progress(db, (world.area.id,), TODAY)
    assert progress.aim == 0 and not progress.met


def _form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Increase hate crime referrals",
        "area_id": "",
        "baseline_start": ["1", "4", "2025"],
        "baseline_end": ["31", "3", "2026"],
        "change_percent": "50",
        "measured_start": ["1", "4", "2026"],
        "measured_end": ["31", "3", "2027"],
    }
    data.update(changes)
    return data


def test_admin_sets_a_target_and_the_dashboard_shows_progress(db: Session, login) -> None:
    world = Borough(db)
    admin = make_user(db, Role.ADMIN)
    client = login(admin)
    response = client.submit("/reports/targets/new", _form(area_id=str(world.area.id)))
    assert response.status_code == 302
    target = db.scalar(select(PartnershipTarget))
    assert target is not None and target.area_id == world.area.id
    assert target.change_percent == 50 and target.measured_end == date(2027, 3, 31)
    assert db.scalar(select(AuditEvent).where(AuditEvent.object_type == "partnership_target"))
    html = login(world.coordinator).get("/reports/").get_data(as_text=True)
    assert "Progress against partnership targets" in html
    assert "Increase hate crime referrals (+50%)" in html
    assert "Increase hate crime referrals" in client.get("/reports/targets").get_data(as_text=True)
    assert client.submit(f"/reports/targets/{target.id}/delete").status_code == 302
    assert db.scalar(select(PartnershipTarget)) is None


def test_bad_target_input_is_named_and_nothing_saved(db: Session, login) -> None:
    admin = make_user(db, Role.ADMIN)
    response = login(admin).submit(
        "/reports/targets/new",
        _form(change_percent="lots", measured_end=["1", "1", "2026"]),
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert "Target change must be a whole number" in html
    assert "Measured period ends must be on or after its start" in html
    assert 'value="Increase hate crime referrals"' in html
    assert db.scalar(select(PartnershipTarget)) is None


def test_admin_changes_a_target_and_a_stale_save_is_refused(db: Session, login) -> None:
    world = Borough(db)
    target = _target(db, None, 50)
    client = login(make_user(db, Role.ADMIN))
    url = f"/reports/targets/{target.id}/edit"
    html = client.get(url).get_data(as_text=True)
    assert "Change Increase hate crime referrals" in html
    assert 'value="50"' in html and 'name="version" type="hidden" value="1"' in html
    assert f'href="{url}"' in client.get("/reports/targets").get_data(as_text=True)

    bad = client.submit(url, _form(change_percent="lots", version="1"))
    assert bad.status_code == 200 and "Target change must be a whole number" in bad.get_data(
        as_text=True
    )
    db.expire_all()
    assert db.get(PartnershipTarget, target.id).change_percent == 50

    changed = _form(area_id=str(world.area.id), change_percent="75", version="1")
    assert client.submit(url, changed).status_code == 302
    db.expire_all()
    saved = db.get(PartnershipTarget, target.id)
    assert (saved.area_id, saved.change_percent, saved.version) == (world.area.id, 75, 2)
    event = db.scalar(
        select(AuditEvent).where(
            AuditEvent.object_type == "partnership_target", AuditEvent.action == "update"
        )
    )
    assert event is not None and "change percent" in event.summary and "area" in event.summary

    # A second admin still holding version 1 is told, and what they typed is kept.
    stale = client.submit(url, _form(change_percent="20", version="1"))
    html = stale.get_data(as_text=True)
    assert stale.status_code == 200 and "Someone else changed this" in html
    assert 'value="20"' in html and 'name="version" type="hidden" value="2"' in html
    db.expire_all()
    assert db.get(PartnershipTarget, target.id).change_percent == 75


def test_only_admins_set_targets(db: Session, login) -> None:
    world = Borough(db)
    target = _target(db, world.area.id, 50)
    client = login(world.coordinator)
    assert client.get("/reports/targets").status_code == 403
    assert client.get("/reports/targets/new").status_code == 403
    assert client.submit(f"/reports/targets/{target.id}/delete").status_code == 403
    assert client.get(f"/reports/targets/{target.id}/edit").status_code == 403
    edit = client.submit(f"/reports/targets/{target.id}/edit", _form(change_percent="1"))
    assert edit.status_code == 403
    db.expire_all()
    assert db.get(PartnershipTarget, target.id).change_percent == 50
    admin = login(make_user(db, Role.ADMIN))
    assert admin.get(f"/reports/targets/{target.id + 1}/edit").status_code == 404


def test_demo_target_is_added_once(db: Session) -> None:
    from marac.reports.demo import load_reports_demo

    assert "added" in load_reports_demo(db)
    assert "already present" in load_reports_demo(db)
    assert len(db.scalars(select(PartnershipTarget)).all()) == 1
