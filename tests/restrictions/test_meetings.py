"""Restricted records inside meetings: agendas, the meeting record, minutes, PDFs, emails.

A person on a published agenda is restricted by the panel's coordinator. A member of a
panel agency and another coordinator of the area (neither named) see the case's slot as
"Restricted record R-<n>", never the name or the reference; the restricting coordinator
and a named user see it in full on the pages. Documents shared with every agency (the
agenda PDF, the minutes, the extracts) always print the placeholder, whoever asks.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.meetings import operations as meeting_ops
from marac.minutes.content import gather_agenda, gather_minutes
from marac.minutes.models import IssuedDocument, Minutes, MinutesStatus
from marac.notify.models import Notification, OutboxMessage
from marac.panels.models import AgendaStatus, Meeting
from marac.people.restriction import PersonRestriction
from tests.minutes.helpers import (
    HOUSING_ACTION,
    HOUSING_INFO,
    POLICE_ACTION,
    POLICE_INFO,
    RISKS,
    pdf_text,
    stored_bytes,
)
from tests.restrictions.helpers import MEETING_NAME as NAME
from tests.restrictions.helpers import MeetingCase as World


@pytest.fixture
def world(db: Session) -> World:
    return World(db)


def _flat(text: str) -> str:
    """PDF text with its line breaks and hyphenation joined, to search phrases in."""
    return re.sub(r"\s+", " ", text)


def _hides(text: str, world: World, label: str) -> None:
    assert NAME not in text
    assert world.case.reference not in text
    assert label in text


def test_the_agenda_shows_a_placeholder_in_the_restricted_cases_slot(
    db: Session, world: World, login: Any
) -> None:
    world.publish(world.upcoming)
    url = f"/meetings/{world.upcoming.id}"
    for user in world.unlisted:  # before: everyone on the panel sees the name
        assert NAME in login(user).get(url).get_data(as_text=True)
    restriction = world.restrict()
    label = f"Restricted record R-{restriction.id}"
    # An amendment naming the case and the person, made by the restricting coordinator.
    meeting_ops.move_agenda_item(
        db,
        world.coordinator,
        world.upcoming.id,
        world.upcoming_items[0].id,
        direction="down",
        reason=f"{NAME} asked to be heard later",
    )
    for user in world.unlisted:
        page = login(user).get(url)
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        _hides(html, world, label)
        assert world.other.reference in html  # the other case is untouched
        assert f"/referrals/{world.case.id}" not in html  # no link into the case
        assert f"/cases/{world.case.id}/research" not in html
        assert f"/restrictions/people/{world.person.id}/ask" in html
        assert "asked to be heard later" in html  # the amendment, with the name replaced
    colleague = login(world.colleague).get(url).get_data(as_text=True)
    assert "Withheld" in colleague  # the research grid's cells for the row
    assert "2 cases in running order" in colleague  # the slot is kept
    for user in world.listed_users:
        html = login(user).get(url).get_data(as_text=True)
        assert NAME in html and world.case.reference in html and label not in html


def test_changing_or_researching_a_hidden_case_shows_the_restricted_page(
    db: Session, world: World, login: Any
) -> None:
    world.publish(world.upcoming)
    restriction = world.restrict()
    item = world.upcoming_items[0]
    colleague = login(world.colleague)
    for page in (
        f"/meetings/{world.upcoming.id}/agenda/items/{item.id}/defer",
        f"/meetings/{world.upcoming.id}/agenda/items/{item.id}/remove",
    ):
        response = colleague.get(page)
        html = response.get_data(as_text=True)
        assert response.status_code == 403, page
        assert "This record is restricted" in html and f"R-{restriction.id}" in html
        assert NAME not in html and world.case.reference not in html
    moved = colleague.submit(
        f"/meetings/{world.upcoming.id}/agenda/items/{item.id}/move",
        {"direction": "down", "reason": "x"},
    )
    assert moved.status_code == 403
    research = login(world.police_member).get(
        f"/meetings/{world.upcoming.id}/cases/{world.case.id}/research"
    )
    assert research.status_code == 403
    assert "This record is restricted" in research.get_data(as_text=True)
    assert NAME not in research.get_data(as_text=True)
    added = colleague.get(f"/meetings/{world.upcoming.id}/agenda/add").get_data(as_text=True)
    assert NAME not in added


def test_the_meeting_record_lists_a_placeholder_and_refuses_the_case_page(
    db: Session, world: World, login: Any
) -> None:
    restriction = world.restrict()
    label = f"Restricted record R-{restriction.id}"
    held = world.held
    item = world.items[0]
    colleague = login(world.colleague)
    listing = colleague.get(f"/meetings/{held.id}/complete")
    assert listing.status_code == 200
    _hides(listing.get_data(as_text=True), world, label)
    assert world.other.reference in listing.get_data(as_text=True)

    for user in world.unlisted:
        response = login(user).get(f"/meetings/{held.id}/record/{item.id}")
        html = response.get_data(as_text=True)
        assert response.status_code == 403
        assert "This record is restricted" in html and f"R-{restriction.id}" in html
        assert NAME not in html and world.case.reference not in html and POLICE_INFO not in html
    refused = colleague.get(f"/meetings/{held.id}/record/{item.id}").get_data(as_text=True)
    assert f"/restrictions/people/{world.person.id}/break-glass" in refused
    # The review of earlier actions at the next meeting withholds the case's actions.
    review = colleague.get(f"/meetings/{world.following.id}/review").get_data(as_text=True)
    _hides(review, world, label)
    assert HOUSING_ACTION not in review and POLICE_ACTION not in review

    # The restricting coordinator and the named member read it in full.
    for user in world.listed_users:
        page = login(user).get(f"/meetings/{held.id}/record/{item.id}")
        assert page.status_code == 200 and NAME in page.get_data(as_text=True)
    assert NAME in login(world.coordinator).get(f"/meetings/{held.id}/complete").get_data(
        as_text=True
    )
    # Break glass lets the colleague record it.
    assert (
        colleague.submit(
            f"/restrictions/people/{world.person.id}/break-glass", {"reason": "Recording it now"}
        ).status_code
        == 302
    )
    assert colleague.get(f"/meetings/{held.id}/record/{item.id}").status_code == 200


def _issue(db: Session, world: World, login: Any) -> list[IssuedDocument]:
    db.add(
        Minutes(
            meeting_id=world.held.id,
            status=MinutesStatus.APPROVED.value,
            approved_by_id=world.coordinator.id,
        )
    )
    db.commit()
    chair = login(world.coordinator)
    asked = chair.submit(f"/meetings/{world.held.id}/minutes/issue", {"version": "1"})
    assert asked.status_code == 302
    chair.get(asked.headers["Location"])
    db.expire_all()
    return list(
        db.scalars(select(IssuedDocument).where(IssuedDocument.meeting_id == world.held.id))
    )


def test_the_minutes_and_extracts_print_a_closed_item_for_everyone(
    db: Session, world: World, login: Any
) -> None:
    preview = f"/meetings/{world.held.id}/minutes/draft.pdf"
    assert NAME in _flat(pdf_text(login(world.coordinator).get(preview).data))  # before
    restriction = world.restrict()
    label = f"Restricted record R-{restriction.id}"
    closed = f"{label}: heard as a closed item; the record is held by the coordinator"
    # The draft preview, even for the restricting coordinator.
    draft = _flat(
        pdf_text(login(world.coordinator).get(f"/meetings/{world.held.id}/minutes/draft.pdf").data)
    )
    assert closed in draft and NAME not in draft and world.case.reference not in draft

    documents = _issue(db, world, login)
    full = next(d for d in documents if d.kind == "full")
    text = _flat(pdf_text(stored_bytes(full)))
    assert closed in text
    for secret in (NAME, world.case.reference, POLICE_INFO, HOUSING_INFO, RISKS):
        assert secret not in text, secret
    assert HOUSING_ACTION not in text and POLICE_ACTION not in text  # its actions: no detail
    assert world.other.reference in text  # the other case is in full
    housing = next(d for d in documents if d.agency_id == world.housing.id)
    extract = _flat(pdf_text(stored_bytes(housing)))
    assert label in extract and NAME not in extract and HOUSING_ACTION not in extract

    # Downloads serve those bytes to anyone who may download them, named or not.
    for user in (world.police_member, world.housing_member, world.coordinator):
        client = login(user)
        got = client.get(f"/meetings/{world.held.id}/minutes/documents/{full.id}.pdf")
        assert got.status_code == 200 and NAME not in _flat(pdf_text(got.data))
        page = client.get(f"/meetings/{world.held.id}/minutes").get_data(as_text=True)
        assert NAME not in page and world.case.reference not in page
    colleague = login(world.colleague).get(f"/meetings/{world.held.id}/minutes")
    assert colleague.status_code == 200 and NAME not in colleague.get_data(as_text=True)


def test_the_agenda_pdf_prints_the_placeholder(db: Session, world: World, login: Any) -> None:
    world.publish(world.upcoming)
    restriction = world.restrict()
    url = f"/meetings/{world.upcoming.id}/agenda.pdf"
    member = login(world.police_member)
    asked = member.submit(url)
    assert asked.status_code == 302
    member.get(asked.headers["Location"])
    got = member.get(url)
    assert got.status_code == 200
    text = _flat(pdf_text(got.data))
    _hides(text, world, f"Restricted record R-{restriction.id}: heard as a closed item")
    assert world.other.reference in text
    # One stored copy for everyone: the restricting coordinator gets the same bytes.
    assert login(world.coordinator).get(url).data == got.data


def test_a_stored_agenda_pdf_goes_stale_when_a_listed_person_is_restricted(
    db: Session, world: World, login: Any
) -> None:
    world.publish(world.upcoming)
    before = gather_agenda(db, world.upcoming)
    assert NAME in before[0].subject
    restriction = world.restrict()
    after = gather_agenda(db, world.upcoming)
    assert after[0].withheld.startswith(f"Restricted record R-{restriction.id}")
    assert repr(before) != repr(after)  # the fingerprint differs: no stale copy is served


def test_a_subject_access_pack_still_reads_the_persons_own_minutes(
    db: Session, world: World
) -> None:
    world.restrict()
    shared = gather_minutes(db, world.held)
    own = gather_minutes(db, world.held, withhold_restricted=False)
    assert shared.cases[0].withheld and NAME not in repr(shared)
    assert own.cases[0].subject == NAME and not own.cases[0].withheld


def test_publishing_an_agenda_with_a_restricted_case_emails_no_name(
    db: Session, world: World, login: Any
) -> None:
    draft = world.meeting(days_ahead=20, agenda_status=AgendaStatus.DRAFT.value)
    world.listed(draft, world.case, 1)
    db.commit()
    world.restrict()
    before = {m.id for m in db.scalars(select(OutboxMessage))}
    chair = login(world.coordinator)
    assert chair.submit(f"/meetings/{draft.id}/agenda/publish").status_code == 302
    db.expire_all()
    meeting = db.get(Meeting, draft.id)
    assert meeting is not None and meeting.agenda_status == AgendaStatus.PUBLISHED.value
    sent = [m for m in db.scalars(select(OutboxMessage)) if m.id not in before]
    assert sent  # the members were emailed
    notices = list(db.scalars(select(Notification).where(Notification.kind == "agenda_published")))
    assert notices
    for text in [m.subject + m.body for m in sent] + [n.reference + n.message for n in notices]:
        assert NAME not in text and world.case.reference not in text


def test_the_meeting_page_with_restricted_cases_takes_constant_queries(
    db: Session, world: World, login: Any, count_queries: Any
) -> None:
    clients = {"coordinator": login(world.colleague), "member": login(world.police_member)}
    counts: dict[str, list[int]] = {k: [] for k in clients}
    for size in (3, 30):
        meeting = world.meeting(days_ahead=size)
        for n in range(size):
            referral = world.referral()
            world.listed(meeting, referral, n + 1)
            if n % 2 == 0:  # every other case restricted by someone else
                db.add(
                    PersonRestriction(
                        person_id=referral.person_id,
                        reason="Staff",
                        restricted_by_id=world.coordinator.id,
                    )
                )
        world.publish(meeting)
        for name, client in clients.items():
            with count_queries() as q:
                response = client.get(f"/meetings/{meeting.id}")
                assert response.status_code == 200
            counts[name].append(q.count)
            assert response.get_data(as_text=True).count("Restricted record R-") >= (size + 1) // 2
    for name, (small, large) in counts.items():
        assert small == large, (name, counts)
