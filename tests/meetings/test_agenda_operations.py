"""The agenda operations called directly, as the API and jobs will call them (no HTTP)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from marac.audit.models import AuditEvent
from marac.db import utcnow
from marac.meetings import operations as ops
from marac.meetings import queries
from marac.meetings.models import AgendaAmendment, AgendaItem, CaseResearch, ItemStatus
from marac.notify.events import AGENDA_AMENDED, AGENDA_PUBLISHED
from marac.notify.models import Notification
from marac.operations import Conflict, Invalid, NotFound, Refused
from marac.panels.models import AgendaStatus, Meeting, MeetingStatus
from tests.meetings import PanelWorld


@pytest.fixture
def world(db: Session) -> PanelWorld:
    return PanelWorld(db)


def cases(w: PanelWorld, n: int = 3):
    now = utcnow()
    return [
        w.referral(risk_level="medium", created_at=now - timedelta(days=n - k)) for k in range(n)
    ]


def listed(db: Session, meeting: Meeting) -> list[AgendaItem]:
    db.expire_all()
    return list(
        db.scalars(
            select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting.id)
            .order_by(AgendaItem.position)
        )
    )


def audit(db: Session, action: str) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def notices(db: Session, kind: str) -> set[int]:
    return set(db.scalars(select(Notification.user_id).where(Notification.kind == kind)))


def test_build_then_publish_notifies_the_panels_members(db: Session, world: PanelWorld) -> None:
    w = world
    meeting = w.meeting()
    a, b, c = cases(w)
    built = ops.build_agenda(db, w.coordinator, meeting.id)
    assert (built.added, built.first) == (3, True)
    assert [i.referral_id for i in listed(db, meeting)] == [a.id, b.id, c.id]
    assert len(audit(db, "agenda_built")) == 1
    assert ops.publish_agenda(db, w.coordinator, meeting.id) == 3
    db.refresh(meeting)
    assert meeting.agenda_status == AgendaStatus.PUBLISHED.value
    assert meeting.agenda_published_by_id == w.coordinator.id
    (row,) = audit(db, "agenda_published")
    assert (row.user_id, row.summary) == (w.coordinator.id, "Agenda published with 3 cases")
    members = {w.police_member.id, w.housing_member.id, w.vs_member.id}
    assert notices(db, AGENDA_PUBLISHED) == members  # not the other panel's member


def test_changes_after_publication_are_amendments(db: Session, world: PanelWorld) -> None:
    w = world
    meeting = w.meeting()
    a, b, c = cases(w)
    ops.build_agenda(db, w.coordinator, meeting.id)
    ops.publish_agenda(db, w.coordinator, meeting.id)
    first, second, third = listed(db, meeting)
    with pytest.raises(Invalid) as raised:
        ops.move_agenda_item(db, w.coordinator, meeting.id, first.id, direction="down")
    assert "reason" in raised.value.errors
    summary = ops.move_agenda_item(
        db, w.coordinator, meeting.id, first.id, direction="down", reason="Police first"
    )
    assert summary == f"Moved {a.reference} down to position 2"
    assert [i.referral_id for i in listed(db, meeting)] == [b.id, a.id, c.id]
    ops.defer_agenda_item(db, w.coordinator, meeting.id, third.id, reason="Awaiting police")
    ops.remove_agenda_item(db, w.coordinator, meeting.id, second.id, reason="Duplicate")
    items = {i.referral_id: i for i in listed(db, meeting)}
    assert items[c.id].status == ItemStatus.DEFERRED.value
    assert items[b.id].status == ItemStatus.REMOVED.value
    assert items[c.id].status_reason == "Awaiting police"
    amendments = list(db.scalars(select(AgendaAmendment).order_by(AgendaAmendment.id)))
    assert [am.reason for am in amendments] == ["Police first", "Awaiting police", "Duplicate"]
    (moved,) = audit(db, "agenda_item_moved")
    assert "Police first" not in moved.summary and moved.summary.endswith("(reason given)")
    # One amendment notice per member while the first is unread.
    assert notices(db, AGENDA_AMENDED) == {w.police_member.id, w.housing_member.id, w.vs_member.id}
    assert (
        db.scalar(select(Notification.id).where(Notification.kind == AGENDA_AMENDED).offset(3))
        is None
    )


def test_add_case_and_research(db: Session, world: PanelWorld) -> None:
    w = world
    meeting = w.meeting(agenda_status=AgendaStatus.PUBLISHED.value)
    (a,) = cases(w, 1)
    assert ops.add_case_to_agenda(
        db, w.coordinator, meeting.id, referral_id=a.id, reason="Urgent"
    ) == (f"Added {a.reference} to the agenda")
    (item,) = listed(db, meeting)
    assert (item.referral_id, item.added_by_chair) == (a.id, True)
    research = ops.Research(involvement="Tenant since 2019", risks="Threats")
    row = ops.save_case_research(
        db, w.housing_member, meeting.id, a.id, version=None, research=research
    )
    assert (row.agency_id, row.version) == (w.housing.id, 1)
    (event,) = audit(db, "case_research_saved")
    assert "Tenant" not in event.summary and a.reference in event.summary
    again = ops.save_case_research(
        db,
        w.housing_member,
        meeting.id,
        a.id,
        version=1,
        research=ops.Research(no_involvement=True),
    )
    assert (again.involvement, again.no_involvement, again.version) == ("", True, 2)


def test_wrong_actors_are_refused_and_nothing_is_written(db: Session, world: PanelWorld) -> None:
    w = world
    meeting = w.meeting()
    (a,) = cases(w, 1)
    item = w.listed(meeting, a)
    for actor in (w.housing_member, w.referrer, w.other_coordinator):
        for call in (
            lambda actor=actor: ops.build_agenda(db, actor, meeting.id),
            lambda actor=actor: ops.publish_agenda(db, actor, meeting.id),
            lambda actor=actor: ops.move_agenda_item(
                db, actor, meeting.id, item.id, direction="up"
            ),
            lambda actor=actor: ops.defer_agenda_item(db, actor, meeting.id, item.id, reason="x"),
            lambda actor=actor: ops.remove_agenda_item(db, actor, meeting.id, item.id, reason="x"),
            lambda actor=actor: ops.add_case_to_agenda(db, actor, meeting.id, referral_id=a.id),
        ):
            with pytest.raises(Refused):
                call()
    # Research: only members of the panel's agencies, and only once published.
    with pytest.raises(Refused):
        ops.save_case_research(
            db, w.housing_member, meeting.id, a.id, version=None, research=ops.Research(risks="r")
        )
    w.publish(meeting)
    for actor in (w.outsider_member, w.coordinator, w.referrer):
        with pytest.raises(Refused):
            ops.save_case_research(
                db, actor, meeting.id, a.id, version=None, research=ops.Research(risks="r")
            )
    with pytest.raises(NotFound):
        ops.build_agenda(db, w.coordinator, meeting.id + 999)
    (only,) = listed(db, meeting)
    assert only.status == ItemStatus.LISTED.value
    assert db.scalar(select(CaseResearch.id)) is None
    assert audit(db, "agenda_built") == [] and audit(db, "agenda_published") == []


def test_broken_rules_are_invalid(db: Session, world: PanelWorld) -> None:
    w = world
    meeting = w.meeting()
    with pytest.raises(Invalid) as raised:  # nothing listed yet
        ops.publish_agenda(db, w.coordinator, meeting.id)
    assert "before publishing it" in raised.value.errors["agenda"][0]
    (a, b) = cases(w, 2)
    first = w.listed(meeting, a, 1)
    w.listed(meeting, b, 2)
    with pytest.raises(Invalid) as raised:
        ops.move_agenda_item(db, w.coordinator, meeting.id, first.id, direction="up")
    assert raised.value.errors == {"direction": [f"{a.reference} is already first."]}
    with pytest.raises(Invalid):
        ops.move_agenda_item(db, w.coordinator, meeting.id, first.id, direction="sideways")
    with pytest.raises(Invalid) as raised:
        ops.defer_agenda_item(db, w.coordinator, meeting.id, first.id, reason="  ")
    assert "reason" in raised.value.errors
    ops.remove_agenda_item(db, w.coordinator, meeting.id, first.id, reason="Duplicate")
    with pytest.raises(Invalid) as raised:
        ops.defer_agenda_item(db, w.coordinator, meeting.id, first.id, reason="Late")
    assert "is not listed" in raised.value.errors["item"][0]
    with pytest.raises(Invalid) as raised:  # b is listed already
        ops.add_case_to_agenda(db, w.coordinator, meeting.id, referral_id=b.id)
    assert "referral_id" in raised.value.errors
    meeting.status = MeetingStatus.CANCELLED.value
    db.commit()
    with pytest.raises(Invalid) as raised:
        ops.build_agenda(db, w.coordinator, meeting.id)
    assert "cancelled" in raised.value.errors["meeting"][0]
    assert audit(db, "agenda_built") == []


def test_research_rules(db: Session, world: PanelWorld) -> None:
    w = world
    meeting = w.meeting(agenda_status=AgendaStatus.PUBLISHED.value)
    (a,) = cases(w, 1)
    w.listed(meeting, a)
    with pytest.raises(Invalid) as raised:
        ops.save_case_research(
            db, w.housing_member, meeting.id, a.id, version=None, research=ops.Research()
        )
    assert "involvement" in raised.value.errors
    with pytest.raises(Invalid):
        ops.save_case_research(
            db,
            w.housing_member,
            meeting.id,
            a.id,
            version=None,
            research=ops.Research(no_involvement=True, involvement="Known"),
        )
    meeting.status = MeetingStatus.HELD.value
    db.commit()
    with pytest.raises(Invalid) as raised:
        ops.save_case_research(
            db, w.housing_member, meeting.id, a.id, version=None, research=ops.Research(risks="r")
        )
    assert "no longer change" in raised.value.errors["meeting"][0]
    assert db.scalar(select(CaseResearch.id)) is None


def test_stale_research_is_a_conflict(db: Session, world: PanelWorld) -> None:
    w = world
    meeting = w.meeting(agenda_status=AgendaStatus.PUBLISHED.value)
    (a,) = cases(w, 1)
    w.listed(meeting, a)
    ops.save_case_research(
        db, w.housing_member, meeting.id, a.id, version=None, research=ops.Research(risks="Mine")
    )
    with pytest.raises(Conflict):  # a colleague loaded the empty form before
        ops.save_case_research(
            db, w.housing_member, meeting.id, a.id, version=None, research=ops.Research(risks="Old")
        )
    db.expire_all()
    (row,) = db.scalars(select(CaseResearch))
    assert (row.risks, row.version) == ("Mine", 1)


def test_a_concurrent_agenda_change_is_a_conflict(
    db: Session, world: PanelWorld, app, monkeypatch
) -> None:
    """Another chair saves the item between our read and our write: ours is refused."""
    w = world
    meeting = w.meeting()
    (a,) = cases(w, 1)
    item = w.listed(meeting, a)
    load = queries.agenda_item

    def racing(*args, **kwargs):
        loaded = load(*args, **kwargs)
        with app.extensions["marac_db"].engine.begin() as conn:
            conn.execute(
                update(AgendaItem)
                .where(AgendaItem.id == item.id)
                .values(version=AgendaItem.version + 1, status_reason="Theirs")
            )
        return loaded

    monkeypatch.setattr(queries, "agenda_item", racing)
    with pytest.raises(Conflict):
        ops.remove_agenda_item(db, w.coordinator, meeting.id, item.id, reason="Mine")
    (only,) = listed(db, meeting)
    assert (only.status, only.status_reason) == (ItemStatus.LISTED.value, "Theirs")
    assert audit(db, "agenda_item_removed") == []
