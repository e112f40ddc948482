"""What an upload may not be (empty, too large, not an accepted type by its content), and
who may not upload or download: each record's need-to-know, refusals audited."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.attachments.models import Attachment
from marac.audit.models import AuditEvent
from tests.actions.helpers import PanelWorld
from tests.attachments.conftest import MakeApp
from tests.attachments.helpers import ELF, PDF, upload
from tests.factories import make_agency, make_user
from tests.referrals.helpers import World, link


def test_empty_missing_mistyped_and_oversized_files_are_refused_with_clear_errors(
    make_app: MakeApp,
) -> None:
    app = make_app(upload_max_bytes=4096, overrides={"MAX_CONTENT_LENGTH": 16 * 1024})
    db: Session = app.extensions["marac_db"].sessionmaker()
    world = World(db)
    client = app.test_client().login(world.referrer.email)  # type: ignore[attr-defined]
    url = f"/attachments/incident/{world.incident.id}/new"

    form = client.get(url).get_data(as_text=True)
    assert 'type="file"' in form and 'enctype="multipart/form-data"' in form
    assert "smaller than 4 KB" in form

    def refused(response, message: str) -> None:  # type: ignore[no-untyped-def]
        html = response.get_data(as_text=True)
        assert response.status_code == 200, html[:500]
        assert "govuk-error-summary" in html and message in html, html[:3000]

    refused(client.submit(url, {}, content_type="multipart/form-data"), "Select a file")
    refused(
        upload(client, "incident", world.incident.id, b"", "empty.pdf"),
        "The selected file is empty",
    )
    refused(
        upload(client, "incident", world.incident.id, ELF, "invoice.pdf"),
        "The selected file must be a PDF, JPEG image",
    )
    refused(
        upload(client, "incident", world.incident.id, PDF + b"0" * 5000, "big.pdf"),
        "The selected file must be smaller than 4 KB",
    )
    refused(
        upload(client, "incident", world.incident.id, PDF, "a.pdf", description="x" * 501),
        "Description must be 500 characters or fewer",
    )
    # A body over MAX_CONTENT_LENGTH never reaches the form: a GOV.UK page, not a bare 413.
    huge = upload(client, "incident", world.incident.id, PDF + b"0" * 20000, "huge.pdf")
    assert huge.status_code == 413
    html = huge.get_data(as_text=True)
    assert "govuk-error-summary" in html and "must be smaller than 4 KB" in html
    assert 'type="file"' in html  # the form, to try again
    elsewhere = client.submit("/incidents/new", {"x": "y" * 20000})
    assert elsewhere.status_code == 413 and "What you sent is too large" in elsewhere.get_data(
        as_text=True
    )
    other = app.test_client().login(world.other_coordinator.email)  # type: ignore[attr-defined]
    too_big = upload(other, "incident", world.incident.id, PDF + b"0" * 20000, "huge.pdf")
    assert too_big.status_code == 413  # the record is not theirs: only "too large"
    assert "What you sent is too large" in too_big.get_data(as_text=True)
    assert db.scalars(select(Attachment)).all() == []  # nothing stored
    db.close()


def _attach(app: Flask, user, kind: str, record_id: int) -> int:  # type: ignore[no-untyped-def]
    client = app.test_client().login(user.email)  # type: ignore[attr-defined]
    assert upload(client, kind, record_id, PDF, f"{kind}.pdf").status_code == 302
    db: Session = app.extensions["marac_db"].sessionmaker()
    found = db.scalars(select(Attachment.id).order_by(Attachment.id.desc())).first()
    db.close()
    assert found is not None
    return found


def test_attachments_follow_their_records_need_to_know(app: Flask, db: Session, login) -> None:
    world = PanelWorld(db)
    link(db, world.referral, world.incident)
    action = world.action()
    on_incident = _attach(app, world.referrer, "incident", world.incident.id)
    on_referral = _attach(app, world.coordinator, "referral", world.referral.id)
    on_action = _attach(app, world.housing_officer, "action", action.id)

    stranger = login(make_user(db, Role.REFERRER, agency=make_agency(db)))
    for attachment_id in (on_incident, on_referral, on_action):
        assert stranger.get(f"/attachments/{attachment_id}").status_code == 403
    for kind, record_id in (("incident", world.incident.id), ("referral", world.referral.id),
                            ("action", action.id)):  # fmt: skip
        assert stranger.get(f"/attachments/{kind}/{record_id}/new").status_code == 403
        assert upload(stranger, kind, record_id, PDF, "x.pdf").status_code == 403
    admin = login(make_user(db, Role.ADMIN))
    assert admin.get(f"/attachments/{on_referral}").status_code == 403

    # Guessing: no such document or record, or no such kind of record.
    assert stranger.get("/attachments/999999").status_code == 404
    assert stranger.get("/attachments/incident/999999/new").status_code == 404
    assert stranger.get(f"/attachments/person/{world.person.id}/new").status_code == 404

    # A panel member of the listed case reads the referral's documents and the action's of
    # their agency, not the incident's (members never open incidents), and adds nothing
    # to the referral.
    member = login(world.housing_member)
    assert member.get(f"/attachments/{on_referral}").data == PDF
    assert member.get(f"/attachments/{on_action}").data == PDF
    assert member.get(f"/attachments/{on_incident}").status_code == 403
    assert member.get(f"/attachments/referral/{world.referral.id}/new").status_code == 403
    outsider = login(world.outsider)  # on no panel with this case
    assert outsider.get(f"/attachments/{on_referral}").status_code == 403

    refusals = db.scalars(select(AuditEvent).where(AuditEvent.action == "access_refused"))
    named = {(r.object_type, r.object_id, r.user_id) for r in refusals}
    assert ("attachment", str(on_referral), world.outsider.id) in named
    downloads = db.scalars(select(AuditEvent).where(AuditEvent.action == "attachment_downloaded"))
    assert {(d.object_id, d.user_id) for d in downloads} == {
        (str(on_referral), world.housing_member.id),
        (str(on_action), world.housing_member.id),
    }
