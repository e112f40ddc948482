"""The minutes lifecycle through the pages: approve, issue, correct, download, refusals."""

from __future__ import annotations

import hashlib

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.actions.models import Action
from marac.audit.models import AuditEvent
from marac.minutes.models import DocumentKind, IssuedDocument, Minutes
from marac.panels.models import AgendaStatus, MeetingStatus
from tests.minutes.helpers import (
    HOUSING_ACTION,
    POLICE_ACTION,
    MinutesWorld,
    pdf_text,
    stored_bytes,
)


def _documents(db: Session, meeting_id: int) -> list[IssuedDocument]:
    db.expire_all()
    return list(
        db.scalars(
            select(IssuedDocument)
            .where(IssuedDocument.meeting_id == meeting_id)
            .order_by(IssuedDocument.id)
        )
    )


def _doc(docs: list[IssuedDocument], kind: str, agency_id: int | None = None, version: int = 1):  # type: ignore[no-untyped-def]
    return next(
        d
        for d in docs
        if d.kind == kind and d.agency_id == agency_id and d.version_number == version
    )


def _audits(db: Session, action: str) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_approve_issue_download_and_correct(db: Session, login) -> None:  # type: ignore[no-untyped-def]
    world = MinutesWorld(db)
    meeting = world.held
    base = f"/meetings/{meeting.id}/minutes"
    chair = login(world.coordinator)  # the panel's chair is its coordinator here

    page = chair.get(base)
    assert page.status_code == 200 and "Approve the minutes" in page.get_data(as_text=True)
    draft = chair.get(f"{base}/draft.pdf")
    assert draft.status_code == 200 and "DRAFT" in pdf_text(draft.data)

    # Issuing before approval is refused with a message, nothing stored.
    refused = chair.submit(f"{base}/issue", {"version": "1"}, follow_redirects=True)
    assert "must approve" in refused.get_data(as_text=True)
    assert _documents(db, meeting.id) == []

    assert chair.submit(f"{base}/approve", {"version": "1"}).status_code == 302
    minutes = db.get(Minutes, meeting.id)
    assert minutes is not None and minutes.status == "approved"
    assert minutes.approved_by_id == world.coordinator.id

    asked = chair.submit(f"{base}/issue", {"version": "1"})
    assert asked.status_code == 302 and "/minutes/jobs/" in asked.headers["Location"]
    progress = chair.get(asked.headers["Location"]).get_data(as_text=True)
    assert "The minutes are issued" in progress and "4 documents stored" in progress
    docs = _documents(db, meeting.id)
    assert {(d.kind, d.agency_id) for d in docs} == {
        ("full", None),
        ("extract", world.police.id),
        ("extract", world.housing.id),
        ("extract", world.victim_support.id),
    }
    full = _doc(docs, "full")
    full_pdf = stored_bytes(full)
    assert full.pdf is None and full.sha256 == hashlib.sha256(full_pdf).hexdigest()
    assert full.size_bytes == len(full_pdf)
    assert _audits(db, "minutes_approved") and _audits(db, "minutes_issued")
    assert _audits(db, "minutes_issue_requested")
    # Members of the panel's agencies are told (the notifications are G's events).
    from marac.notify.models import Notification

    told = db.scalars(select(Notification.user_id).where(Notification.kind == "minutes_issued"))
    assert world.vs_member.id in set(told)

    # A member of a panel agency downloads the full minutes: the stored bytes.
    member = login(world.vs_member)
    got = member.get(f"{base}/documents/{full.id}.pdf")
    assert got.status_code == 200 and got.mimetype == "application/pdf"
    assert got.data == full_pdf
    # Named for the people who file it: panel, date, what and version; no database ids.
    day = meeting.meeting_date.isoformat()
    panel = world.panel.name.lower().replace(" ", "-")
    assert f'filename="{panel}-{day}-minutes-v1.pdf"' in got.headers["Content-Disposition"]
    extract = _doc(docs, "extract", world.victim_support.id)
    named = member.get(f"{base}/documents/{extract.id}.pdf").headers["Content-Disposition"]
    agency = world.victim_support.name.lower().replace(" ", "-")
    assert f'filename="{panel}-{day}-extract-{agency}-v1.pdf"' in named

    # The record changes afterwards: the issued PDF does not.
    action = db.get(Action, world.housing_action.id)
    assert action is not None
    action.description = "Edited after issue EDX-5555"
    db.commit()
    again = member.get(f"{base}/documents/{full.id}.pdf")
    assert again.data == full_pdf and hashlib.sha256(again.data).hexdigest() == full.sha256
    assert "EDX-5555" not in pdf_text(again.data)

    # A correction needs a reason (error summary, nothing issued) ...
    bad = chair.submit(f"{base}/correct", {"version": "2", "reason": ""})
    assert bad.status_code == 400
    assert "Enter the reason for the correction" in bad.get_data(as_text=True)
    assert len(_documents(db, meeting.id)) == 4
    # ... and issues version 2, keeping version 1 for the coordinators.
    version = str(db.get(Minutes, meeting.id, populate_existing=True).version)  # type: ignore[union-attr]
    fixed = chair.submit(
        f"{base}/correct", {"version": version, "reason": "Action wording corrected"}
    )
    assert fixed.status_code == 302 and "/minutes/jobs/" in fixed.headers["Location"]
    docs = _documents(db, meeting.id)
    v2 = _doc(docs, "full", version=2)
    assert v2.reason == "Action wording corrected" and "EDX-5555" in pdf_text(stored_bytes(v2))
    v1 = _doc(docs, "full", version=1)
    assert v1.superseded and stored_bytes(v1) == full_pdf
    assert chair.get(f"{base}/documents/{v1.id}.pdf").data == full_pdf
    assert member.get(f"{base}/documents/{v1.id}.pdf").status_code == 403
    assert member.get(f"{base}/documents/{v2.id}.pdf").status_code == 200
    listing = member.get(base).get_data(as_text=True)
    assert f"/documents/{v2.id}.pdf" in listing and f"/documents/{v1.id}.pdf" not in listing

    downloads = _audits(db, "minutes_downloaded")
    assert len(downloads) == 5  # the refused one is not a download (one is the extract above)
    assert {e.user_id for e in downloads} == {world.vs_member.id, world.coordinator.id}
    assert _audits(db, "minutes_corrected")


