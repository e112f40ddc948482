"""Retention with review: the boundary date, legal holds, disposal that keeps the figures,
a log with no content, and who may not do any of it."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.assessments.models import RiskAssessment
from marac.attachments.models import Attachment
from marac.audit.chain import verify
from marac.audit.models import AuditEvent
from marac.db import clock_at
from marac.jobs.models import Job
from marac.notify.models import Notification
from marac.operations import Invalid, NotFound, Refused
from marac.people.models import Person
from marac.referrals.models import Referral, ReferralStatus
from marac.reports import queries as reports
from marac.retention import operations
from marac.retention.models import DisposalLog, RetentionDue
from marac.retention.queries import review
from marac.retention.schedule import RecordType, add_months, cutoff, due_on, is_due
from marac.storage.backends import store
from tests.factories import make_user
from tests.referrals.helpers import make_person, make_referral
from tests.retention.helpers import R1_DUE, R4_DUE, RetentionBorough

CLOSED = RecordType.CLOSED_REFERRAL.value


def _listed(db: Session, record_type: str = CLOSED) -> set[int]:
    return set(
        db.scalars(select(RetentionDue.object_id).where(RetentionDue.record_type == record_type))
    )


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def test_months_run_on_calendar_days_and_month_ends() -> None:
    assert add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    # A close at 23:30 UTC on 31 March is already 1 April in the UK (BST).
    assert due_on(datetime(2026, 3, 31, 23, 30, tzinfo=UTC), 12) == date(2027, 4, 1)
    assert not is_due(date(2026, 3, 30), 72, date(2032, 3, 29))
    assert is_due(date(2026, 3, 30), 72, date(2032, 3, 30))
    for today in (date(2026, 2, 28), date(2026, 3, 1), date(2032, 3, 30)):
        edge = cutoff(6, today)
        assert is_due(edge, 6, today) and not is_due(edge + timedelta(days=1), 6, today)


def test_a_closed_case_is_listed_on_its_date_and_not_the_day_before(db: Session) -> None:
    world = RetentionBorough(db)
    found = operations.list_due(db, R1_DUE - timedelta(days=1))
    assert _listed(db) == {world.r4.id}
    assert found[CLOSED] == 1
    operations.list_due(db, R1_DUE)
    assert _listed(db) == {world.r4.id, world.r1.id}
    due = db.get(RetentionDue, (CLOSED, world.r1.id))
    assert due is not None and due.due_on == R1_DUE
    # Open cases are never listed, however old.
    assert world.r3.id not in _listed(db) and world.r2.id not in _listed(db)
    # Before either date nothing is.
    operations.list_due(db, R4_DUE - timedelta(days=1))
    assert _listed(db) == set()


def test_a_declined_referral_is_due_a_year_after_it_was_declined(db: Session) -> None:
    world = RetentionBorough(db)
    declined = make_referral(
        db,
        make_person(db),
        world.area,
        created_at=_noon(date(2026, 1, 2)),
        status=ReferralStatus.DECLINED,
        screened_at=_noon(date(2026, 1, 5)),
    )
    operations.list_due(db, date(2027, 1, 4))
    assert declined.id not in _listed(db, RecordType.DECLINED_REFERRAL.value)
    operations.list_due(db, date(2027, 1, 5))
    assert _listed(db, RecordType.DECLINED_REFERRAL.value) == {declined.id}


def test_a_council_changes_a_period_and_the_listing_follows(db: Session) -> None:
    world = RetentionBorough(db)
    operations.list_due(db, date(2030, 3, 30))
    assert _listed(db) == set()
    operations.set_periods(db, world.admin, {CLOSED: 48})
    operations.list_due(db, date(2030, 3, 30))
    assert _listed(db) == {world.r1.id, world.r4.id}
    with pytest.raises(Invalid) as problem:
        operations.set_periods(db, world.admin, {CLOSED: 0})
    assert CLOSED in problem.value.errors
    for actor in (world.governance, world.coordinator, world.officer, world.member):
        with pytest.raises(Refused):
            operations.set_periods(db, actor, {CLOSED: 12})


def test_a_legal_hold_survives_the_listing_and_the_disposal_job(app: Flask, db: Session) -> None:
    world = RetentionBorough(db)
    with app.app_context():
        operations.list_due(db, R1_DUE)
        with pytest.raises(Invalid) as problem:
            operations.keep(db, world.governance, CLOSED, world.r1.id, " ", R1_DUE, R1_DUE)
        assert set(problem.value.errors) == {"reason", "review_on"}
        operations.keep(
            db, world.governance, CLOSED, world.r1.id, "Civil claim pending", date(2033, 1, 1),
            R1_DUE,
        )  # fmt: skip
        # The nightly listing leaves it off while the hold stands.
        operations.list_due(db, R1_DUE + timedelta(days=1))
        assert _listed(db) == {world.r4.id}
        # A batch asked for before the hold (the id is in the job) still leaves it alone.
        db.add(RetentionDue(record_type=CLOSED, object_id=world.r1.id, due_on=R1_DUE))
        db.commit()
        with clock_at(_noon(R1_DUE)):
            job = operations.request_disposal(db, world.governance, CLOSED, R1_DUE)
        assert json.loads(job.params)["ids"] == [world.r4.id]
        operations.dispose_batch(
            db, world.governance, job.id, CLOSED, [world.r1.id], R1_DUE, store()
        )
        assert db.get(Person, world.victim.id).full_name == "Alice Example"  # type: ignore[union-attr]
        # On its review date it is listed again for a decision.
        operations.list_due(db, date(2033, 1, 1))
        assert world.r1.id in _listed(db)


def test_disposal_removes_personal_data_and_documents_and_keeps_the_figures(
    app: Flask, db: Session
) -> None:
    world = RetentionBorough(db)
    with app.app_context():
        document = world.add_document(db, world.officer)
        key = document.storage_key
        before = reports.dashboard(db, world.scope())
        operations.list_due(db, R1_DUE)
        with clock_at(_noon(R1_DUE)):
            job = operations.request_disposal(db, world.governance, CLOSED, R1_DUE)
        db.expire_all()
        finished = db.get(Job, job.id)
        assert finished is not None and finished.status == "done", finished and finished.error
        assert finished.done_count == 2 and "Disposed of 2" in finished.message

        after = reports.dashboard(db, world.scope())
        assert dataclasses.asdict(after) == dataclasses.asdict(before)

        victim = db.get(Person, world.victim.id)
        assert victim is not None
        assert (victim.full_name, victim.date_of_birth, victim.address, victim.postcode) == (
            "Removed", None, "", "",
        )  # fmt: skip
        r1 = db.get(Referral, world.r1.id)
        assert r1 is not None and (r1.reasons, r1.closure_reason) == ("", "")
        # What the reports count stays on the row.
        assert (r1.status, r1.area_id, r1.outcome, r1.closed_at) == (
            "closed", world.area.id, "risk_unchanged", world.r1.closed_at,
        )  # fmt: skip
        assert db.get(type(world.incident), world.incident.id).description == ""  # type: ignore[union-attr]
        gone = db.get(Attachment, document.id)
        assert gone is not None and (gone.storage_key, gone.filename) == ("", "Removed")
        with pytest.raises(Exception, match="no object"):
            store().read(key)
        # r4's victim is r3's too, and r3 is open: not anonymised.
        shared = db.get(Person, world.r4.person_id)
        assert shared is not None and shared.full_name != "Removed"
        # r3's endorsed assessment belongs to the open case: untouched.
        assert db.get(RiskAssessment, world.r3.assessment_id) is not None
        assert _listed(db) == set()
        # Disposing again finds nothing to do.
        with pytest.raises(Invalid):
            operations.request_disposal(db, world.governance, CLOSED, R1_DUE)
        # The audit chain still proves the log complete.
        assert verify(db).ok


def test_the_disposal_log_and_audit_hold_no_personal_data(app: Flask, db: Session) -> None:
    world = RetentionBorough(db)
    with app.app_context():
        world.add_document(db, world.officer)
        operations.list_due(db, R1_DUE)
        with clock_at(_noon(R1_DUE)):
            job = operations.request_disposal(db, world.governance, CLOSED, R1_DUE)
        rows = db.scalars(select(DisposalLog)).all()
        assert len(rows) == 1
        entry = rows[0]
        assert (entry.record_type, entry.count, entry.job_id, entry.disposed_by_id) == (
            CLOSED, 2, job.id, world.governance.id,
        )  # fmt: skip
        assert (entry.people_anonymised, entry.documents_deleted) == (1, 1)
        written = " ".join(
            str(getattr(entry, column.key)) for column in DisposalLog.__table__.columns
        )
        summaries = " ".join(
            db.scalars(select(AuditEvent.summary).where(AuditEvent.action.like("retention%")))
        )
        for secret in ("Alice", "Mill Road", "mosque", "1980", "AK1", "statement", "moved away"):
            assert secret not in written and secret not in summaries
        page = review(db, world.governance, R1_DUE)
        assert [(row.label, row.count) for row in page.log] == [("Closed cases", 2)]


def test_notifications_are_deleted_when_due(app: Flask, db: Session) -> None:
    world = RetentionBorough(db)
    old = Notification(user_id=world.officer.id, kind="x", message="about Alice",
                       created_at=_noon(date(2026, 1, 10)))  # fmt: skip
    new = Notification(user_id=world.officer.id, kind="x", created_at=_noon(date(2026, 6, 1)))
    db.add_all([old, new])
    db.commit()
    old_id, new_id = old.id, new.id
    with app.app_context():
        operations.list_due(db, date(2026, 7, 10))
        assert _listed(db, RecordType.NOTIFICATION.value) == {old_id}
        operations.request_disposal(
            db, world.admin, RecordType.NOTIFICATION.value, date(2026, 7, 10)
        )
        db.expire_all()
        assert db.get(Notification, old_id) is None and db.get(Notification, new_id) is not None


def test_audit_rows_are_reviewed_only(app: Flask, db: Session) -> None:
    world = RetentionBorough(db)
    operations.set_periods(db, world.admin, {CLOSED: 60})  # one audit row, today
    with app.app_context(), pytest.raises(Invalid):
        operations.request_disposal(db, world.governance, RecordType.AUDIT.value, date(2040, 1, 1))
    page = review(db, world.governance, date(2040, 1, 1))
    audit = next(k for k in page.kinds if k.kind.record_type is RecordType.AUDIT)
    assert audit.kind.review_only and audit.count == db.query(AuditEvent).count() == 1
    assert (
        next(k for k in review(db, world.governance, R1_DUE).kinds if k.kind.review_only).count == 0
    )


def test_only_governance_and_admins_review_keep_or_dispose(app: Flask, db: Session) -> None:
    world = RetentionBorough(db)
    supervisor = make_user(db, Role.REFERRER, agency=world.police, supervisor=True)
    operations.list_due(db, R1_DUE)
    with app.app_context():
        for actor in (world.officer, supervisor, world.member, world.coordinator):
            with pytest.raises(Refused):
                review(db, actor, R1_DUE)
            with pytest.raises(Refused):
                operations.request_disposal(db, actor, CLOSED, R1_DUE)
            with pytest.raises(Refused):
                operations.keep(db, actor, CLOSED, world.r1.id, "x", date(2033, 1, 1), R1_DUE)
            with pytest.raises(Refused):
                operations.dispose_batch(db, actor, 1, CLOSED, [world.r1.id], R1_DUE, store())
        # Nothing happened for any of them.
        assert _listed(db) == {world.r1.id, world.r4.id}
        assert db.query(DisposalLog).count() == 0
        # Only listed records can be kept; an unknown kind is not found.
        with pytest.raises(NotFound):
            operations.keep(db, world.admin, CLOSED, world.r3.id, "x", date(2033, 1, 1), R1_DUE)
        with pytest.raises(NotFound):
            operations.request_disposal(db, world.admin, "person", R1_DUE)
        assert review(db, world.admin, R1_DUE).kinds[0].count == 2


def test_the_listing_runs_at_half_past_two_uk_time() -> None:
    from marac.retention.jobs import list_due_records

    task = list_due_records.task_class()
    assert task.validate_datetime(datetime(2026, 12, 2, 2, 30))  # GMT: 02:30 UTC
    assert task.validate_datetime(datetime(2026, 7, 2, 1, 30))  # BST: 01:30 UTC
    assert not task.validate_datetime(datetime(2026, 7, 2, 2, 30))


def test_the_nightly_task_lists_what_is_due_today(app: Flask, db: Session) -> None:
    from marac.retention.jobs import list_due_records

    world = RetentionBorough(db)
    operations.set_periods(db, world.admin, {CLOSED: 6})
    with app.app_context():
        list_due_records.call_local()
    assert _listed(db) == {world.r1.id, world.r4.id}


def test_a_disposal_batch_never_sends_the_live_referrals_ids(app: Flask, db: Session) -> None:
    """What is still live is a subquery: no statement's parameters grow with the history."""
    from sqlalchemy import event

    world = RetentionBorough(db)
    for _ in range(60):
        make_referral(db, make_person(db), world.area, referrer=world.officer)
    engine = db.get_bind()
    counts: list[int] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        rows = parameters if executemany else [parameters]
        counts.extend(len(row or ()) for row in rows)

    with app.app_context():
        operations.list_due(db, R1_DUE)
        event.listen(engine, "before_cursor_execute", count)
        try:
            with clock_at(_noon(R1_DUE)):
                job = operations.request_disposal(db, world.governance, CLOSED, R1_DUE)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    db.expire_all()
    finished = db.get(Job, job.id)
    assert finished is not None and finished.status == "done", finished and finished.error
    assert counts and max(counts) < 60, max(counts)
    assert db.get(Person, world.victim.id).full_name == "Removed"  # type: ignore[union-attr]
