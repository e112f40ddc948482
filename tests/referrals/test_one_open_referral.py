"""The database keeps one automatic referral waiting to be heard per person.

The partial unique index `uq_referral_person_open` (migration 0010), what it leaves alone
(partner referrals, heard, declined and closed ones), how the migration treats data that
already breaks it, what a merge of two such people does, and the person lock.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from marac import migrate
from marac.assessments.models import RiskAssessment
from marac.db import make_engine, utcnow
from marac.incidents.models import Incident
from marac.people.models import Person
from marac.people.service import lock_person
from marac.referrals.models import Referral, ReferralSource, ReferralStatus
from marac.referrals.triggers import on_assessment_endorsed, on_incident_recorded
from tests.conftest import BACKEND
from tests.referrals.helpers import (
    World,
    make_endorsed,
    make_incident,
    make_person,
    make_referral,
)

AUTOMATIC = ReferralSource.AUTOMATIC_ESCALATION


def test_a_second_waiting_automatic_referral_is_refused(db: Session) -> None:
    person = make_person(db)
    make_referral(db, person, source=AUTOMATIC)
    for status in (ReferralStatus.NEW, ReferralStatus.MORE_INFO, ReferralStatus.ACCEPTED):
        with pytest.raises(IntegrityError):
            make_referral(db, person, source=ReferralSource.AUTOMATIC_REPEAT, status=status)
        db.rollback()


@pytest.mark.parametrize(
    ("source", "status"),
    [
        (ReferralSource.PARTNER, ReferralStatus.NEW),  # a partner's judgement, seen beside it
        (AUTOMATIC, ReferralStatus.HEARD),
        (AUTOMATIC, ReferralStatus.DECLINED),
        (AUTOMATIC, ReferralStatus.CLOSED),
    ],
)
def test_what_the_rule_leaves_alone(
    db: Session, source: ReferralSource, status: ReferralStatus
) -> None:
    person = make_person(db)
    make_referral(db, person, source=AUTOMATIC)
    make_referral(db, person, source=source, status=status)
    make_referral(db, person, source=source, status=status)  # several of them, too
    assert db.scalar(select(func.count()).where(Referral.person_id == person.id)) == 3


def _insert_referral(conn, reference: str, person_id: int, source: str, status: str) -> None:  # type: ignore[no-untyped-def]
    conn.execute(
        text(
            "INSERT INTO referral (reference, subject_type, person_id, location, "
            "location_postcode, source, status, is_repeat, trigger_reasons, reasons, "
            "victim_views, consent, lawful_basis, needs, support_status, support_service, "
            "screening_note, closure_reason, outcome, victim_view_of_outcome, created_at, "
            "updated_at, version) VALUES (:ref, 'victim', :person, '', '', :source, :status, "
            "false, '[]', '', '', 'not_sought', '', '', '', '', '', '', '', '', :now, :now, 1)"
        ),
        {"ref": reference, "person": person_id, "source": source, "status": status}
        | {"now": utcnow()},
    )


def _person_row(conn, name: str) -> int:  # type: ignore[no-untyped-def]
    conn.execute(
        text(
            "INSERT INTO person (full_name, normalised_name, gender_identity, address, postcode, "
            "phone, safe_contact_notes, communication_needs, interpreter_language, "
            "disability_adjustments, created_at) "
            "VALUES (:n, :n, '', '', '', '', '', '', '', '', :now)"
        ),
        {"n": name, "now": utcnow()},
    )
    return conn.scalar(text("SELECT max(id) FROM person"))


def test_migration_stops_on_duplicates_and_runs_on_clean_data(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url, "0009")
    engine = make_engine(empty_database_url)
    try:
        with engine.begin() as conn:
            twice = _person_row(conn, "two waiting")
            fine = _person_row(conn, "one waiting, others not")
            _insert_referral(conn, "CM-2026-0001", twice, "automatic_repeat", "new")
            _insert_referral(conn, "CM-2026-0002", twice, "automatic_escalation", "accepted")
            _insert_referral(conn, "CM-2026-0003", fine, "automatic_repeat", "new")
            _insert_referral(conn, "CM-2026-0004", fine, "partner", "new")
            _insert_referral(conn, "CM-2026-0005", fine, "automatic_repeat", "declined")
            _insert_referral(conn, "CM-2026-0006", fine, "automatic_repeat", "heard")
        with pytest.raises(RuntimeError) as refused:
            migrate.upgrade(empty_database_url)
        message = str(refused.value)
        assert f"person {twice}: CM-2026-0001, CM-2026-0002" in message
        assert "CM-2026-0003" not in message and "Decline the duplicates" in message
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT version_num FROM alembic_version")) == "0009"

        with engine.begin() as conn:
            conn.execute(
                text("UPDATE referral SET status = 'declined' WHERE reference = 'CM-2026-0002'")
            )
        migrate.upgrade(empty_database_url)
        with engine.begin() as conn, pytest.raises(IntegrityError):
            _insert_referral(conn, "CM-2026-0007", fine, "automatic_escalation", "more_info")
        migrate.downgrade(empty_database_url, "0009")
        with engine.begin() as conn:  # the rule has gone with the index
            _insert_referral(conn, "CM-2026-0007", fine, "automatic_escalation", "more_info")
    finally:
        engine.dispose()


def test_merging_two_people_who_each_have_a_waiting_referral(db: Session, login) -> None:
    world = World(db)
    twin = make_person(db, world.person.full_name)
    make_incident(db, world.referrer, twin, world.area)
    first = make_referral(db, world.person, world.area, source=AUTOMATIC)
    second = make_referral(db, twin, world.area, source=ReferralSource.AUTOMATIC_HIGH_RISK)
    kept, twin_id, second_id = world.person.id, twin.id, second.id
    url = f"/people/merge/{min(kept, twin_id)}/{max(kept, twin_id)}"
    client = login(world.coordinator)

    refused = client.submit(url, {"survivor": str(kept), "reason": "Same person"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert "There is a problem" in html and "govuk-error-summary" in html
    assert f"Both records have a referral waiting to be heard ({first.reference} and " in html
    db.expire_all()
    assert db.get(Person, twin_id) is not None  # nothing merged

    second.status = ReferralStatus.DECLINED.value
    db.commit()
    done = client.submit(url, {"survivor": str(kept), "reason": "Same person"})
    assert done.status_code == 302
    db.expire_all()
    assert db.get(Person, twin_id) is None
    assert db.get(Referral, second_id).person_id == kept  # type: ignore[union-attr]


@pytest.mark.skipif(BACKEND == "sqlite", reason="row locks; SQLite has one writer anyway")
@pytest.mark.parametrize("then", ["incident", "endorsement"])
def test_the_second_request_waits_for_the_first_and_adds_to_its_referral(
    db: Session, database_url: str, then: str
) -> None:
    """Two transactions step by step: the second blocks on the person until the first commits."""
    world = World(db)
    person_id = world.person.id
    make_incident(db, world.referrer, world.person, world.area)  # two earlier incidents
    assessment_id = make_endorsed(db, world.referrer, world.incident).id
    engine = create_engine(database_url)
    sessions = sessionmaker(bind=engine, expire_on_commit=False)

    def new_incident(session: Session) -> Incident:
        incident = Incident(
            person_id=person_id,
            area_id=world.area.id,
            occurred_at=utcnow() - timedelta(days=1),
            incident_type="threats",
            recorded_as="crime",
            reported_via="police",
            agency_id=world.police.id,
            created_by_id=world.referrer.id,
        )
        session.add(incident)
        session.flush()
        return incident

    first, second = sessions(), sessions()
    try:
        made = on_incident_recorded(first, new_incident(first), utcnow())
        assert made is not None  # the escalation referral, not yet committed
        outcome: list[object] = []

        def record_second() -> None:
            if then == "incident":
                outcome.append(on_incident_recorded(second, new_incident(second), utcnow()))
            else:
                endorsed = second.get(RiskAssessment, assessment_id)
                assert endorsed is not None
                outcome.append(on_assessment_endorsed(second, endorsed, utcnow()))

        waiting = threading.Thread(target=record_second)
        waiting.start()
        waiting.join(timeout=1.5)
        assert waiting.is_alive(), "the second request did not wait for the person"
        first.commit()
        waiting.join(timeout=30)
        second.commit()
        [added] = outcome
        assert isinstance(added, Referral) and added.id == made.id
        second_reason = {
            "incident": "Escalation: 4 incidents in the last 12 months",
            "endorsement": "Endorsed risk level is high",
        }[then]
        assert added.trigger_reasons == [
            "Escalation: 3 incidents in the last 12 months",
            second_reason,
        ]
        assert added.version == 2  # the update was made from the committed version
    finally:
        first.close()
        second.close()
        engine.dispose()


def test_lock_person_holds_the_write_lock_on_sqlite(db: Session, database_url: str) -> None:
    """On SQLite the lock is the database's write lock, taken before the rules read."""
    if BACKEND != "sqlite":
        pytest.skip("the SQLite form of the lock")
    person = make_person(db)
    engine = make_engine(database_url)
    try:
        with Session(engine) as holder:
            lock_person(holder, person.id)
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as other:
                other.exec_driver_sql("PRAGMA busy_timeout = 100")
                with pytest.raises(Exception, match="locked"):
                    other.exec_driver_sql("UPDATE person SET phone = 'x'")
            holder.rollback()
    finally:
        engine.dispose()