def test_downloads_are_need_to_know(app: Flask, db: Session, login) -> None:  # type: ignore[no-untyped-def]
    from marac.formatting import uk_today
    from marac.minutes import lifecycle

    world = MinutesWorld(db)
    meeting = world.held
    lifecycle.approve(db, meeting, world.coordinator)
    lifecycle.issue(db, meeting, world.coordinator, uk_today(), app.extensions["marac_store"])
    db.commit()
    docs = _documents(db, meeting.id)
    base = f"/meetings/{meeting.id}/minutes"
    full = _doc(docs, "full")
    housing = _doc(docs, "extract", world.housing.id)
    police = _doc(docs, "extract", world.police.id)

    # An action owner (a housing officer, not a panel member) gets the housing extract only.
    officer = login(world.housing_officer)
    assert officer.get(base).status_code == 200
    got = officer.get(f"{base}/documents/{housing.id}.pdf")
    assert got.status_code == 200 and HOUSING_ACTION in pdf_text(got.data)
    assert POLICE_ACTION not in pdf_text(got.data)
    assert officer.get(f"{base}/documents/{police.id}.pdf").status_code == 403
    assert officer.get(f"{base}/documents/{full.id}.pdf").status_code == 403

    # Other panels' members, other coordinators and admins: refused.
    for user in (world.outsider_member, world.other_coordinator, world.admin):
        client = login(user)
        assert client.get(f"{base}/documents/{full.id}.pdf").status_code == 403
        assert client.get(f"{base}/documents/{housing.id}.pdf").status_code == 403
    assert login(world.outsider_member).get(base).status_code == 403
    assert login(world.other_coordinator).get(f"{base}/draft.pdf").status_code == 403
    assert login(world.police_member).get(f"{base}/draft.pdf").status_code == 403
    # Only the chair approves and only the coordinator running the panel issues.
    assert (
        login(world.other_coordinator).submit(f"{base}/approve", {"version": "1"}).status_code
        == 403
    )
    assert login(world.police_member).submit(f"{base}/issue", {"version": "1"}).status_code == 403
    # A document of another meeting is not found through this one.
    other = world.meeting(days_ahead=3)
    assert (
        login(world.coordinator)
        .get(f"/meetings/{other.id}/minutes/documents/{full.id}.pdf")
        .status_code
        == 404
    )
    assert _audits(db, "minutes_downloaded")


