"""Retention of incidents no case ever held: due 36 months after their last activity,
never while a referral holds them or an assessment is in progress, kept on hold, and
disposed of with their assessments and documents, the figures unchanged."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import User
from marac.assessments.models import AssessmentStatus, RiskAssessment, RiskMeasure
from marac.attachments.models import Attachment, AttachmentStatus
from marac.audit.models import AuditEvent
from marac.db import clock_at
from marac.imports.models import ImportBatch, ImportedRow
from marac.incidents.models import Incident, Perpetrator
from marac.jobs.models import Job
from marac.people.models import Person, PossibleMatch
from marac.referrals.models import ReferralStatus
from marac.reports import queries as reports
from marac.retention import operations
from marac.retention.models import DisposalLog, DisposedRecord, RetentionDue
from marac.retention.queries import review
from marac.retention.schedule import RecordType
from marac.storage import backends
from marac.storage.objects import StorageError, new_key, sha256_of
from tests.assessments.helpers import make_assessment
from tests.referrals.helpers import link, make_incident, make_person, make_referral
from tests.reports.helpers import at
from tests.retention.helpers import RetentionBorough

UNREFERRED = RecordType.UNREFERRED_INCIDENT.value
RECORDED = at(2026, 1, 10)
DUE = date(2029, 1, 10)  # 36 months from 10 January 2026
NOTE = b"%PDF-1.7 Bob Quiet's photographs of the graffiti"


def _listed(db: Session) -> set[int]:
    due = select(RetentionDue.object_id).where(RetentionDue.record_type == UNREFERRED)
    return set(db.scalars(due))


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def _incident(db: Session, world: RetentionBorough, person: Person | None = None) -> Incident:
    """An incident in the borough's area, recorded on RECORDED, no referral."""
    incident = make_incident(
        db,
        world.officer,
        person or make_person(db),
        world.area,
        occurred_at=at(2026, 1, 9),
        created_at=RECORDED,
        crime_reference="CR/123/26",
        description="Graffiti about Bob Quiet sprayed on his door",
    )
    incident.perpetrators.append(Perpetrator(known=True, name="Carl Sprayer", description="tall"))
    db.commit()
    return incident


def _assess(
    db: Session,
    world: RetentionBorough,
    incident: Incident,
    status: AssessmentStatus = AssessmentStatus.ENDORSED,
    changed: datetime = RECORDED,
) -> RiskAssessment:
    return make_assessment(
        db,
        world.officer,
        incident,
        status=status,
        judgement="low",
        created_at=changed,
        updated_at=changed,
    )


def _document(db: Session, incident: Incident, uploader: User) -> Attachment:
    """A clean document on the incident, its bytes in the app's store (app context)."""
    stored = backends.store().put(new_key("attachments", ".pdf"), NOTE)
    attachment = Attachment(
        incident_id=incident.id,
        filename="graffiti-bob.pdf",
        description="Bob's photographs",
        mime="application/pdf",
        size=stored.size,
        sha256=sha256_of(NOTE),
        storage_key=stored.key,
        status=AttachmentStatus.CLEAN.value,
        uploaded_by_id=uploader.id,
        uploaded_at=RECORDED,
    )
    db.add(attachment)
    db.commit()
    return attachment


def _dispose(db: Session, world: RetentionBorough, today: date = DUE) -> Job:
    with clock_at(_noon(today)):
        job = operations.request_disposal(db, world.governance, UNREFERRED, today)
    db.expire_all()
    finished = db.get(Job, job.id)
    assert finished is not None and finished.status == "done", finished and finished.error
    return finished


