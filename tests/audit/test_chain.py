"""The audit hash chain: `marac audit verify` passes an intact log and names the first
broken link when someone with owner rights rewrites it behind the app's back."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from marac import migrate
from marac.audit import record
from marac.audit.chain import GENESIS_HASH, hash_of, verify
from marac.audit.models import AuditChainHead, AuditEvent
from marac.db import make_engine
from marac.people.models import PersonMerge
from tests.factories import make_user

PG_TRIGGER = (
    "CREATE TRIGGER audit_event_no_update_or_delete BEFORE UPDATE OR DELETE "
    "ON audit_event FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
)


def _sqlite_trigger(operation: str) -> str:
    return (
        f"CREATE TRIGGER audit_event_no_{operation.lower()} BEFORE {operation} "
        "ON audit_event BEGIN SELECT RAISE(ABORT, "
        f"'audit_event is append-only: {operation} is not allowed'); END"
    )


@contextmanager
def attacker(db: Session, backend: str) -> Iterator[Session]:
    """An attacker with owner rights: drops the guard triggers, tampers, (we) restore them."""
    if backend == "postgresql":
        db.execute(text("DROP TRIGGER audit_event_no_update_or_delete ON audit_event"))
    else:
        db.execute(text("DROP TRIGGER audit_event_no_update"))
        db.execute(text("DROP TRIGGER audit_event_no_delete"))
    try:
        yield db
        db.commit()
    finally:
        db.rollback()
        if backend == "postgresql":
            db.execute(text(PG_TRIGGER))
        else:
            db.execute(text(_sqlite_trigger("UPDATE")))
            db.execute(text(_sqlite_trigger("DELETE")))
        db.commit()


def _log(db: Session, count: int) -> list[AuditEvent]:
    user = make_user(db)
    rows = []
    for n in range(count):
        rows.append(record(db, "referral_viewed", "referral", n, f"Viewed CM-2026-{n}", user=user))
        if n % 2:
            db.commit()  # some commits carry one row, some two
    db.commit()
    return rows


def test_rows_are_chained_in_order_and_verify_says_ok(app: Flask, db: Session) -> None:
    rows = _log(db, 5)
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(rows):
        assert after.prev_hash == before.row_hash
    assert all(hash_of(r) == r.row_hash for r in rows)
    head = db.get(AuditChainHead, 1)
    assert (head.seq, head.last_hash) == (5, rows[-1].row_hash)

    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "OK: 5 audit rows" in result.output


def test_a_row_changed_in_the_database_is_named(app: Flask, db: Session, backend: str) -> None:
    rows = _log(db, 4)
    with attacker(db, backend):
        db.execute(
            text("UPDATE audit_event SET summary = 'nothing to see' WHERE id = :id"),
            {"id": rows[1].id},
        )
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"content changed at seq 2 (id {rows[1].id})" in result.output


def test_a_rehashed_row_breaks_the_next_link(db: Session, backend: str) -> None:
    rows = _log(db, 3)
    forged = rows[0]
    with attacker(db, backend):
        db.execute(
            text("UPDATE audit_event SET user_label = 'x', row_hash = :h WHERE id = :id"),
            {"id": forged.id, "h": _rehash(db, forged.id, user_label="x")},
        )
    result = verify(db)
    assert not result.ok and result.count == 1
    assert result.problem.startswith(f"link broken at seq 2 (id {rows[1].id})")


def _rehash(db: Session, row_id: int, **changes: object) -> str:
    row = db.execute(select(AuditEvent.__table__).where(AuditEvent.id == row_id)).one()
    values = row._asdict() | changes
    return hash_of(type("Row", (), values))


def test_a_deleted_row_is_named(app: Flask, db: Session, backend: str) -> None:
    rows = _log(db, 4)
    with attacker(db, backend):
        db.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": rows[2].id})
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"row missing: seq 3, before seq 4 (id {rows[3].id})" in result.output


def test_deleting_the_newest_rows_shows_at_the_head(db: Session, backend: str) -> None:
    rows = _log(db, 3)
    with attacker(db, backend):
        db.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": rows[2].id})
    result = verify(db)
    assert not result.ok
    assert result.problem == "head mismatch: the head says seq 3, the last row is seq 2"


def test_sqlite_refuses_insert_or_replace(db: Session, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("INSERT OR REPLACE is SQLite's")
    row = _log(db, 1)[0]
    for clash in ("id", "seq"):
        with pytest.raises(DatabaseError, match="REPLACE is not allowed"):
            db.execute(
                text(
                    "INSERT OR REPLACE INTO audit_event (id, seq, at, user_label, action, "
                    "object_type, summary, prev_hash, row_hash) VALUES (:id, :seq, :at, 'x', "
                    "'login', 'user', 'replaced', :h, :h)"
                ),
                {
                    "id": row.id if clash == "id" else row.id + 100,
                    "seq": row.seq if clash == "seq" else 999,
                    "at": "2026-01-01 00:00:00",
                    "h": GENESIS_HASH,
                },
            )
        db.rollback()
    assert db.scalar(select(AuditEvent.summary)) == row.summary
    assert verify(db).ok


def test_concurrent_appends_leave_one_valid_chain(app: Flask, db: Session) -> None:
    """Several connections append at once; the head row lock makes them queue."""
    user = make_user(db)
    db.commit()
    factory = app.extensions["marac_db"].sessionmaker
    threads, per_thread, errors = 6, 15, []
    start = threading.Barrier(threads)

    def append(worker: int) -> None:
        session = factory()
        try:
            start.wait()
            for n in range(per_thread):
                record(session, "referral_viewed", "referral", n, f"Viewed {worker}-{n}", user=user)
                session.commit()
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            session.close()

    workers = [threading.Thread(target=append, args=(w,)) for w in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    result = verify(db)
    assert result.ok, result.problem
    assert result.count == threads * per_thread


def test_the_migration_chains_existing_rows(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url, "0009")
    engine = make_engine(empty_database_url)
    try:
        with engine.begin() as conn:
            for n in range(3):
                conn.execute(
                    text(
                        "INSERT INTO audit_event (at, user_label, action, object_type, "
                        "object_id, summary) VALUES (:at, 'system', 'login', 'user', :id, '')"
                    ),
                    {"at": f"2026-0{n + 1}-01 10:00:00.000000", "id": str(n)},
                )
            conn.execute(
                text(
                    "INSERT INTO audit_event (at, user_label, action, object_type, "
                    "object_id, summary) VALUES ('2026-04-01 10:00:00.000000', 'system', "
                    "'people_merged', 'person', '2', :s)"
                ),
                {"s": "Merged person 4 into person 2 (1 incidents). Reason: Same DOB, checked"},
            )
        migrate.upgrade(empty_database_url)
        with Session(engine) as session:
            result = verify(session)
            assert result.ok, result.problem
            assert result.count == 4
            record(session, "login", "user", 9, "Signed in")
            session.commit()
            assert verify(session).count == 5
            # A merge's reason leaves the audit summaries for its own table.
            merge = session.scalar(select(PersonMerge))
            assert (merge.survivor_person_id, merge.duplicate_person_id) == (2, 4)
            assert merge.reason == "Same DOB, checked"
        migrate.downgrade(empty_database_url, "0009")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM audit_event")).scalar() == 5
    finally:
        engine.dispose()
