"""Retention of meetings and minutes: due on their date once every case on them is
disposed of, kept on hold, disposed of with their documents on both stores, the figures
unchanged, and the pages and downloads of a disposed meeting."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.audit.models import AuditEvent
from marac.db import clock_at
from marac.jobs.models import Job
from marac.meetings.models import AgendaAmendment, AgendaItem, Attendee
from marac.minutes.models import IssuedDocument, RenderedKind, StoredPdf
from marac.panels.models import Meeting
from marac.reports import queries as reports
from marac.reports.tables import pack_csv, tables
from marac.retention import operations
from marac.retention.models import DisposalLog, DisposedRecord, RetentionDue
from marac.retention.queries import review
from marac.retention.schedule import RecordType
from marac.storage import backends
from marac.storage.objects import StorageError
from tests.meeting_factories import make_meeting
from tests.retention.helpers import ATTENDEE, M_FEB, R1_DUE, MeetingBorough

CLOSED = RecordType.CLOSED_REFERRAL.value
MEETING = RecordType.MEETING.value


def _listed(db: Session) -> set[int]:
    due = select(RetentionDue.object_id).where(RetentionDue.record_type == MEETING)
    return set(db.scalars(due))


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def _dispose_cases(db: Session, world: MeetingBorough, today: date = R1_DUE) -> None:
    """r1 and r4, the closed cases, disposed of (the job runs at once in tests)."""
    operations.list_due(db, today)
    with clock_at(_noon(today)):
        operations.request_disposal(db, world.governance, CLOSED, today)
    db.expire_all()


@pytest.fixture(params=["file", "s3"])
def store(request: pytest.FixtureRequest, app: Flask, tmp_path: Path) -> Iterator[backends.Store]:
    """The app's store for this test: a folder, or a real S3 API server."""
    current = app.config["MARAC_SETTINGS"]
    if request.param == "file":
        settings = dataclasses.replace(current, storage_url=f"file://{tmp_path / 'store'}")
    else:
        settings = dataclasses.replace(
            current,
            storage_url=request.getfixturevalue("s3_storage_url"),
            s3_endpoint_url=request.getfixturevalue("s3_endpoint_url"),
        )
    before = app.extensions["marac_store"]
    app.extensions["marac_store"] = backends.store_from(settings)
    yield app.extensions["marac_store"]
    app.extensions["marac_store"] = before


def test_a_meeting_is_due_on_its_date_and_not_the_day_before(db: Session) -> None:
    world = MeetingBorough(db)
    quiet = make_meeting(db, world.panel, date(2026, 4, 1))  # no cases on it
    operations.list_due(db, date(2032, 3, 31))
    assert quiet.id not in _listed(db)
    found = operations.list_due(db, date(2032, 4, 1))
    assert quiet.id in _listed(db) and found[MEETING] == 1
    due = db.get(RetentionDue, (MEETING, quiet.id))
    assert due is not None and due.due_on == date(2032, 4, 1)
    # A council's own period moves the date.
    operations.set_periods(db, world.admin, {MEETING: 12})
    operations.list_due(db, date(2027, 3, 31))
    assert _listed(db) == set()
    operations.list_due(db, date(2027, 4, 1))
    assert _listed(db) == {quiet.id}


def test_a_meeting_waits_for_every_case_on_it(app: Flask, db: Session) -> None:
    world = MeetingBorough(db)
    with app.app_context():
        # Past their dates, but r4 and r1 are only listed, not disposed of.
        operations.list_due(db, R1_DUE)
        assert _listed(db) == set()
        # r1 kept on legal hold: February (r1 only) and late March wait; January goes.
        operations.keep(
            db, world.governance, CLOSED, world.r1.id, "Civil claim", date(2033, 1, 1), R1_DUE
        )
        _dispose_cases(db, world)
        operations.list_due(db, R1_DUE)
        assert _listed(db) == {world.m_jan.id}
        # The hold lapses and r1 is disposed of: February follows. March (r2) and late
        # March (r3) hold open cases and are never due.
        _dispose_cases(db, world, date(2033, 1, 1))
        operations.list_due(db, date(2033, 1, 1))
        assert _listed(db) == {world.m_jan.id, world.m_feb.id}
        assert world.m_mar.id not in _listed(db) and world.m_late.id not in _listed(db)