@pytest.fixture(params=["file", "s3"])
def store(request: pytest.FixtureRequest, app: Flask, tmp_path: Path) -> Iterator[backends.Store]:
    """The app's store for one test: a folder, or the test S3 API server."""
    settings = app.config["MARAC_SETTINGS"]
    if request.param == "file":
        settings = dataclasses.replace(settings, storage_url=f"file://{tmp_path / 'objects'}")
    else:
        settings = dataclasses.replace(
            settings,
            storage_url=request.getfixturevalue("s3_storage_url"),
            s3_endpoint_url=request.getfixturevalue("s3_endpoint_url"),
        )
    previous = app.extensions["marac_store"]
    app.extensions["marac_store"] = backends.store_from(settings)
    yield app.extensions["marac_store"]
    app.extensions["marac_store"] = previous


def test_due_on_its_date_from_the_last_activity_and_not_the_day_before(db: Session) -> None:
    world = RetentionBorough(db)
    quiet = _incident(db, world)
    assessed = _incident(db, world)
    _assess(db, world, assessed, changed=at(2026, 2, 3))  # endorsed low on 3 February
    documented = _incident(db, world)
    db.add(Attachment(incident_id=documented.id, filename="later.pdf", mime="application/pdf",
                      size=1, sha256="0" * 64, uploaded_by_id=world.officer.id,
                      uploaded_at=at(2026, 3, 1)))  # fmt: skip
    db.commit()
    operations.list_due(db, DUE - timedelta(days=1))
    assert _listed(db) == set()
    found = operations.list_due(db, DUE)
    assert _listed(db) == {quiet.id} and found[UNREFERRED] == 1
    due = db.get(RetentionDue, (UNREFERRED, quiet.id))
    assert due is not None and due.due_on == DUE
    operations.list_due(db, date(2029, 2, 2))
    assert assessed.id not in _listed(db)
    operations.list_due(db, date(2029, 2, 3))
    assert _listed(db) == {quiet.id, assessed.id}
    # A document added on 1 March 2026 restarts the clock too.
    operations.list_due(db, date(2029, 3, 1))
    assert _listed(db) == {quiet.id, assessed.id, documented.id}
    # The borough's own incidents all belong to cases: never on this line.
    assert world.incident.id not in _listed(db)


def test_an_incident_a_referral_holds_in_any_way_is_never_listed(db: Session) -> None:
    world = RetentionBorough(db)
    linked, trigger, assessed, imported = (_incident(db, world) for _ in range(4))
    # Linked to a closed case, the trigger of a declined one: still never this line's.
    closed = make_referral(db, None, world.area, status=ReferralStatus.CLOSED,
                           closed_at=RECORDED)  # fmt: skip
    link(db, closed, linked)
    make_referral(db, None, world.area, status=ReferralStatus.DECLINED, screened_at=RECORDED,
                  trigger_incident_id=trigger.id)  # fmt: skip
    assessment = _assess(db, world, assessed)
    make_referral(db, None, world.area, assessment_id=assessment.id)
    from_sheet = make_referral(db, None, world.area)
    batch = ImportBatch(uploaded_by_id=world.coordinator.id, file_type="csv", sha256="0" * 64)
    db.add(batch)
    db.flush()
    db.add(ImportedRow(area_id=world.area.id, fingerprint="f" * 64, batch_id=batch.id,
                       row_number=2, incident_id=imported.id,
                       referral_id=from_sheet.id))  # fmt: skip
    db.commit()
    alone = _incident(db, world)
    operations.list_due(db, date(2040, 1, 1))
    assert _listed(db) == {alone.id}


def test_an_assessment_in_progress_keeps_the_incident_until_it_is_finished(db: Session) -> None:
    world = RetentionBorough(db)
    drafted, submitted = _incident(db, world), _incident(db, world)
    _assess(db, world, drafted, AssessmentStatus.DRAFT)
    waiting = _assess(db, world, submitted, AssessmentStatus.SUBMITTED)
    operations.list_due(db, date(2040, 1, 1))
    assert _listed(db) == set()
    # Endorsed low on 1 May 2027: its 36 months run from then.
    waiting.status = AssessmentStatus.ENDORSED.value
    waiting.final_level = "low"
    waiting.updated_at = at(2027, 5, 1)
    db.commit()
    operations.list_due(db, date(2030, 4, 30))
    assert _listed(db) == set()
    operations.list_due(db, date(2030, 5, 1))
    assert _listed(db) == {submitted.id}