def test_approval_waits_for_the_completed_record(db: Session, login) -> None:  # type: ignore[no-untyped-def]
    world = MinutesWorld(db)
    world.held.status = MeetingStatus.SCHEDULED.value
    db.commit()
    base = f"/meetings/{world.held.id}/minutes"
    chair = login(world.coordinator)
    assert "once the meeting record is completed" in chair.get(base).get_data(as_text=True)
    done = chair.submit(f"{base}/approve", {"version": "1"}, follow_redirects=True)
    assert "Complete the meeting record" in done.get_data(as_text=True)
    assert db.get(Minutes, world.held.id) is None


def test_agenda_pdf_for_members_once_published(db: Session, login) -> None:  # type: ignore[no-untyped-def]
    world = MinutesWorld(db)
    upcoming = world.meeting(days_ahead=10)
    world.listed(upcoming, world.referral(), 1)
    url = f"/meetings/{upcoming.id}/agenda.pdf"
    member = login(world.housing_member)
    assert member.get(url).status_code == 403  # not published yet
    assert member.submit(url).status_code == 403
    world.publish(upcoming)
    # No copy yet: the page offers to prepare one; the worker renders and stores it.
    offer = member.get(url)
    assert offer.status_code == 200 and "Prepare the agenda PDF" in offer.get_data(as_text=True)
    asked = member.submit(url)
    assert asked.status_code == 302 and "/minutes/jobs/" in asked.headers["Location"]
    ready = member.get(asked.headers["Location"]).get_data(as_text=True)
    assert "The agenda PDF is ready" in ready and url in ready
    got = member.get(url)
    assert got.status_code == 200 and "Agenda of the" in pdf_text(got.data)
    assert got.data == login(world.coordinator).get(url).data  # one stored copy, served
    assert login(world.outsider_member).get(url).status_code == 403
    assert login(world.outsider_member).submit(url).status_code == 403
    assert login(world.housing_officer).get(url).status_code == 403  # not a member
    assert login(world.outsider_member).get(asked.headers["Location"]).status_code == 404
    assert len(_audits(db, "agenda_downloaded")) == 2
    # The stored object damaged: refused with a clear page, audited, the bytes not sent.
    from pathlib import Path

    from marac.minutes.models import StoredPdf
    from tests.conftest import STORAGE_ROOT

    stored = db.scalars(select(StoredPdf)).one()
    path = Path(STORAGE_ROOT) / stored.storage_key
    good = path.read_bytes()
    path.write_bytes(good[:-10])
    refused = member.get(url)
    assert refused.status_code == 500 and b"%PDF" not in refused.data
    assert "cannot be downloaded" in refused.get_data(as_text=True)
    assert len(_audits(db, "agenda_download_failed")) == 1
    path.write_bytes(good)
    # An amendment (here a new venue) makes the stored copy stale: it is never served.
    upcoming.venue = "Amended venue AMV-4242"
    db.commit()
    assert "Prepare the agenda PDF" in member.get(url).get_data(as_text=True)
    member.get(member.submit(url).headers["Location"])
    assert "AMV-4242" in pdf_text(member.get(url).data)
    page = member.get(f"/meetings/{upcoming.id}").get_data(as_text=True)
    assert url in page and f"/meetings/{upcoming.id}/minutes" in page
    assert upcoming.agenda_status == AgendaStatus.PUBLISHED.value


