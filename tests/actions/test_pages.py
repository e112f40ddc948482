"""My actions, the agency view, the action page: order, context, filters, access, audit."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.actions.models import Action, ActionUpdate
from marac.audit.models import AuditEvent
from marac.formatting import uk_today
from marac.meetings.models import CaseInformation
from tests.actions.helpers import PanelWorld
from tests.meeting_factories import make_action


def test_my_actions_overdue_first_then_by_due_date_with_minimum_context(db: Session, login) -> None:
    w = PanelWorld(db)
    today = uk_today()
    w.person.address = "14 Mill Road"
    db.commit()
    later = w.action(description="Later action", due_date=today + timedelta(days=30))
    overdue = w.action(description="Overdue action", due_date=today - timedelta(days=2))
    sooner = w.action(description="Sooner action", due_date=today + timedelta(days=3))
    agency_wide = w.action(
        description="Agency-wide action", officer_id=None, due_date=today + timedelta(days=10)
    )
    w.action(description="Colleague's action", officer_id=w.housing_colleague.id)
    w.action(description="Finished action", status="completed")
    make_action(db, w.referral, w.police, w.earlier, description="Police action")
    db.add(CaseInformation(agenda_item_id=w.item.id, agency_id=w.police.id, information="SECRET"))
    db.commit()

    html = login(w.housing_officer).get("/actions/mine").get_data(as_text=True)

    order = [html.index(a.description) for a in (overdue, sooner, agency_wide, later)]
    assert order == sorted(order)
    assert "Your agency: nobody named" in html
    assert w.referral.reference in html and w.person.full_name in html
    assert "14 Mill Road" in html
    for hidden in ("Colleague's action", "Finished action", "Police action", "SECRET"):
        assert hidden not in html
    assert "Overdue" in html
    everything = login(w.housing_officer).get("/actions/mine?show=all").get_data(as_text=True)
    assert "Finished action" in everything
    assert db.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "my_actions_listed", AuditEvent.user_id == w.housing_officer.id
        )
    )


def test_header_shows_the_count_of_my_overdue_actions(db: Session, login) -> None:
    w = PanelWorld(db)
    today = uk_today()
    client = login(w.housing_officer)
    assert "overdue</span>" not in client.get("/").get_data(as_text=True)
    w.action(due_date=today - timedelta(days=1))
    w.action(due_date=today - timedelta(days=9), officer_id=None)
    w.action(due_date=today - timedelta(days=9), status="completed")
    w.action(due_date=today - timedelta(days=9), officer_id=w.housing_colleague.id)
    w.action(due_date=today)
    html = client.get("/").get_data(as_text=True)
    assert "2 overdue</span>" in html
    assert "overdue</span>" not in login(w.police_officer).get("/").get_data(as_text=True)


def test_agency_view_filters_and_who_may_use_it(db: Session, login) -> None:
    w = PanelWorld(db)
    today = uk_today()
    w.action(description="Officer overdue", due_date=today - timedelta(days=1))
    w.action(description="Colleague open", officer_id=w.housing_colleague.id)
    w.action(description="Officer completed", status="completed")
    make_action(db, w.referral, w.police, w.earlier, description="Police action")

    manager = login(w.housing_manager)
    html = manager.get("/actions/agency").get_data(as_text=True)
    assert "Officer overdue" in html and "Colleague open" in html
    assert "Officer completed" not in html and "Police action" not in html
    html = manager.get("/actions/agency?overdue=1").get_data(as_text=True)
    assert "Officer overdue" in html and "Colleague open" not in html
    html = manager.get(f"/actions/agency?officer={w.housing_colleague.id}").get_data(as_text=True)
    assert "Colleague open" in html and "Officer overdue" not in html
    html = manager.get("/actions/agency?status=completed").get_data(as_text=True)
    assert "Officer completed" in html and "Officer overdue" not in html
    html = manager.get(f"/actions/agency?panel={w.panel.id}&status=all").get_data(as_text=True)
    assert "Officer completed" in html
    html = manager.get("/actions/agency?panel=999999").get_data(as_text=True)
    assert "No actions match" in html

    # Members are managers too; the panel's coordinator sees all the area's actions.
    assert "Colleague open" in login(w.housing_member).get("/actions/agency").get_data(as_text=True)
    coordinator = login(w.coordinator).get("/actions/agency").get_data(as_text=True)
    assert "Police action" in coordinator and "Colleague open" in coordinator
    assert "Police action" not in login(w.other_coordinator).get("/actions/agency").get_data(
        as_text=True
    )
    # A plain referrer has "my actions" only.
    assert login(w.housing_officer).get("/actions/agency").status_code == 403


def test_action_page_access(db: Session, login, app) -> None:
    w = PanelWorld(db)
    named = w.action()
    agency_wide = w.action(officer_id=None)
    assert login(w.housing_officer).get(f"/actions/{named.id}").status_code == 200
    assert login(w.housing_colleague).get(f"/actions/{named.id}").status_code == 403
    assert login(w.housing_colleague).get(f"/actions/{agency_wide.id}").status_code == 200
    assert login(w.housing_manager).get(f"/actions/{named.id}").status_code == 200
    assert login(w.police_officer).get(f"/actions/{named.id}").status_code == 403
    assert login(w.outsider).get(f"/actions/{named.id}").status_code == 403
    assert login(w.other_coordinator).get(f"/actions/{named.id}").status_code == 403
    assert login(w.coordinator).get(f"/actions/{named.id}").status_code == 200
    assert login(w.housing_officer).get("/actions/999999").status_code == 404
    # Refused users cannot post progress either.
    police = login(w.police_officer)
    response = police.submit(
        f"/actions/{named.id}/progress",
        {"progress-version": "1", "progress-status": "completed", "progress-note": "x"},
    )
    assert response.status_code == 403
    db.refresh(named)
    assert named.status == "open"
    # Only the coordinator edits what was agreed.
    response = login(w.housing_officer).submit(
        f"/actions/{named.id}/edit", {"edit-version": "1", "edit-description": "Changed"}
    )
    assert response.status_code == 403


def test_owner_page_shows_only_minimum_context(db: Session, login) -> None:
    w = PanelWorld(db)
    action = w.action()
    w.referral.reasons = "PRIVATE REFERRAL REASONS"
    db.add(CaseInformation(agenda_item_id=w.item.id, agency_id=w.police.id, information="SECRET"))
    db.commit()
    html = login(w.housing_officer).get(f"/actions/{action.id}").get_data(as_text=True)
    assert w.referral.reference in html and w.person.full_name in html
    assert w.earlier.meeting_date.strftime("%Y") in html
    assert "SECRET" not in html and "PRIVATE REFERRAL REASONS" not in html
    assert f"/referrals/{w.referral.id}" not in html
    assert "Change the action" not in html
    assert db.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "action_viewed", AuditEvent.object_id == str(action.id)
        )
    )


def test_progress_and_completion(db: Session, login) -> None:
    w = PanelWorld(db)
    action = w.action()
    client = login(w.housing_officer)
    response = client.submit(
        f"/actions/{action.id}/progress",
        {"progress-version": "1", "progress-status": "in_progress", "progress-note": "Visited."},
    )
    assert response.status_code == 302
    db.refresh(action)
    assert action.status == "in_progress" and action.version == 2
    # A note is needed when the status stays the same.
    response = client.submit(
        f"/actions/{action.id}/progress",
        {"progress-version": "2", "progress-status": "in_progress", "progress-note": ""},
    )
    assert response.status_code == 200
    assert "Enter a progress note or change the status" in response.get_data(as_text=True)
    # Not an allowed choice from in progress.
    response = client.submit(
        f"/actions/{action.id}/progress",
        {"progress-version": "2", "progress-status": "open", "progress-note": "Back"},
    )
    assert response.status_code == 200
    assert "govuk-error-summary" in response.get_data(as_text=True)
    response = client.submit(
        f"/actions/{action.id}/progress",
        {"progress-version": "2", "progress-status": "completed", "progress-note": "Done."},
    )
    assert response.status_code == 302
    db.refresh(action)
    assert action.status == "completed" and action.completed_at is not None
    log = list(
        db.scalars(
            select(ActionUpdate)
            .where(ActionUpdate.action_id == action.id)
            .order_by(ActionUpdate.id)
        )
    )
    assert [(u.status_from, u.status_to, u.note, u.user_id) for u in log] == [
        ("open", "in_progress", "Visited.", w.housing_officer.id),
        ("in_progress", "completed", "Done.", w.housing_officer.id),
    ]
    page = client.get(f"/actions/{action.id}").get_data(as_text=True)
    assert "Visited." in page and "Done." in page
    assert db.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "action_progress", AuditEvent.object_id == str(action.id)
        )
    )
    assert "Done." not in client.get("/actions/mine").get_data(as_text=True)


def test_coordinator_edits_the_action_with_validation(db: Session, login) -> None:
    w = PanelWorld(db)
    action = w.action()
    client = login(w.coordinator)
    due = uk_today() + timedelta(days=20)
    data = {
        "edit-version": "1",
        "edit-description": "Serve a notice of seeking possession",
        "edit-kind": "enforcement_nosp",
        "edit-rara": "remove",
        "edit-agency_id": str(w.housing.id),
        "edit-officer_id": str(w.police_officer.id),
        "edit-due_date": [str(due.day), str(due.month), str(due.year)],
    }
    response = client.submit(f"/actions/{action.id}/edit", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The named officer must work for the agency that owns the action" in html
    assert "Serve a notice of seeking possession" in html  # kept what was typed
    past = uk_today() - timedelta(days=1)
    data |= {
        "edit-officer_id": str(w.housing_colleague.id),
        "edit-due_date": [str(past.day), str(past.month), str(past.year)],
    }
    html = client.submit(f"/actions/{action.id}/edit", data).get_data(as_text=True)
    assert "The due date must be today or in the future" in html
    data["edit-due_date"] = [str(due.day), str(due.month), str(due.year)]
    assert client.submit(f"/actions/{action.id}/edit", data).status_code == 302
    db.refresh(action)
    assert action.officer_id == w.housing_colleague.id and action.kind == "enforcement_nosp"
    assert action.due_date == due
    note = db.scalar(select(ActionUpdate.note).where(ActionUpdate.action_id == action.id))
    assert note and "named officer" in note


def test_admin_sees_no_actions(db: Session, login) -> None:
    from marac.accounts.models import Role
    from tests.factories import make_user

    w = PanelWorld(db)
    action = w.action()
    admin = login(make_user(db, Role.ADMIN, agency=w.housing))
    assert admin.get("/actions/mine").status_code == 403
    assert admin.get(f"/actions/{action.id}").status_code == 403
    assert db.get(Action, action.id) is not None


def test_header_count_is_one_query_per_page(db: Session, login, count_queries) -> None:
    w = PanelWorld(db)
    client = login(w.housing_officer)
    for n in range(3):
        w.action(due_date=uk_today() - timedelta(days=n + 1))
    with count_queries() as q:
        html = client.get("/").get_data(as_text=True)
    assert "3 overdue</span>" in html
    assert sum(1 for s in q.statements if "FROM action" in s) == 1
