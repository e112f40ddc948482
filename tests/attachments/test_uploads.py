"""Uploads end to end through the pages, on both stores, against a real clamd.

A clean file is stored and downloadable (hash-checked, as a download no cache keeps);
the EICAR test file is refused with a clear message and audited, and never stored.
With clamd down a file stays quarantined and undownloadable until the scan job finds
it clean (or infected: then its bytes are deleted and the uploader told).
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.attachments import operations
from marac.attachments.models import Attachment
from marac.audit.models import AuditEvent
from marac.jobs.models import Job
from marac.notify.models import Notification
from marac.storage import backends
from tests.attachments.conftest import MakeApp
from tests.attachments.helpers import PDF, upload
from tests.referrals.helpers import World
from tests.services import EICAR, EICAR_SIGNATURE


def _session(app: Flask) -> Session:
    return app.extensions["marac_db"].sessionmaker()


def _audit(db: Session, action: str) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_clean_file_is_downloadable_and_the_eicar_file_is_refused(
    make_app: MakeApp, store_kind: str
) -> None:
    app = make_app(store_kind)
    db = _session(app)
    world = World(db)
    client = app.test_client().login(world.referrer.email)  # type: ignore[attr-defined]

    sent = upload(client, "incident", world.incident.id, PDF, "../../home/pc/notice served.pdf",
                  description="Notice served on 3 March")  # fmt: skip
    assert sent.status_code == 302
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "notice served.pdf has been attached." in page
    clean = db.scalars(select(Attachment)).one()
    assert (clean.filename, clean.mime, clean.status) == (
        "notice served.pdf",
        "application/pdf",
        "clean",
    )
    assert (clean.size, clean.sha256) == (len(PDF), backends.sha256_of(PDF))
    assert clean.incident_id == world.incident.id and clean.scanned_at is not None
    assert f"/attachments/{clean.id}" in page and "Notice served on 3 March" in page

    got = client.get(f"/attachments/{clean.id}")
    assert got.status_code == 200 and got.data == PDF
    assert got.headers["Content-Disposition"] == 'attachment; filename="notice served.pdf"'
    assert got.headers["Content-Type"] == "application/pdf"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Cache-Control"] == "no-store"
    with app.app_context():
        assert backends.get(backends.store(), clean.storage_key, clean.sha256) == PDF
    downloaded = _audit(db, "attachment_downloaded")
    assert [(a.object_id, a.user_id) for a in downloaded] == [(str(clean.id), world.referrer.id)]

    refused = upload(client, "incident", world.incident.id, EICAR, "photo of the door.txt")
    assert refused.status_code == 200
    html = refused.get_data(as_text=True)
    assert "The selected file contains a virus, so it has not been attached" in html
    assert "govuk-error-summary" in html
    infected = db.scalars(select(Attachment).where(Attachment.id != clean.id)).one()
    assert (infected.status, infected.signature) == ("infected", f"{EICAR_SIGNATURE}.UNOFFICIAL")
    assert infected.storage_key == ""  # never stored
    [audit] = _audit(db, "attachment_infected")
    assert audit.object_id == str(infected.id) and audit.user_id == world.referrer.id
    assert "photo" not in audit.summary and "EICAR" not in audit.summary
    listed = client.get(f"/incidents/{world.incident.id}").get_data(as_text=True)
    assert "Refused: a virus was found" in listed
    assert f'/attachments/{infected.id}"' not in listed
    assert client.get(f"/attachments/{infected.id}").status_code == 409
    db.close()


def test_with_clamd_down_a_file_waits_in_quarantine_until_the_scan_job_clears_it(
    make_app: MakeApp, store_kind: str, tmp_path
) -> None:
    down = make_app(store_kind, clamd_address=str(tmp_path / "no-clamd.sock"))
    db = _session(down)
    world = World(db)
    client = down.test_client().login(world.coordinator.email)  # type: ignore[attr-defined]

    sent = upload(client, "incident", world.incident.id, PDF, "letter.pdf")
    assert "being checked for viruses" in client.get(sent.headers["Location"]).get_data(
        as_text=True
    )
    waiting = db.scalars(select(Attachment)).one()
    assert waiting.status == "quarantined" and waiting.storage_key
    job = db.scalars(select(Job).where(Job.kind == operations.SCAN_JOB)).one()
    assert (job.object_id, job.status) == (waiting.id, "failed")  # every attempt: no scanner
    assert "stays quarantined" in job.message
    page = client.get(f"/incidents/{world.incident.id}").get_data(as_text=True)
    assert "Being checked for viruses" in page and f'href="/attachments/{waiting.id}"' not in page
    not_yet = client.get(f"/attachments/{waiting.id}")
    assert not_yet.status_code == 409 and "still being checked" in not_yet.get_data(as_text=True)

    infected = upload(client, "incident", world.incident.id, EICAR, "scan.txt")
    assert infected.status_code == 302  # nobody could tell yet
    dirty = db.scalars(select(Attachment).where(Attachment.id != waiting.id)).one()
    dirty_key = dirty.storage_key

    # clamd answers again: the periodic rescan queues both, and the job decides.
    up = make_app(store_kind)
    with up.app_context():
        session = _session(up)
        assert operations.rescan_quarantined(session) == [waiting.id, dirty.id]
        assert operations.rescan_quarantined(session) == []  # scanned: nothing to queue
        session.close()
        store = backends.store()
    db.expire_all()
    assert db.get(Attachment, waiting.id).status == "clean"  # type: ignore[union-attr]
    dirty = db.get(Attachment, dirty.id)  # type: ignore[assignment]
    assert (dirty.status, dirty.storage_key) == ("infected", "")
    try:
        store.read(dirty_key)
    except backends.StorageError:
        pass
    else:
        raise AssertionError("the infected file's bytes are still in the store")
    assert [a.object_id for a in _audit(db, "attachment_infected")] == [str(dirty.id)]
    told = db.scalars(select(Notification).where(Notification.user_id == world.coordinator.id))
    assert [n.kind for n in told] == ["attachment_infected"]
    assert client.get(f"/attachments/{waiting.id}").data == PDF
    with up.app_context():  # running the job again changes nothing
        assert operations.record_scan(_session(up), waiting.id) == "clean"
    db.close()
