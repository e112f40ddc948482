"""The action operations called directly (no HTTP): the rules, audit rows and notices."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.actions import operations
from marac.actions.models import Action, ActionStatus, ActionUpdate
from marac.audit.models import AuditEvent
from marac.formatting import uk_today
from marac.notify.models import Notification
from marac.operations import Conflict, Invalid, Refused
from tests.actions.helpers import PanelWorld


def _count(db: Session, model: type, *where: object) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _audits(db: Session, action: str) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _new(world: PanelWorld, **changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "meeting_id": world.meeting.id,
        "description": "Fit a door chain",
        "kind": "victim_safety",
        "rara": "reduce",
        "agency_id": world.housing.id,
        "officer_id": world.housing_officer.id,
        "due_date": uk_today() + timedelta(days=14),
    }
    values.update(changes)
    return values


# ---- add_action -------------------------------------------------------------------------


def test_add_action_writes_the_log_the_audit_row_and_tells_the_officer(db: Session) -> None:
    world = PanelWorld(db)
    action = operations.add_action(db, world.coordinator, world.referral.id, **_new(world))
    db.expire_all()
    saved = db.get(Action, action.id)
    assert saved is not None and saved.status == ActionStatus.OPEN.value
    assert saved.created_by_id == world.coordinator.id
    log = list(db.scalars(select(ActionUpdate).where(ActionUpdate.action_id == action.id)))
    assert [entry.status_to for entry in log] == [ActionStatus.OPEN.value]
    assert "Agreed at the panel meeting" in log[0].note
    (audit,) = _audits(db, "action_added")
    assert audit.user_id == world.coordinator.id and audit.object_id == str(action.id)
    assert "door chain" not in audit.summary  # free text never reaches the audit log
    notice = db.scalar(select(Notification).where(Notification.user_id == world.housing_officer.id))
    assert notice is not None and notice.link == f"/actions/{action.id}"


def test_add_action_refuses_a_coordinator_of_another_area_and_writes_nothing(
    db: Session,
) -> None:
    world = PanelWorld(db)
    with pytest.raises(Refused):
        operations.add_action(db, world.other_coordinator, world.referral.id, **_new(world))
    with pytest.raises(Refused):
        operations.add_action(db, world.housing_member, world.referral.id, **_new(world))
    assert _count(db, Action) == 0
    assert _audits(db, "action_added") == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"due_date": uk_today() - timedelta(days=1)}, "due_date"),
        ({"description": "   "}, "description"),
        ({"kind": "made_up"}, "kind"),
        ({"rara": "ignore"}, "rara"),
    ],
)
def test_add_action_invalid(db: Session, changes: dict[str, object], field: str) -> None:
    world = PanelWorld(db)
    with pytest.raises(Invalid) as raised:
        operations.add_action(db, world.coordinator, world.referral.id, **_new(world, **changes))
    assert field in raised.value.errors
    assert _count(db, Action) == 0


def test_add_action_refuses_an_officer_of_another_agency(db: Session) -> None:
    world = PanelWorld(db)
    with pytest.raises(Invalid) as raised:
        operations.add_action(
            db,
            world.coordinator,
            world.referral.id,
            **_new(world, officer_id=world.police_officer.id),
        )
    assert list(raised.value.errors) == ["officer_id"]


# ---- record_progress --------------------------------------------------------------------


def test_progress_moves_the_status_logs_and_audits(db: Session) -> None:
    world = PanelWorld(db)
    action = world.action()
    operations.record_progress(
        db,
        world.housing_officer,
        action.id,
        version=action.version,
        status=ActionStatus.COMPLETED.value,
        note="Chain fitted",
    )
    db.expire_all()
    saved = db.get(Action, action.id)
    assert saved is not None and saved.status == ActionStatus.COMPLETED.value
    assert saved.completed_at is not None and saved.version == 2
    entry = db.scalar(select(ActionUpdate).where(ActionUpdate.action_id == action.id))
    assert entry is not None and (entry.status_from, entry.status_to) == ("open", "completed")
    (audit,) = _audits(db, "action_progress")
    assert audit.user_id == world.housing_officer.id
    assert "Chain fitted" not in audit.summary


def test_progress_refuses_someone_outside_the_agency(db: Session) -> None:
    world = PanelWorld(db)
    action = world.action()
    with pytest.raises(Refused):
        operations.record_progress(
            db, world.outsider, action.id, version=action.version, status="open", note="Hello"
        )
    assert _count(db, ActionUpdate) == 0 and _audits(db, "action_progress") == []


def test_progress_needs_a_note_or_a_change_and_an_allowed_move(db: Session) -> None:
    world = PanelWorld(db)
    action = world.action(status=ActionStatus.COMPLETED.value)
    with pytest.raises(Invalid) as raised:
        operations.record_progress(
            db, world.housing_officer, action.id, version=action.version, status="completed"
        )
    assert list(raised.value.errors) == ["note"]
    with pytest.raises(Invalid) as raised:
        operations.record_progress(
            db, world.housing_officer, action.id, version=action.version, status="open"
        )
    assert list(raised.value.errors) == ["status"]
    assert _count(db, ActionUpdate) == 0


def test_progress_on_a_stale_version_is_a_conflict_and_saves_nothing(db: Session) -> None:
    world = PanelWorld(db)
    action = world.action()
    seen = action.version
    operations.record_progress(
        db, world.housing_officer, action.id, version=seen, status="in_progress"
    )
    with pytest.raises(Conflict):
        operations.record_progress(
            db, world.housing_manager, action.id, version=seen, status="cancelled"
        )
    db.expire_all()
    saved = db.get(Action, action.id)
    assert saved is not None and saved.status == ActionStatus.IN_PROGRESS.value
    assert _count(db, ActionUpdate) == 1


def test_a_race_lost_at_the_write_is_a_conflict(app: object, db: Session) -> None:
    """Two sessions load version 1; the second to write gets `Conflict`, not an overwrite."""
    world = PanelWorld(db)
    action = world.action()
    other = app.extensions["marac_db"].sessionmaker()  # type: ignore[attr-defined]
    try:
        mine = other.get(Action, action.id)
        assert mine is not None
        operations.record_progress(
            db, world.housing_officer, action.id, version=1, status="in_progress"
        )
        with pytest.raises(Conflict):
            # The version check passes against the stale row; the write itself clashes.
            operations.record_progress(
                other, world.housing_manager, action.id, version=1, status="cancelled"
            )
    finally:
        other.close()
    db.expire_all()
    saved = db.get(Action, action.id)
    assert saved is not None and saved.status == ActionStatus.IN_PROGRESS.value


# ---- edit_action ------------------------------------------------------------------------


def _edit(world: PanelWorld, action: Action, **changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "version": action.version,
        "description": action.description,
        "kind": action.kind,
        "rara": action.rara,
        "agency_id": action.agency_id,
        "officer_id": action.officer_id,
        "due_date": action.due_date,
    }
    values.update(changes)
    return values


def test_edit_reassigns_logs_audits_and_tells_the_new_officer(db: Session) -> None:
    world = PanelWorld(db)
    action = world.action()
    changes = operations.edit_action(
        db,
        world.coordinator,
        action.id,
        **_edit(world, action, officer_id=world.housing_colleague.id, rara="remove"),
    )
    assert changes == [
        "RARA to Remove the risk",
        f"named officer to {world.housing_colleague.name}",
    ]
    db.expire_all()
    saved = db.get(Action, action.id)
    assert saved is not None and saved.officer_id == world.housing_colleague.id
    entry = db.scalar(select(ActionUpdate).where(ActionUpdate.action_id == action.id))
    assert entry is not None and entry.note.startswith("Changed ")
    (audit,) = _audits(db, "action_edited")
    assert audit.summary.endswith("2 changes")
    assert _count(db, Notification, Notification.user_id == world.housing_colleague.id) == 1


def test_edit_with_nothing_changed_writes_nothing(db: Session) -> None:
    world = PanelWorld(db)
    action = world.action()
    assert operations.edit_action(db, world.coordinator, action.id, **_edit(world, action)) == []
    assert _count(db, ActionUpdate) == 0 and _audits(db, "action_edited") == []


def test_edit_refuses_the_owner_and_the_other_area(db: Session) -> None:
    world = PanelWorld(db)
    action = world.action()
    for actor in (world.housing_officer, world.other_coordinator):
        with pytest.raises(Refused):
            operations.edit_action(
                db, actor, action.id, **_edit(world, action, description="Changed")
            )
    db.expire_all()
    saved = db.get(Action, action.id)
    assert saved is not None and saved.description == action.description


def test_edit_keeps_an_unchanged_past_due_date_but_refuses_a_new_one(db: Session) -> None:
    world = PanelWorld(db)
    past = uk_today() - timedelta(days=3)
    action = world.action(due_date=past)
    operations.edit_action(db, world.coordinator, action.id, **_edit(world, action, rara="avoid"))
    db.expire_all()
    fresh = db.get(Action, action.id)
    assert fresh is not None
    with pytest.raises(Invalid) as raised:
        operations.edit_action(
            db,
            world.coordinator,
            action.id,
            **_edit(world, fresh, due_date=past - timedelta(days=1)),
        )
    assert list(raised.value.errors) == ["due_date"]


def test_edit_on_a_stale_version_is_a_conflict(db: Session) -> None:
    world = PanelWorld(db)
    action = world.action()
    stale = _edit(world, action, description="Mine")
    operations.record_progress(
        db, world.housing_officer, action.id, version=action.version, status="in_progress"
    )
    with pytest.raises(Conflict):
        operations.edit_action(db, world.coordinator, action.id, **stale)
    db.expire_all()
    saved = db.get(Action, action.id)
    assert saved is not None and saved.description != "Mine"