def test_a_batch_checks_the_cases_again(app: Flask, db: Session) -> None:
    """A meeting listed wrongly (or before a case was added to it) is not disposed of."""
    world = MeetingBorough(db)
    with app.app_context():
        db.add(RetentionDue(record_type=MEETING, object_id=world.m_late.id, due_on=R1_DUE))
        db.commit()
        with clock_at(_noon(R1_DUE)):
            job = operations.request_disposal(db, world.governance, MEETING, R1_DUE)
        db.expire_all()
        assert db.get(Job, job.id).status == "done"  # type: ignore[union-attr]
        assert db.get(Meeting, world.m_late.id).record_disposed_at is None  # type: ignore[union-attr]
        assert ATTENDEE in db.scalars(select(Attendee.name)).all()


def test_a_legal_hold_on_a_meeting_survives_the_nightly_job(app: Flask, db: Session) -> None:
    world = MeetingBorough(db)
    with app.app_context():
        _dispose_cases(db, world)
        operations.list_due(db, R1_DUE)
        assert _listed(db) == {world.m_jan.id, world.m_feb.id}
        operations.keep(
            db, world.governance, MEETING, world.m_feb.id, "Inquiry", date(2033, 6, 1), R1_DUE
        )
        from marac.retention.jobs import list_due_records

        with clock_at(_noon(R1_DUE + timedelta(days=1))):
            list_due_records.call_local()
        assert _listed(db) == {world.m_jan.id}
        # A batch that names it anyway leaves it alone.
        db.add(RetentionDue(record_type=MEETING, object_id=world.m_feb.id, due_on=R1_DUE))
        db.commit()
        with clock_at(_noon(R1_DUE)):
            operations.request_disposal(db, world.governance, MEETING, R1_DUE)
        db.expire_all()
        assert db.get(Meeting, world.m_feb.id).record_disposed_at is None  # type: ignore[union-attr]
        assert db.get(Meeting, world.m_jan.id).record_disposed_at is not None  # type: ignore[union-attr]
        held = [h for h in review(db, world.governance, R1_DUE).holds if h.record_type == MEETING]
        assert [(h.object_id, h.reason) for h in held] == [(world.m_feb.id, "Inquiry")]
        assert held[0].reference.endswith("9 February 2026")
        # On its review date it comes back for a decision.
        operations.list_due(db, date(2033, 6, 1))
        assert world.m_feb.id in _listed(db)


def test_disposal_deletes_the_documents_and_names_and_keeps_the_figures(
    app: Flask, db: Session, store: backends.Store
) -> None:
    world = MeetingBorough(db)
    with app.app_context():
        keys = world.issue_documents(db, store)
        pack = store.put("packs/kept.pdf", b"%PDF anonymised figures")
        db.add(StoredPdf(kind=RenderedKind.PACK.value, fingerprint="p" * 64,
                         storage_key=pack.key, sha256=pack.sha256, size_bytes=pack.size,
                         page_count=1))  # fmt: skip
        db.commit()
        board = reports.dashboard(db, world.scope())
        figures = pack_csv(tables(board))
        _dispose_cases(db, world)
        assert dataclasses.asdict(reports.dashboard(db, world.scope())) == dataclasses.asdict(board)
        operations.list_due(db, R1_DUE)
        with clock_at(_noon(R1_DUE)):
            job = operations.request_disposal(db, world.governance, MEETING, R1_DUE)
        db.expire_all()
        finished = db.get(Job, job.id)
        assert finished is not None and finished.status == "done", finished and finished.error
        assert "Disposed of 2 meetings" in finished.message

        # The store holds none of February's documents; the pack (no meeting's) stays.
        for key in keys:
            with pytest.raises(StorageError):
                store.read(key)
        assert store.read(pack.key) == b"%PDF anonymised figures"
        documents = db.scalars(
            select(IssuedDocument).where(IssuedDocument.meeting_id == world.m_feb.id)
        ).all()
        assert len(documents) == 3
        assert {(d.storage_key, d.pdf, d.reason) for d in documents} == {(None, None, "")}
        assert db.scalars(select(StoredPdf.kind)).all() == [RenderedKind.PACK.value]

        feb = db.get(Meeting, world.m_feb.id)
        assert feb is not None and feb.record_disposed_at is not None
        assert (feb.change_note, feb.status, feb.meeting_date) == ("", "held", M_FEB)
        names = dict(db.execute(select(Attendee.meeting_id, Attendee.name)).all())
        assert names == {world.m_feb.id: "Removed", world.m_late.id: ATTENDEE}
        amendment = db.scalars(select(AgendaAmendment)).one()
        assert (amendment.summary, amendment.reason) == ("Removed", "")
        late = db.get(Meeting, world.m_late.id)
        assert late is not None and late.record_disposed_at is None
        disposed = set(
            db.scalars(
                select(DisposedRecord.object_id).where(DisposedRecord.record_type == MEETING)
            )
        )
        assert disposed == {world.m_jan.id, world.m_feb.id}

        # The dashboard and the partnership pack count the same as before.
        after = reports.dashboard(db, world.scope())
        assert dataclasses.asdict(after) == dataclasses.asdict(board)
        assert pack_csv(tables(after)) == figures

        # One log row: kind, how many, documents, who, when; nothing they said.
        entry = db.scalars(select(DisposalLog).where(DisposalLog.record_type == MEETING)).one()
        assert (entry.count, entry.documents_deleted, entry.people_anonymised) == (2, 4, 0)
        assert (entry.job_id, entry.disposed_by_id) == (job.id, world.governance.id)
        assert entry.disposed_at is not None
        written = " ".join(str(getattr(entry, c.key)) for c in DisposalLog.__table__.columns)
        summaries = " ".join(
            db.scalars(select(AuditEvent.summary).where(AuditEvent.action.like("retention%")))
        )
        for secret in ("Alice", "Priya", "attacked", "officer"):
            assert secret not in written and secret not in summaries
        log = [(row.label, row.count) for row in review(db, world.governance, R1_DUE).log]
        assert ("Meetings and minutes", 2) in log
        assert _listed(db) == set()


