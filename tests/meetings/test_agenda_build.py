"""build_agenda: which cases a meeting hears, as which kind, without duplicates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.actions.models import ActionStatus
from marac.audit.models import AuditEvent
from marac.db import utcnow
from marac.meetings.agenda import AgendaLocked, build_agenda, gather_candidates
from marac.meetings.models import AgendaItem, ItemStatus
from marac.panels.models import AgendaStatus, MeetingStatus
from marac.referrals.models import Referral, ReferralStatus
from tests.meeting_factories import make_action
from tests.meetings import PanelWorld


def items_of(db: Session, meeting) -> dict[int, AgendaItem]:
    db.expire_all()
    rows = db.scalars(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id))
    return {i.referral_id: i for i in rows}


class Cycle(PanelWorld):
    """The previous (held) meeting, the meeting being built, and a later one."""

    def __init__(self, db: Session) -> None:
        super().__init__(db)
        self.previous = self.meeting(-28, status=MeetingStatus.HELD.value)
        self.current = self.meeting(14)
        self.later = self.meeting(56)

    def heard(self, review_meeting_id: int | None, at=None) -> Referral:
        """A case heard at `at` (default the previous meeting), kept open for review."""
        referral = self.referral(status=ReferralStatus.HEARD, risk_level="medium")
        self.listed(
            at or self.previous,
            referral,
            decision="review",
            review_meeting_id=review_meeting_id,
            discussed_at=utcnow() - timedelta(days=28),
        )
        return referral


def test_candidates_by_kind(db: Session) -> None:
    w = Cycle(db)
    now = utcnow()
    new = w.referral(risk_level="medium", created_at=now - timedelta(days=10))
    high = w.referral(risk_level="high", created_at=now - timedelta(days=2))
    repeat = w.referral(risk_level="low", is_repeat=True, created_at=now - timedelta(days=1))
    review_due = w.heard(w.current.id)
    no_review_date = w.heard(None)
    overdue = w.heard(w.previous.id)
    cancelled = w.meeting(7, status=MeetingStatus.CANCELLED.value)
    review_cancelled = w.heard(cancelled.id)
    review_later = w.heard(w.later.id)
    with_actions = w.heard(w.later.id)
    make_action(db, with_actions, w.housing, w.previous, status=ActionStatus.IN_PROGRESS.value)
    done_actions = w.heard(w.later.id)
    make_action(db, done_actions, w.housing, w.previous, status=ActionStatus.COMPLETED.value)
    deferred = w.referral(status=ReferralStatus.ACCEPTED, risk_level="high")
    w.listed(w.previous, deferred, 2, status=ItemStatus.DEFERRED.value, status_reason="Police")

    added = build_agenda(db, w.current, w.coordinator)
    db.commit()

    got = items_of(db, w.current)
    kinds = {rid: item.kind for rid, item in got.items()}
    assert kinds == {
        new.id: "new",
        high.id: "new",
        repeat.id: "repeat",
        review_due.id: "review",
        no_review_date.id: "review",
        overdue.id: "review",
        review_cancelled.id: "review",
        with_actions.id: "review",
        deferred.id: "deferred",
    }
    assert review_later.id not in got and done_actions.id not in got
    assert len(added) == len(got)
    order = [i.referral_id for i in sorted(got.values(), key=lambda i: i.position)]
    # Risk first across every kind: the high-risk deferred case comes before any medium.
    assert order[:3] == [high.id, deferred.id, new.id]
    assert order[-1] == repeat.id  # a low-risk repeat, below every medium review
    assert [i.position for i in sorted(got.values(), key=lambda i: i.position)] == list(
        range(1, len(got) + 1)
    )
    assert got[high.id].risk_level_before == "high"
    assert {i.slot_minutes for i in got.values()} == {15}
    assert {i.status for i in got.values()} == {"listed"}
    db.refresh(w.current)
    assert w.current.agenda_status == AgendaStatus.DRAFT.value
    audit = db.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "agenda_built", AuditEvent.object_id == str(w.current.id)
        )
    )
    assert audit is not None and audit.user_id == w.coordinator.id


def test_excluded_cases(db: Session) -> None:
    w = Cycle(db)
    closed = w.heard(w.current.id)
    closed.status = ReferralStatus.CLOSED.value
    make_action(db, closed, w.housing, w.previous)  # outstanding, but the case is closed
    w.referral(status=ReferralStatus.NEW)
    w.referral(status=ReferralStatus.DECLINED)
    w.referral(area=w.other_area)
    w.referral(area=None)
    elsewhere = w.referral()
    w.listed(w.later, elsewhere)  # already listed on another scheduled meeting
    db.commit()

    assert gather_candidates(db, w.current) == []
    assert build_agenda(db, w.current, w.coordinator) == []


def test_listing_on_a_cancelled_meeting_does_not_hold_a_case_back(db: Session) -> None:
    w = Cycle(db)
    cancelled = w.meeting(7, status=MeetingStatus.CANCELLED.value)
    referral = w.referral()
    w.listed(cancelled, referral)
    assert [c.referral_id for c in gather_candidates(db, w.current)] == [referral.id]


def test_deferral_only_from_the_previous_meeting(db: Session) -> None:
    w = Cycle(db)
    older = w.meeting(-70, status=MeetingStatus.HELD.value)
    stale = w.referral(status=ReferralStatus.HEARD)
    w.listed(older, stale, status=ItemStatus.DEFERRED.value, status_reason="Old")
    assert gather_candidates(db, w.current) == []


def test_rebuild_is_idempotent_and_keeps_the_chairs_changes(db: Session) -> None:
    w = Cycle(db)
    now = utcnow()
    a = w.referral(risk_level="medium", created_at=now - timedelta(days=3))
    b = w.referral(risk_level="medium", created_at=now - timedelta(days=2))
    c = w.referral(risk_level="medium", created_at=now - timedelta(days=1))
    build_agenda(db, w.current, w.coordinator)
    db.commit()
    got = items_of(db, w.current)
    assert [got[r.id].position for r in (a, b, c)] == [1, 2, 3]

    # The chair puts c first and removes b.
    got[c.id].position, got[a.id].position = 1, 2
    got[b.id].status, got[b.id].position = ItemStatus.REMOVED.value, 3
    db.commit()
    assert build_agenda(db, w.current, w.coordinator) == []
    db.commit()
    got = items_of(db, w.current)
    assert len(got) == 3
    assert got[b.id].status == ItemStatus.REMOVED.value
    assert (got[c.id].position, got[a.id].position) == (1, 2)

    urgent = w.referral(risk_level="high")
    late = w.referral(risk_level="low")
    added = build_agenda(db, w.current, w.coordinator)
    db.commit()
    assert {i.referral_id for i in added} == {urgent.id, late.id}
    got = items_of(db, w.current)
    listed = sorted(
        (i for i in got.values() if i.status == ItemStatus.LISTED.value), key=lambda i: i.position
    )
    assert [i.referral_id for i in listed] == [urgent.id, c.id, a.id, late.id]
    assert [i.position for i in listed] == [1, 2, 3, 4]
    assert got[b.id].position == 5


def test_a_review_starts_from_the_risk_the_panel_last_agreed(db: Session) -> None:
    w = Cycle(db)
    earlier = w.meeting(-70, status=MeetingStatus.HELD.value)
    lowered = w.referral(status=ReferralStatus.HEARD, risk_level="high")
    w.listed(earlier, lowered, decision="review", risk_level_after="high")
    w.listed(w.previous, lowered, decision="review", risk_level_after="medium")
    unrated = w.heard(w.current.id)  # heard, but no level recorded after discussion
    build_agenda(db, w.current, w.coordinator)
    db.commit()
    got = items_of(db, w.current)
    assert got[lowered.id].risk_level_before == "medium"
    assert got[unrated.id].risk_level_before == "medium"  # the referral's own level
    # The referral keeps the level it arrived with: reports count referrals by it.
    assert db.get(Referral, lowered.id).risk_level == "high"


def test_a_held_or_cancelled_meeting_is_not_rebuilt(db: Session) -> None:
    w = Cycle(db)
    w.referral()
    with pytest.raises(AgendaLocked):
        build_agenda(db, w.previous, w.coordinator)
    w.current.status = MeetingStatus.CANCELLED.value
    db.commit()
    with pytest.raises(AgendaLocked):
        build_agenda(db, w.current, w.coordinator)


@pytest.mark.parametrize("phase", ["gather", "build"])
def test_building_takes_a_constant_number_of_queries(db: Session, count_queries, phase) -> None:
    counts = []
    for size in (3, 30):
        w = Cycle(db)
        for n in range(size):
            kind = n % 3
            if kind == 0:
                w.referral(is_repeat=n % 2 == 0)
            elif kind == 1:
                heard = w.heard(w.current.id)
                make_action(db, heard, w.police, w.previous)
            else:
                deferred = w.referral(status=ReferralStatus.HEARD)
                w.listed(w.previous, deferred, n, status=ItemStatus.DEFERRED.value)
        db.expire_all()
        meeting = db.get(type(w.current), w.current.id)
        assert meeting is not None
        _ = meeting.panel.areas, meeting.panel.slot_minutes
        with count_queries() as q:
            if phase == "gather":
                assert len(gather_candidates(db, meeting)) == size
            else:
                assert len(build_agenda(db, meeting, w.coordinator)) == size
                db.commit()
        counts.append(q.count)
    assert counts[0] == counts[1], counts
