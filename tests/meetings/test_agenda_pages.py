"""The meetings list and the meeting page: building, changing and publishing the agenda."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.audit.models import AuditEvent
from marac.db import utcnow
from marac.meetings.models import AgendaAmendment, AgendaItem, ItemStatus
from marac.panels.models import AgendaStatus, Meeting, MeetingStatus
from marac.referrals.models import ReferralStatus
from tests.meetings import PanelWorld


def items(db: Session, meeting: Meeting) -> list[AgendaItem]:
    db.expire_all()
    return list(
        db.scalars(
            select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting.id)
            .order_by(AgendaItem.position)
        )
    )


def audited(db: Session, action: str, meeting: Meeting) -> list[AuditEvent]:
    return list(
        db.scalars(
            select(AuditEvent).where(
                AuditEvent.action == action, AuditEvent.object_id == str(meeting.id)
            )
        )
    )


def amendments(db: Session, meeting: Meeting) -> list[AgendaAmendment]:
    return list(db.scalars(select(AgendaAmendment).where(AgendaAmendment.meeting_id == meeting.id)))


@pytest.fixture
def world(db: Session) -> PanelWorld:
    return PanelWorld(db)


def three_cases(w: PanelWorld):
    now = utcnow()
    return [
        w.referral(risk_level="medium", created_at=now - timedelta(days=3 - n)) for n in range(3)
    ]


def test_build_reorder_publish_then_amend(db: Session, login, world: PanelWorld) -> None:
    w = world
    meeting = w.meeting()
    a, b, c = three_cases(w)
    chair = login(w.coordinator)
    url = f"/meetings/{meeting.id}"

    page = chair.get(url).get_data(as_text=True)
    assert "Build the agenda" in page

    response = chair.submit(f"{url}/agenda/build")
    assert response.status_code == 302
    assert [i.referral_id for i in items(db, meeting)] == [a.id, b.id, c.id]
    page = chair.get(url).get_data(as_text=True)
    for ref in (a, b, c):
        assert ref.reference in page
    assert "10am" in page and "10:15am" in page and "10:30am" in page
    assert "0 of 3 agencies" in page
    assert "Draft: not yet published" in page
    assert len(audited(db, "agenda_built", meeting)) == 1

    # Before publication the chair moves freely: no reason, no amendment.
    first = items(db, meeting)[0]
    response = chair.submit(f"{url}/agenda/items/{first.id}/move", {"direction": "down"})
    assert response.status_code == 302
    assert [i.referral_id for i in items(db, meeting)] == [b.id, a.id, c.id]
    assert amendments(db, meeting) == []
    assert len(audited(db, "agenda_item_moved", meeting)) == 1

    assert chair.submit(f"{url}/agenda/publish").status_code == 302
    db.refresh(meeting)
    assert meeting.agenda_status == AgendaStatus.PUBLISHED.value
    assert meeting.agenda_published_by_id == w.coordinator.id
    assert len(audited(db, "agenda_published", meeting)) == 1

    # After publication a move asks for a reason and records an amendment.
    moving = items(db, meeting)[2]
    response = chair.submit(f"{url}/agenda/items/{moving.id}/move", {"direction": "up"})
    assert response.status_code == 200
    assert "Reason for the change" in response.get_data(as_text=True)
    response = chair.submit(
        f"{url}/agenda/items/{moving.id}/move", {"direction": "up", "reason": ""}
    )
    assert response.status_code == 200
    assert "Enter the reason for the change" in response.get_data(as_text=True)
    assert [i.referral_id for i in items(db, meeting)] == [b.id, a.id, c.id]
    response = chair.submit(
        f"{url}/agenda/items/{moving.id}/move",
        {"direction": "up", "reason": "Police officer can only stay until 10:30"},
    )
    assert response.status_code == 302
    assert [i.referral_id for i in items(db, meeting)] == [b.id, c.id, a.id]
    (amendment,) = amendments(db, meeting)
    assert amendment.summary == f"Moved {c.reference} up to position 2"
    assert amendment.reason == "Police officer can only stay until 10:30"
    assert amendment.user_id == w.coordinator.id
    page = login(w.housing_member).get(url).get_data(as_text=True)
    assert "Amendments" in page and "Police officer can only stay until 10:30" in page


def test_defer_remove_and_add_with_reasons(db: Session, login, world: PanelWorld) -> None:
    w = world
    meeting = w.meeting()
    a, b, c = three_cases(w)
    spare = w.referral(status=ReferralStatus.HEARD, risk_level="low")
    # Heard before without a review date; the panel then judged the risk high.
    w.listed(w.meeting(-42, status=MeetingStatus.HELD.value), spare, risk_level_after="high")
    chair = login(w.coordinator)
    url = f"/meetings/{meeting.id}"
    chair.submit(f"{url}/agenda/build")
    chair.submit(f"{url}/agenda/publish")
    first, second, _third = items(db, meeting)

    assert chair.get(f"{url}/agenda/items/{first.id}/defer").status_code == 200
    response = chair.submit(f"{url}/agenda/items/{first.id}/defer", {"reason": ""})
    assert response.status_code == 200
    assert "Enter why the case is deferred to the next meeting" in response.get_data(as_text=True)
    response = chair.submit(
        f"{url}/agenda/items/{first.id}/defer", {"reason": "Housing report not ready"}
    )
    assert response.status_code == 302
    response = chair.submit(
        f"{url}/agenda/items/{second.id}/remove", {"reason": "Heard at the DA MARAC"}
    )
    assert response.status_code == 302
    got = {i.referral_id: i for i in items(db, meeting)}
    assert got[a.id].status == ItemStatus.DEFERRED.value
    assert got[a.id].status_reason == "Housing report not ready"
    assert got[b.id].status == ItemStatus.REMOVED.value
    assert got[c.id].position == 1

    page = chair.get(f"{url}/agenda/add").get_data(as_text=True)
    assert spare.reference in page and c.reference not in page
    response = chair.submit(f"{url}/agenda/add", {"referral_id": spare.id, "reason": ""})
    assert "Enter the reason for the change" in response.get_data(as_text=True)
    response = chair.submit(
        f"{url}/agenda/add", {"referral_id": spare.id, "reason": "Neighbour dispute escalated"}
    )
    assert response.status_code == 302
    got = {i.referral_id: i for i in items(db, meeting)}
    assert got[spare.id].kind == "review" and got[spare.id].added_by_chair
    assert got[spare.id].risk_level_before == "high"
    assert got[spare.id].position == 2
    assert [m.summary for m in amendments(db, meeting)] == [
        f"Deferred {a.reference} to the next meeting",
        f"Removed {b.reference} from the agenda",
        f"Added {spare.reference} to the agenda",
    ]
    for action in ("agenda_item_deferred", "agenda_item_removed", "agenda_item_added"):
        assert len(audited(db, action, meeting)) == 1

    # Members see the deferral; the removed case only as an amendment, not as a case.
    police = login(w.police_member)
    page = police.get(url).get_data(as_text=True)
    assert "Housing report not ready" in page
    assert f"/referrals/{b.id}" not in page
    assert police.get(f"/referrals/{b.id}").status_code == 403

    # The next meeting's agenda picks the deferred case up.
    meeting.status = MeetingStatus.HELD.value
    db.commit()
    following = w.meeting(56)
    chair.submit(f"/meetings/{following.id}/agenda/build")
    got = {i.referral_id: i for i in items(db, following)}
    assert got[a.id].kind == "deferred"


def test_rebuild_after_publication_is_an_amendment(db: Session, login, world) -> None:
    w = world
    meeting = w.meeting()
    three_cases(w)
    chair = login(w.coordinator)
    url = f"/meetings/{meeting.id}"
    chair.submit(f"{url}/agenda/build")
    chair.submit(f"{url}/agenda/publish")
    late = w.referral(risk_level="high")
    response = chair.submit(f"{url}/agenda/build")
    assert response.status_code == 200  # asks for the reason
    assert len(items(db, meeting)) == 3
    response = chair.submit(f"{url}/agenda/build", {"reason": "Urgent case accepted today"})
    assert response.status_code == 302
    listed = items(db, meeting)
    assert listed[0].referral_id == late.id
    (amendment,) = amendments(db, meeting)
    assert late.reference in amendment.summary


def test_publish_needs_cases(db: Session, login, world) -> None:
    meeting = world.meeting()
    chair = login(world.coordinator)
    chair.submit(f"/meetings/{meeting.id}/agenda/build")
    response = chair.submit(f"/meetings/{meeting.id}/agenda/publish", follow_redirects=True)
    assert "before publishing it" in response.get_data(as_text=True)
    db.refresh(meeting)
    assert meeting.agenda_status == AgendaStatus.DRAFT.value


@pytest.mark.parametrize("status", [MeetingStatus.CANCELLED, MeetingStatus.HELD])
def test_cancelled_and_held_meetings_cannot_change(db: Session, login, world, status) -> None:
    w = world
    meeting = w.meeting()
    (a, _b, _c) = three_cases(w)
    item = w.listed(meeting, a)
    meeting.status = status.value
    db.commit()
    chair = login(w.coordinator)
    url = f"/meetings/{meeting.id}"
    page = chair.get(url).get_data(as_text=True)
    assert "Rebuild the agenda" not in page and "Move down" not in page
    for path, data in [
        ("agenda/build", {}),
        ("agenda/publish", {}),
        (f"agenda/items/{item.id}/defer", {"reason": "x"}),
        (f"agenda/items/{item.id}/remove", {"reason": "x"}),
        (f"agenda/items/{item.id}/move", {"direction": "down", "reason": "x"}),
        ("agenda/add", {"referral_id": a.id, "reason": "x"}),
    ]:
        response = chair.submit(f"{url}/{path}", data)
        assert response.status_code == 302, path
    (only,) = items(db, meeting)
    assert only.status == ItemStatus.LISTED.value
    assert amendments(db, meeting) == []


def test_refusals(db: Session, login, world: PanelWorld) -> None:
    w = world
    meeting = w.meeting(agenda_status=AgendaStatus.PUBLISHED.value)
    (a, _b, _c) = three_cases(w)
    item = w.listed(meeting, a)
    url = f"/meetings/{meeting.id}"
    changes = [
        ("agenda/build", {}),
        ("agenda/publish", {}),
        (f"agenda/items/{item.id}/defer", {"reason": "x"}),
        (f"agenda/items/{item.id}/remove", {"reason": "x"}),
        (f"agenda/items/{item.id}/move", {"direction": "down", "reason": "x"}),
        ("agenda/add", {"referral_id": a.id, "reason": "x"}),
    ]
    for user in (w.housing_member, w.referrer, w.other_coordinator):
        client = login(user)
        for path, data in changes:
            assert client.submit(f"{url}/{path}", data).status_code == 403, (user.role, path)
        assert client.get(f"{url}/agenda/add").status_code == 403
    for user in (w.referrer, w.other_coordinator, w.outsider_member):
        assert login(user).get(url).status_code == 403
    (only,) = items(db, meeting)
    assert only.status == ItemStatus.LISTED.value
    assert amendments(db, meeting) == []


def test_member_sees_meeting_only_once_published(db: Session, login, world) -> None:
    w = world
    meeting = w.meeting()
    (a, _b, _c) = three_cases(w)
    w.listed(meeting, a)
    member = login(w.housing_member)
    assert "/meetings/" + str(meeting.id) not in member.get("/meetings/").get_data(as_text=True)
    page = member.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "has not been published yet" in page and a.reference not in page
    w.publish(meeting)
    listing = member.get("/meetings/").get_data(as_text=True)
    assert f"/meetings/{meeting.id}" in listing
    page = member.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert a.reference in page and "Add your research" in page
    assert "Move down" not in page and "Publish the agenda" not in page
    viewed = audited(db, "meeting_viewed", meeting)
    assert {e.user_id for e in viewed} == {w.housing_member.id}
    assert w.outsider_member.email  # the other panel's member sees nothing of it
    assert f"/meetings/{meeting.id}" not in login(w.outsider_member).get("/meetings/").get_data(
        as_text=True
    )


def _fill(db: Session, w: PanelWorld, meetings: list[Meeting], per_meeting: int) -> None:
    for meeting in meetings:
        for n in range(per_meeting):
            w.listed(meeting, w.referral(), n + 1)
    for meeting in meetings:
        meeting.agenda_status = AgendaStatus.PUBLISHED.value
    db.commit()


def test_meetings_list_queries_are_constant(db: Session, login, count_queries, world) -> None:
    w = world
    clients = {"coordinator": login(w.coordinator), "member": login(w.housing_member)}
    counts: dict[str, list[int]] = {k: [] for k in clients}
    days = iter(range(-300, 300, 7))
    for size in (3, 30):
        _fill(db, w, [w.meeting(next(days)) for _ in range(size)], 1)
        for name, client in clients.items():
            with count_queries() as q:
                assert client.get("/meetings/").status_code == 200
            counts[name].append(q.count)
    for name, (small, large) in counts.items():
        assert small == large, (name, counts)


def test_meeting_page_queries_are_constant(db: Session, login, count_queries, world) -> None:
    w = world
    clients = {"coordinator": login(w.coordinator), "member": login(w.housing_member)}
    counts: dict[str, list[int]] = {k: [] for k in clients}
    for size in (3, 30):
        meeting = w.meeting(size)
        _fill(db, w, [meeting], size)
        for name, client in clients.items():
            with count_queries() as q:
                response = client.get(f"/meetings/{meeting.id}")
                assert response.status_code == 200
            counts[name].append(q.count)
            assert response.get_data(as_text=True).count("0 of 3 agencies") == size
    for name, (small, large) in counts.items():
        assert small == large, (name, counts)


def test_a_concurrent_change_is_refused_not_lost(db: Session, login, world, monkeypatch, app):
    """Another chair saves the same item between our read and our write: nothing is lost."""
    from sqlalchemy import update

    from marac.meetings import queries

    w = world
    meeting = w.meeting()
    (a, _b, _c) = three_cases(w)
    item = w.listed(meeting, a)
    load_item = queries.agenda_item

    def racing(*args, **kwargs):
        loaded = load_item(*args, **kwargs)  # we have read the item: now the other chair saves
        engine = app.extensions["marac_db"].engine
        with engine.begin() as conn:
            conn.execute(
                update(AgendaItem)
                .where(AgendaItem.id == item.id)
                .values(version=AgendaItem.version + 1, status_reason="Saved by the other chair")
            )
        return loaded

    monkeypatch.setattr(queries, "agenda_item", racing)
    chair = login(w.coordinator)
    response = chair.submit(
        f"/meetings/{meeting.id}/agenda/items/{item.id}/remove",
        {"reason": "Mine"},
        follow_redirects=True,
    )
    assert "Someone else changed this agenda at the same time" in response.get_data(as_text=True)
    (only,) = items(db, meeting)
    assert (only.status, only.status_reason) == ("listed", "Saved by the other chair")
    assert audited(db, "agenda_item_removed", meeting) == []


def test_a_case_already_taken_off_cannot_be_deferred(db: Session, login, world) -> None:
    w = world
    meeting = w.meeting()
    (a, _b, _c) = three_cases(w)
    item = w.listed(meeting, a, status=ItemStatus.REMOVED.value, status_reason="Duplicate")
    response = login(w.coordinator).submit(
        f"/meetings/{meeting.id}/agenda/items/{item.id}/defer",
        {"reason": "Late"},
        follow_redirects=True,
    )
    assert "is not listed on the agenda" in response.get_data(as_text=True)
    (only,) = items(db, meeting)
    assert only.status == ItemStatus.REMOVED.value
