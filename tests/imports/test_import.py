"""The import end to end through the pages (jobs run in-process): preview, import, twice,
a rerun after a crash, referrals with their screening decision, and the refusals."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.audit.models import AuditEvent
from marac.imports.models import BatchStatus, ImportBatch, ImportedRow
from marac.imports.operations import import_row, start_import, upload_file
from marac.imports.queries import check_rows
from marac.incidents.models import Incident
from marac.jobs.models import Job
from marac.referrals.models import Referral
from marac.storage.backends import StorageError, store
from tests.factories import make_user
from tests.imports.helpers import HEADERS, LAST_YEAR, coordinator_world, csv_bytes, rows, xlsx_bytes


def _upload(client: Any, data: bytes, name: str = "history.csv") -> Any:
    return client.submit(
        "/imports",
        {"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _count(db: Session, model: Any) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model)) or 0


def _stored(app: Flask, key: str) -> bool:
    try:
        app.extensions["marac_store"].read(key)
    except StorageError:
        return False
    return True


def test_preview_shows_the_bad_row_and_importing_twice_adds_nothing(
    app: Flask, db: Session, login: Any
) -> None:
    coordinator, _other = coordinator_world(db)
    client = login(coordinator)
    response = _upload(client, csv_bytes())
    assert response.status_code == 302
    batch = db.scalars(select(ImportBatch)).one()
    assert response.headers["Location"].endswith(f"/imports/{batch.id}/columns")
    columns = client.get(f"/imports/{batch.id}/columns").get_data(as_text=True)
    assert 'value="victim.full_name" selected' in columns
    assert "For example: Amira Haddad, Tomasz Nowak, Sam Jones" in columns

    preview = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "There is a problem with 1 row" in preview
    assert f"Row 3: Date of the incident: “31/02/{LAST_YEAR}” is not a real date" in preview
    assert re.search(r'id="count-ready">2<', preview)

    key = batch.store_key
    assert _stored(app, key)
    response = client.submit(f"/imports/{batch.id}/import")
    job = db.scalars(select(Job)).one()
    assert response.headers["Location"].endswith(f"/jobs/{job.id}")
    db.refresh(job)
    assert job.status == "done", job.error
    assert job.message == "Imported 2 rows. 0 already imported, 1 with problems skipped."
    assert _count(db, Incident) == 2
    db.refresh(batch)
    assert (batch.status, batch.imported_count, batch.error_count) == ("imported", 2, 1)
    assert batch.store_key == "" and not _stored(app, key)
    result = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert len(re.findall(r'href="/incidents/\d+"', result)) == 2
    # Every incident was recorded by the incident operation, which audited it.
    recorded = db.scalar(select(func.count()).where(AuditEvent.action == "incident_recorded"))
    assert recorded == 2

    # The same file again (as XLSX, even): every good row is already in.
    _upload(client, xlsx_bytes([*rows(), rows()[0]]), "history.xlsx")  # row 5 repeats row 2
    second = db.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()
    assert second is not None and second.file_type == "xlsx"
    preview = client.get(f"/imports/{second.id}").get_data(as_text=True)
    assert re.search(r'id="count-done">3<', preview)
    assert "Row 5: The whole row: The same as row 2: it is imported once" in preview
    assert "There are no rows ready to import" in preview
    refused = client.submit(f"/imports/{second.id}/import", follow_redirects=True)
    assert "There are no rows without errors to import" in refused.get_data(as_text=True)
    assert _count(db, Incident) == 2


def test_a_rerun_after_a_crash_continues_where_it_stopped(app: Flask, db: Session) -> None:
    coordinator, _other = coordinator_world(db)
    with app.app_context():
        _rerun(db, coordinator)


def _rerun(db: Session, coordinator: Any) -> None:
    batch = upload_file(db, coordinator, filename="h.csv", data=csv_bytes(), max_bytes=1_000_000)
    first = check_rows(db, coordinator, batch)[0]
    assert first.area is not None
    # A run that died after its first row: that row is in, the batch still waits.
    assert import_row(db, coordinator, batch.id, first.parsed, first.area) is not None
    assert import_row(db, coordinator, batch.id, first.parsed, first.area) is None
    job = start_import(db, coordinator, batch.id, ready=2, result_link="/imports")
    db.refresh(job)
    assert job.status == "done"
    assert _count(db, Incident) == 2
    assert _count(db, ImportedRow) == 2
    db.refresh(batch)
    assert (batch.imported_count, batch.duplicate_count, batch.error_count) == (2, 0, 1)
    # The database itself refuses a second row with the same area and fingerprint.
    db.add(
        ImportedRow(
            area_id=first.area.id,
            fingerprint=first.parsed.fingerprint,
            batch_id=batch.id,
            row_number=99,
            incident_id=db.scalars(select(Incident.id)).first(),
        )
    )
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()

    # A job that cannot finish (its file vanished) leaves the upload to be tried again.
    again = upload_file(db, coordinator, filename="h2.csv", data=csv_bytes(), max_bytes=10**6)
    store().delete(again.store_key)
    failed = start_import(db, coordinator, again.id, ready=1, result_link="/imports")
    db.refresh(failed)
    db.refresh(again)
    assert (failed.status, again.status) == ("failed", "uploaded")


def test_a_referral_with_its_decision_is_made_by_the_referral_operations(
    db: Session, login: Any
) -> None:
    coordinator, _other = coordinator_world(db)
    headers = [*HEADERS, "Referral date", "Referral reasons", "Consent", "Decision"]
    table = [
        [*rows()[0], f"10/02/{LAST_YEAR}", "Repeat abuse at home", "Given", "Accepted"],
        [*rows()[2], f"12/03/{LAST_YEAR}", "Followed home twice", "Given", ""],
    ]
    client = login(coordinator)
    _upload(client, csv_bytes(table, headers))
    batch = db.scalars(select(ImportBatch)).one()
    assert "There is a problem" not in client.get(f"/imports/{batch.id}").get_data(as_text=True)
    client.submit(f"/imports/{batch.id}/import")
    db.expire_all()
    referrals = db.scalars(select(Referral).order_by(Referral.created_at)).all()
    assert [(r.source, r.status) for r in referrals] == [
        ("partner", "accepted"),
        ("partner", "new"),
    ]
    assert referrals[0].created_at.date().isoformat() == f"{LAST_YEAR}-02-10"
    assert referrals[0].screened_by_id == coordinator.id


def test_refusals_bad_files_and_areas_not_covered(app: Flask, db: Session, login: Any) -> None:
    coordinator, other = coordinator_world(db)
    referrer = make_user(db, Role.REFERRER)
    assert login(referrer).get("/imports").status_code == 403

    client = login(coordinator)
    pdf = _upload(client, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "x.csv")
    assert pdf.status_code == 200
    assert "must be a CSV or an Excel spreadsheet" in pdf.get_data(as_text=True)
    assert _count(db, ImportBatch) == 0

    far = [[*rows()[0][:10], "AK9 1ZZ"]]  # in the other coordinator's area
    _upload(client, csv_bytes(far))
    batch = db.scalars(select(ImportBatch)).one()
    preview = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "AK9 1ZZ is in Ashbrook South, which you do not cover" in preview

    # Another coordinator cannot see, map, start or abandon it: it is not theirs.
    theirs = login(other)
    for path in ("", "/columns"):
        assert theirs.get(f"/imports/{batch.id}{path}").status_code == 404
    assert theirs.submit(f"/imports/{batch.id}/import").status_code == 404
    assert theirs.submit(f"/imports/{batch.id}/abandon").status_code == 404

    # A mapping naming one field twice is refused on the page, nothing saved.
    twice = client.submit(
        f"/imports/{batch.id}/columns", {"column-0": "occurred_on", "column-1": "occurred_on"}
    )
    assert twice.status_code == 200
    assert "Date of the incident is chosen for more than one column" in twice.get_data(as_text=True)

    key = batch.store_key
    assert _stored(app, key)
    client.submit(f"/imports/{batch.id}/abandon")
    db.refresh(batch)
    assert batch.status == BatchStatus.ABANDONED.value and not _stored(app, key)