def test_one_referred_after_the_listing_is_skipped(app: Flask, db: Session) -> None:
    world = RetentionBorough(db)
    referred, left = _incident(db, world), _incident(db, world)
    with app.app_context():
        operations.list_due(db, DUE)
        assert _listed(db) == {referred.id, left.id}
        link(db, make_referral(db, None, world.area), referred)
        job = _dispose(db, world)
    assert job.done_count == 2 and "Disposed of 1 incident not referred" in job.message
    kept = db.get(Incident, referred.id)
    assert kept is not None and kept.description.startswith("Graffiti")
    gone = db.get(Incident, left.id)
    assert gone is not None and gone.description == ""
    assert _listed(db) == set()
    log = db.scalars(select(DisposalLog)).one()
    assert (log.record_type, log.count, log.job_id) == (UNREFERRED, 1, job.id)


def test_a_hold_survives_the_nightly_job_and_a_disposal(app: Flask, db: Session, login) -> None:
    from marac.retention.jobs import list_due_records

    world = RetentionBorough(db)
    held, other = _incident(db, world), _incident(db, world)
    operations.list_due(db, DUE)
    client = login(world.governance)
    page = client.get("/governance/retention").get_data(as_text=True)
    section = page[page.index(f'id="{UNREFERRED}"') : page.index('id="meeting"')]
    assert "Incidents not referred" in section and "2</strong> records have passed" in section
    # Named by its title (type and day) and when it was recorded: no id, name or place.
    assert "Threats, 9 January 2026, recorded 10 January 2026" in section
    for secret in ("Bob", "Graffiti", "Carl", "CR/123"):
        assert secret not in section
    done = client.submit(
        f"/governance/retention/{UNREFERRED}/{held.id}/keep",
        {"reason": "Civil claim", "review_on": ["1", "6", "2040"]},
    )
    assert done.status_code == 302
    with app.app_context():
        with clock_at(_noon(DUE + timedelta(days=1))):
            list_due_records.call_local()
        assert _listed(db) == {other.id}
        # A batch handed the held id (asked for before the hold) still leaves it alone.
        db.add(RetentionDue(record_type=UNREFERRED, object_id=held.id, due_on=DUE))
        db.commit()
        job = _dispose(db, world, DUE + timedelta(days=1))
        assert job.done_count == 1
        operations.dispose_batch(
            db, world.governance, job.id, UNREFERRED, [held.id], DUE, backends.store()
        )
    kept = db.get(Incident, held.id)
    assert kept is not None and kept.description.startswith("Graffiti")
    assert db.get(Incident, other.id).description == ""  # type: ignore[union-attr]
    # On its review date it comes back for a decision.
    operations.list_due(db, date(2040, 6, 1))
    assert _listed(db) == {held.id}