def test_the_review_lists_due_meetings_by_panel_and_date(app: Flask, db: Session, login) -> None:
    world = MeetingBorough(db)
    with app.app_context():
        _dispose_cases(db, world)
        operations.list_due(db, R1_DUE)
    client = login(world.governance)
    page = client.get("/governance/retention").get_data(as_text=True)
    section = page[page.index('id="meeting"') : page.index('id="notification"')]
    assert "Meetings and minutes" in section and "2</strong> records have passed" in section
    assert f"{world.panel.name}, 5 January 2026" in section
    assert f"{world.panel.name}, 9 February 2026" in section
    assert world.r1.reference not in section and ATTENDEE not in section
    keep = client.get(f"/governance/retention/meeting/{world.m_feb.id}/keep")
    assert keep.status_code == 200
    done = client.submit(
        f"/governance/retention/meeting/{world.m_feb.id}/keep",
        {"reason": "Inquiry", "review_on": ["1", "6", "2040"]},
    )  # fmt: skip
    assert done.status_code == 302
    assert "9 February 2026" in client.get("/governance/retention").get_data(as_text=True)


def test_a_disposed_meeting_says_so_and_refuses_its_documents(
    app: Flask, db: Session, login
) -> None:
    world = MeetingBorough(db)
    with app.app_context():
        world.issue_documents(db, backends.store())
        _dispose_cases(db, world)
        operations.list_due(db, R1_DUE)
        with clock_at(_noon(R1_DUE)):
            operations.request_disposal(db, world.governance, MEETING, R1_DUE)
    feb = world.m_feb.id
    documents = db.scalars(select(IssuedDocument.id).where(IssuedDocument.meeting_id == feb))
    said = "disposed of under the retention schedule on"
    coordinator = login(world.coordinator)
    item = db.scalars(select(AgendaItem.id).where(AgendaItem.meeting_id == feb)).one()
    for url in (f"/meetings/{feb}", f"/meetings/{feb}/minutes", f"/meetings/{feb}/complete",
                f"/meetings/{feb}/attendance", f"/meetings/{feb}/record/{item}",
                f"/meetings/{feb}/review"):  # fmt: skip
        response = coordinator.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert said in html and ATTENDEE not in html and "Alice" not in html, url
    for document_id in documents:
        for user in (coordinator, login(world.member)):
            gone = user.get(f"/meetings/{feb}/minutes/documents/{document_id}.pdf")
            if gone.status_code == 403:  # the member may not have a superseded version
                continue
            assert gone.status_code == 410
            assert "This document is no longer held" in gone.get_data(as_text=True)
    for response in (
        coordinator.get(f"/meetings/{feb}/agenda.pdf"),
        coordinator.submit(f"/meetings/{feb}/agenda.pdf"),
        coordinator.get(f"/meetings/{feb}/minutes/draft.pdf"),
    ):
        assert response.status_code == 410
        assert "no longer held" in response.get_data(as_text=True)
    # The record never re-opens: no name goes back on it, no correction starts.
    added = coordinator.submit(
        f"/meetings/{feb}/attendance/attendees",
        {"attendee-agency_id": str(world.police.id), "attendee-name": "Someone New"},
    )
    assert added.status_code == 409 and "disposed of" in added.get_data(as_text=True)
    coordinator.submit(f"/meetings/{feb}/minutes/correction", {"version": "1"})
    db.expire_all()
    assert db.get(Meeting, feb).correction_open is False  # type: ignore[union-attr]
    assert "Someone New" not in db.scalars(select(Attendee.name)).all()