def test_the_minutes_page_takes_constant_queries(db: Session, login, count_queries) -> None:  # type: ignore[no-untyped-def]
    world = MinutesWorld(db)
    db.add(Minutes(meeting_id=world.held.id, status="issued", current_version=1))
    db.commit()
    chair = login(world.coordinator)
    counts = []
    for size in (2, 12):
        db.add_all(
            IssuedDocument(
                meeting_id=world.held.id,
                kind=DocumentKind.EXTRACT.value,
                agency_id=world.housing.id,
                version_number=n + 1,
                superseded=True,
                pdf=b"%PDF-1.7",
                sha256="0" * 64,
                size_bytes=8,
                page_count=1,
            )
            for n in range(size - len(_documents(db, world.held.id)))
        )
        db.commit()
        with count_queries() as q:
            page = chair.get(f"/meetings/{world.held.id}/minutes")
        assert page.get_data(as_text=True).count("/documents/") == size
        counts.append(q.count)
    assert counts[0] == counts[1]


def test_only_the_named_chair_approves(db: Session, login) -> None:  # type: ignore[no-untyped-def]
    world = MinutesWorld(db)
    world.panel.chair_id = world.other_coordinator.id  # chairs, though not of this area
    db.commit()
    base = f"/meetings/{world.held.id}/minutes"
    assert login(world.coordinator).submit(f"{base}/approve", {"version": "1"}).status_code == 403
    chair = login(world.other_coordinator)
    assert "Approve the minutes" in chair.get(base).get_data(as_text=True)
    assert chair.submit(f"{base}/approve", {"version": "1"}).status_code == 302
    db.expire_all()
    minutes = db.get(Minutes, world.held.id)
    assert minutes is not None and minutes.approved_by_id == world.other_coordinator.id
    # The chair approves; issuing stays with the coordinators running the panel.
    assert chair.submit(f"{base}/issue", {"version": "1"}).status_code == 403


def test_an_action_owner_reaches_their_extract_from_the_action_page(
    app: Flask, db: Session, login
) -> None:  # type: ignore[no-untyped-def]
    from marac.formatting import uk_today
    from marac.minutes import lifecycle

    world = MinutesWorld(db)
    officer = login(world.housing_officer)
    page = officer.get(f"/actions/{world.housing_action.id}").get_data(as_text=True)
    assert "extract of the minutes" not in page  # nothing issued yet

    lifecycle.approve(db, world.held, world.coordinator)
    lifecycle.issue(db, world.held, world.coordinator, uk_today(), app.extensions["marac_store"])
    db.commit()
    housing = _doc(_documents(db, world.held.id), "extract", world.housing.id)
    page = officer.get(f"/actions/{world.housing_action.id}").get_data(as_text=True)
    link = f"/meetings/{world.held.id}/minutes/documents/{housing.id}.pdf"
    assert link in page
    download = officer.get(link)
    assert download.status_code == 200
    assert HOUSING_ACTION in pdf_text(download.data)


def test_the_minutes_page_follows_the_documents(app: Flask, db: Session, login) -> None:  # type: ignore[no-untyped-def]
    """Holding an action is not a reason to see a meeting's minutes page: a document is."""
    from marac.accounts.models import Role
    from marac.formatting import uk_today
    from marac.minutes import lifecycle
    from tests.factories import make_user

    world = MinutesWorld(db)
    base = f"/meetings/{world.held.id}/minutes"
    housing_referrer = make_user(db, Role.REFERRER, agency=world.housing)
    charity_referrer = make_user(db, Role.REFERRER, agency=world.outsider_agency)
    # Held, nothing issued: no agency has a document yet, so officers are refused.
    for user in (world.housing_officer, housing_referrer, charity_referrer):
        assert login(user).get(base).status_code == 403
    assert login(world.housing_member).get(base).status_code == 200
    lifecycle.approve(db, world.held, world.coordinator)
    lifecycle.issue(db, world.held, world.coordinator, uk_today(), app.extensions["marac_store"])
    db.commit()
    # Issued: the housing extract opens the page to housing; the charity has no document.
    assert login(world.housing_officer).get(base).status_code == 200
    assert login(charity_referrer).get(base).status_code == 403
    for document in _documents(db, world.held.id):
        got = login(charity_referrer).get(f"{base}/documents/{document.id}.pdf")
        assert got.status_code == 403
