"""Reviewing earlier actions, completing the record, and constant queries on record pages."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.actions.models import Action, ActionReview, ActionUpdate
from marac.audit.models import AuditEvent
from marac.formatting import uk_today
from marac.meetings.models import Attendee, CaseInformation, CaseResearch
from marac.panels.models import Meeting
from marac.referrals.models import ReferralStatus
from tests.actions.helpers import PanelWorld, record_data
from tests.meeting_factories import make_action, make_agenda_item, make_meeting
from tests.referrals.helpers import make_person, make_referral


def test_review_lists_outstanding_earlier_actions_with_latest_progress(db: Session, login) -> None:
    w = PanelWorld(db)
    action = w.action(description="Fit a video doorbell")
    db.add_all(
        [
            ActionUpdate(action_id=action.id, user_id=w.housing_officer.id, note="Ordered it"),
            ActionUpdate(action_id=action.id, user_id=w.housing_officer.id, note="Fitting Friday"),
        ]
    )
    w.action(description="Finished earlier", status="completed")
    make_action(db, w.referral, w.housing, w.meeting, description="Agreed today")
    other_panel_meeting = make_meeting(db, _other_panel(db, w), uk_today() - timedelta(days=10))
    make_action(db, w.referral, w.housing, other_panel_meeting, description="Other panel")
    db.commit()
    client = login(w.coordinator)
    url = f"/meetings/{w.meeting.id}/review"
    html = client.get(url).get_data(as_text=True)
    assert "Fit a video doorbell" in html and "Fitting Friday" in html
    assert "Ordered it" not in html
    for absent in ("Finished earlier", "Agreed today", "Other panel"):
        assert absent not in html

    response = client.submit(f"{url}/{action.id}", {f"review-{action.id}-note": "On track"})
    assert response.status_code == 302
    review = db.scalar(select(ActionReview))
    assert review is not None
    assert (review.action_id, review.meeting_id, review.reviewed_by_id, review.note) == (
        action.id,
        w.meeting.id,
        w.coordinator.id,
        "On track",
    )
    # Marking twice keeps one review; the page shows who and when.
    assert client.submit(f"{url}/{action.id}", {}).status_code == 302
    assert len(db.scalars(select(ActionReview)).all()) == 1
    html = client.get(url).get_data(as_text=True)
    assert "Reviewed" in html and w.coordinator.name in html
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "action_reviewed"))
    # Actions of today's meeting cannot be marked here.
    today_action = db.scalar(select(Action).where(Action.meeting_id == w.meeting.id))
    assert today_action is not None
    assert client.submit(f"{url}/{today_action.id}", {}).status_code == 404


def _other_panel(db: Session, w: PanelWorld):  # type: ignore[no-untyped-def]
    from tests.meeting_factories import make_panel

    return make_panel(db, [w.area], [w.housing])


def test_review_refusals(db: Session, login) -> None:
    w = PanelWorld(db)
    action = w.action()
    url = f"/meetings/{w.meeting.id}/review"
    for user in (w.other_coordinator, w.housing_member, w.housing_officer):
        client = login(user)
        assert client.get(url).status_code == 403
        assert client.submit(f"{url}/{action.id}", {}).status_code == 403
    assert db.scalar(select(ActionReview)) is None


def test_complete_needs_a_decision_on_every_case(db: Session, login) -> None:
    w = PanelWorld(db)
    second_referral, second = w.add_case(2)
    client = login(w.coordinator)
    url = f"/meetings/{w.meeting.id}/complete"
    assert client.submit(_record(w), record_data(w, w.item)).status_code == 302
    response = client.submit(url, {})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "govuk-error-summary" in html
    assert second_referral.reference in html and "Record a decision for every case" in html
    db.expire_all()
    meeting = db.get(Meeting, w.meeting.id)
    assert meeting is not None and meeting.status == "scheduled"
    assert meeting.record_completed_at is None

    assert client.submit(_record(w, second.id), record_data(w, second)).status_code == 302
    assert client.submit(url, {}).status_code == 302
    db.expire_all()
    meeting = db.get(Meeting, w.meeting.id)
    assert meeting is not None and meeting.status == "held"
    assert meeting.record_completed_at is not None
    assert login(w.housing_member).submit(url, {}).status_code == 403
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "meeting_record_completed"))


def _record(w: PanelWorld, item_id: int | None = None) -> str:
    return f"/meetings/{w.meeting.id}/record/{item_id or w.item.id}"


# ---- constant queries -------------------------------------------------------------------


def _grow(db: Session, w: PanelWorld, cases: int, start: int) -> None:
    """More listed cases, information, actions on this case, and earlier actions to review."""
    for n in range(start, start + cases):
        referral = make_referral(
            db, make_person(db), w.area, status=ReferralStatus.ACCEPTED, risk_level="high"
        )
        item = make_agenda_item(db, w.meeting, referral, position=n + 2)
        db.add(CaseInformation(agenda_item_id=item.id, agency_id=w.police.id, information="x"))
        earlier = make_action(db, referral, w.housing, w.earlier, officer_id=w.housing_officer.id)
        db.add(ActionUpdate(action_id=earlier.id, user_id=w.housing_officer.id, note=f"n{n}"))
        make_action(
            db,
            w.referral,
            w.housing,
            w.meeting,
            agenda_item_id=w.item.id,
            officer_id=w.housing_officer.id,
        )
        db.add(Attendee(meeting_id=w.meeting.id, agency_id=w.police.id, name=f"Person {n}"))
    db.commit()


def _research(db: Session, w: PanelWorld) -> None:
    for agency in (w.police, w.housing):
        db.add(
            CaseResearch(
                meeting_id=w.meeting.id,
                referral_id=w.referral.id,
                agency_id=agency.id,
                involvement="Known",
            )
        )
    db.commit()


def test_record_pages_issue_a_constant_number_of_queries(db: Session, login, count_queries) -> None:
    w = PanelWorld(db)
    db.commit()
    _research(db, w)
    client = login(w.coordinator)
    urls = [
        _record(w),
        f"/meetings/{w.meeting.id}/review",
        f"/meetings/{w.meeting.id}/complete",
        f"/meetings/{w.meeting.id}/attendance",
    ]
    counts: dict[str, list[int]] = {u: [] for u in urls}
    added = 0
    for total in (3, 30):
        _grow(db, w, total - added, added)
        added = total
        for url in urls:
            with count_queries() as q:
                response = client.get(url)
            assert response.status_code == 200, url
            counts[url].append(q.count)
    for url, (small, large) in counts.items():
        assert small == large, (url, counts)


def test_a_future_meeting_cannot_be_completed(db: Session, login) -> None:
    w = PanelWorld(db)
    response = login(w.coordinator).submit(f"/meetings/{w.later.id}/complete", {})
    assert response.status_code == 200
    assert "The meeting has not happened yet" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(Meeting, w.later.id).status == "scheduled"  # type: ignore[union-attr]


def test_case_record_shows_the_case_s_outstanding_earlier_actions(db: Session, login) -> None:
    w = PanelWorld(db)
    w.action(description="Earlier doorbell action")
    w.action(description="Earlier finished action", status="completed")
    html = login(w.coordinator).get(_record(w)).get_data(as_text=True)
    assert "Earlier doorbell action" in html and "Earlier finished action" not in html