def test_disposal_clears_the_incident_its_assessment_and_document_and_keeps_the_figures(
    app: Flask, db: Session, store: backends.Store, login
) -> None:
    world = RetentionBorough(db)
    bob = make_person(db, "Bob Quiet")
    bob.address = "3 Canal Street"
    dana = make_person(db, "Dana Live")
    spare = make_person(db, "Eve Pending")
    other = make_person(db, "Fay Other")
    alone = _incident(db, world, bob)
    alone.perpetrators[0].person_id = spare.id
    shared = _incident(db, world, dana)
    make_referral(db, dana, world.area)  # Dana has an open case about something else
    pending = _incident(db, world, other)
    low, lo_b = sorted((spare.id, other.id))
    db.add(PossibleMatch(person_a_id=low, person_b_id=lo_b, reason="same name"))
    db.commit()
    assessment = _assess(db, world, alone)
    with app.app_context():
        document = _document(db, alone, world.officer)
        key = document.storage_key
        before = reports.dashboard(db, world.scope())
        operations.list_due(db, DUE)
        assert _listed(db) == {alone.id, shared.id, pending.id}
        job = _dispose(db, world)
        assert job.done_count == 3

        after = reports.dashboard(db, world.scope())
        assert dataclasses.asdict(after) == dataclasses.asdict(before)

        cleared = db.get(Incident, alone.id)
        assert cleared is not None
        assert (cleared.place, cleared.postcode, cleared.crime_reference, cleared.description) == (
            "", "", "", "",
        )  # fmt: skip
        assert (cleared.perpetrators[0].name, cleared.perpetrators[0].description) == ("", "")
        # What the reports count stays.
        assert (cleared.occurred_at, cleared.area_id, cleared.incident_type) == (
            at(2026, 1, 9), world.area.id, "threats",
        )  # fmt: skip
        assert [s.code for s in cleared.strands] == ["race"]
        answers = db.get(RiskAssessment, assessment.id)
        assert answers is not None
        assert (answers.answers, answers.judgement_rationale, answers.final_level) == (
            {}, "", "low",
        )  # fmt: skip
        measures = db.scalars(select(RiskMeasure.description).where(
            RiskMeasure.assessment_id == assessment.id)).all()  # fmt: skip
        assert measures == ["Removed"]
        file = db.get(Attachment, document.id)
        assert file is not None and (file.storage_key, file.filename, file.description) == (
            "", "Removed", "",
        )  # fmt: skip
        with pytest.raises(StorageError):
            store.read(key)

        # Bob had nothing else: anonymised. Dana's open case keeps her; Eve (the named
        # perpetrator) waits on a possible match a coordinator has not yet decided.
        db.expire_all()
        gone = db.get(Person, bob.id)
        assert gone is not None and (gone.full_name, gone.address, gone.postcode) == (
            "Removed", "", "",
        )  # fmt: skip
        assert db.get(Person, dana.id).full_name == "Dana Live"  # type: ignore[union-attr]
        assert db.get(Person, spare.id).full_name == "Eve Pending"  # type: ignore[union-attr]
        assert db.get(Person, other.id).full_name == "Fay Other"  # type: ignore[union-attr]

        marked = set(db.execute(select(DisposedRecord.record_type, DisposedRecord.object_id)))
        assert {("incident", alone.id), ("assessment", assessment.id), ("person", bob.id)} <= marked
        operations.list_due(db, date(2045, 1, 1))
        assert _listed(db) == set()

        log = db.scalars(select(DisposalLog)).one()
        assert (log.record_type, log.count, log.people_anonymised, log.documents_deleted) == (
            UNREFERRED, 3, 1, 1,
        )  # fmt: skip
        assert (log.job_id, log.disposed_by_id) == (job.id, world.governance.id)
        written = " ".join(str(getattr(log, c.key)) for c in DisposalLog.__table__.columns)
        summaries = " ".join(
            db.scalars(select(AuditEvent.summary).where(AuditEvent.action.like("retention%")))
        )
        for secret in ("Bob", "Canal", "Graffiti", "Carl", "CR/123", "graffiti-bob"):
            assert secret not in written and secret not in summaries
        page = review(db, world.governance, DUE)
        assert [(row.label, row.count) for row in page.log] == [("Incidents not referred", 3)]

    # The recorder's pages still open, with nothing left to read.
    recorder = login(world.officer)
    shown = recorder.get(f"/incidents/{alone.id}")
    assert shown.status_code == 200
    assert "Graffiti" not in shown.get_data(as_text=True)
    assessed = recorder.get(f"/assessments/{assessment.id}")
    assert assessed.status_code == 200
    assert "perpetrator is not known" not in assessed.get_data(as_text=True)
