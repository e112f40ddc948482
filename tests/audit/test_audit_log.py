"""The audit log: one helper writes it, nothing edits it, admins read and filter it."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.audit import AuditError, record
from marac.audit.models import AuditEvent
from tests.factories import make_user


def _event(db: Session) -> AuditEvent:
    user = make_user(db)
    row = record(db, "referral_viewed", "referral", 42, "Viewed referral", user=user)
    db.commit()
    return row


def test_record_captures_who_what_when_and_ip(app: Flask, db: Session, login) -> None:
    user = make_user(db, Role.ADMIN)
    client = login(user)
    client.get("/admin/audit", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    row = db.scalar(select(AuditEvent).where(AuditEvent.action == "audit_viewed"))
    assert row.user_id == user.id
    assert row.user_label == user.email
    assert row.ip_address == "10.1.2.3"
    assert row.at is not None and row.at.tzinfo is not None


def test_the_app_refuses_to_change_or_delete_audit_rows(db: Session) -> None:
    row = _event(db)
    row.summary = "tampered"
    with pytest.raises(AuditError):
        db.commit()
    db.rollback()
    db.delete(db.get(AuditEvent, row.id))
    with pytest.raises(AuditError):
        db.commit()
    db.rollback()
    assert db.get(AuditEvent, row.id).summary == "Viewed referral"


def test_the_database_rejects_update_and_delete(db: Session, backend: str) -> None:
    """A trigger guards the table on PostgreSQL (and on SQLite), whatever the client."""
    row = _event(db)
    for statement in (
        update(AuditEvent).where(AuditEvent.id == row.id).values(summary="tampered"),
        delete(AuditEvent).where(AuditEvent.id == row.id),
        text("UPDATE audit_event SET summary = 'raw tamper'"),
        text("DELETE FROM audit_event"),
    ):
        with pytest.raises(DatabaseError, match="append-only"):
            db.execute(statement)
        db.rollback()
    assert db.scalar(select(AuditEvent.summary).where(AuditEvent.id == row.id)) == "Viewed referral"


def test_admin_filters_the_log(db: Session, login) -> None:
    admin = login(make_user(db, Role.ADMIN, email="admin@test.example"))
    other = make_user(db, email="someone.else@test.example")
    record(db, "referral_viewed", "referral", 7, "Viewed referral R-7", user=other)
    record(db, "agency_updated", "agency", 3, "Changed name", user=other)
    db.commit()
    page = admin.get("/admin/audit?action=referral_viewed").get_data(as_text=True)
    assert "Viewed referral R-7" in page and "Changed name" not in page
    page = admin.get("/admin/audit?user=someone.else&object_type=agency").get_data(as_text=True)
    assert "Changed name" in page and "Viewed referral R-7" not in page
    page = admin.get("/admin/audit?object_type=referral&object_id=7").get_data(as_text=True)
    assert "Viewed referral R-7" in page
    page = admin.get("/admin/audit?from=2000-01-01&to=2000-01-02").get_data(as_text=True)
    assert "No entries match these filters" in page
    page = admin.get("/admin/audit?from=yesterday").get_data(as_text=True)
    assert "There is a problem" in page and "Enter a real date, for example 27 3 2026" in page


def test_there_is_no_route_that_edits_the_log(app: Flask) -> None:
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("audit."):
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule


def test_audit_page_runs_a_constant_number_of_queries(db: Session, login, count_queries) -> None:
    admin = login(make_user(db, Role.ADMIN))
    counts = []
    for batch in (3, 150):
        for n in range(batch):
            record(db, "referral_viewed", "referral", n, "Viewed")
        db.commit()
        with count_queries() as q:
            assert admin.get("/admin/audit").status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[1], counts


def test_dates_are_govuk_date_inputs(db: Session, login) -> None:
    """Three boxes like every other form, not a native picker; they filter like ?from=."""
    admin = login(make_user(db, Role.ADMIN))
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert 'type="date"' not in page and 'name="from-day"' in page and 'name="to-year"' in page
    kept = admin.get(
        "/admin/audit?from-day=1&from-month=1&from-year=2000&to-day=2&to-month=1&to-year=2000"
    )
    html = kept.get_data(as_text=True)
    assert "There is a problem" not in html and 'value="2000"' in html
    bad = admin.get("/admin/audit?from-day=31&from-month=2&from-year=2026").get_data(as_text=True)
    assert "Enter a real date, for example 27 3 2026" in bad
