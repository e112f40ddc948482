"""Two people saving one action: the second is told, keeps what they typed, overwrites nothing."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from marac.actions.models import Action, ActionUpdate
from tests.actions.helpers import PanelWorld


def test_two_signed_in_people_saving_the_same_action(db: Session, login) -> None:
    w = PanelWorld(db)
    action = w.action(officer_id=None)  # the whole housing agency owns it
    first, second = login(w.housing_officer), login(w.housing_colleague)
    # Both open the page while the action is at version 1.
    assert 'value="1"' in first.get(f"/actions/{action.id}").get_data(as_text=True)
    assert 'value="1"' in second.get(f"/actions/{action.id}").get_data(as_text=True)

    saved = first.submit(
        f"/actions/{action.id}/progress",
        {"progress-version": "1", "progress-status": "completed", "progress-note": "Fitted locks."},
    )
    assert saved.status_code == 302
    clash = second.submit(
        f"/actions/{action.id}/progress",
        {
            "progress-version": "1",
            "progress-status": "in_progress",
            "progress-note": "Phoned the victim today.",
        },
    )
    html = clash.get_data(as_text=True)
    assert clash.status_code == 200
    assert "Someone else saved this action while you were editing it" in html
    assert "Phoned the victim today." in html  # what they typed is still there
    assert "Fitted locks." in html  # and the other person's save is shown
    db.expire_all()
    fresh = db.get(Action, action.id)
    assert fresh is not None and fresh.status == "completed" and fresh.version == 2
    notes = list(db.scalars(select(ActionUpdate.note).where(ActionUpdate.action_id == action.id)))
    assert notes == ["Fitted locks."]
    # Saving again from the refreshed form (now at version 2) is taken: a note on the log.
    again = second.submit(
        f"/actions/{action.id}/progress",
        {"progress-version": "2", "progress-status": "completed", "progress-note": "Phoned."},
    )
    assert again.status_code == 302


def test_coordinator_edit_and_owner_progress_clash(db: Session, login) -> None:
    w = PanelWorld(db)
    action = w.action()
    owner, coordinator = login(w.housing_officer), login(w.coordinator)
    assert (
        owner.submit(
            f"/actions/{action.id}/progress",
            {"progress-version": "1", "progress-status": "in_progress", "progress-note": "Begun"},
        ).status_code
        == 302
    )
    due = action.due_date
    response = coordinator.submit(
        f"/actions/{action.id}/edit",
        {
            "edit-version": "1",
            "edit-description": "A corrected description",
            "edit-kind": action.kind,
            "edit-rara": action.rara,
            "edit-agency_id": str(action.agency_id),
            "edit-officer_id": str(action.officer_id),
            "edit-due_date": [str(due.day), str(due.month), str(due.year)],
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Someone else saved this action" in html
    assert "A corrected description" in html
    db.expire_all()
    assert db.get(Action, action.id).description != "A corrected description"  # type: ignore[union-attr]


def test_version_column_refuses_the_second_of_two_sessions(app: Flask, db: Session) -> None:
    """Directly with two SQLAlchemy sessions (run on both backends; PostgreSQL in CI)."""
    w = PanelWorld(db)
    action = w.action()
    maker = app.extensions["marac_db"].sessionmaker
    one, two = maker(), maker()
    try:
        a1, a2 = one.get(Action, action.id), two.get(Action, action.id)
        assert a1 is not None and a2 is not None
        a1.status = "completed"
        a2.status = "cancelled"
        one.commit()
        with pytest.raises(StaleDataError):
            two.commit()
        two.rollback()
    finally:
        one.close()
        two.close()
    db.expire_all()
    assert db.get(Action, action.id).status == "completed"  # type: ignore[union-attr]
    assert db.scalar(select(func.count(ActionUpdate.id))) == 0
