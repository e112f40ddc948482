"""Agencies' research before the meeting: saving, conflicts, refusals, who has responded."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.audit.models import AuditEvent
from marac.meetings.models import CaseResearch
from marac.panels.models import AgendaStatus, MeetingStatus
from marac.referrals.models import ReferralStatus
from tests.factories import make_user
from tests.meetings import PanelWorld
from tests.meetings.grid import grid


def setup(db: Session, published: bool = True):
    w = PanelWorld(db)
    meeting = w.meeting(agenda_status=AgendaStatus.PUBLISHED.value if published else "draft")
    referral = w.referral()
    w.listed(meeting, referral)
    return w, meeting, referral


def research_rows(db: Session) -> list[CaseResearch]:
    db.expire_all()
    return list(db.scalars(select(CaseResearch)))


FILLED = {
    "version": "",
    "involvement": "Tenant since 2019; two ASB complaints made by her this year",
    "risks": "Neighbour at number 12 has threatened her",
    "can_offer": "Priority management transfer; CCTV on the stairwell",
}


def test_member_adds_then_updates_research(db: Session, login) -> None:
    w, meeting, referral = setup(db)
    url = f"/meetings/{meeting.id}/cases/{referral.id}/research"
    housing = login(w.housing_member)
    page = housing.get(url)
    assert page.status_code == 200
    assert "Your agency" in page.get_data(as_text=True)
    assert housing.submit(url, FILLED).status_code == 302
    (row,) = research_rows(db)
    assert (row.agency_id, row.updated_by_id) == (w.housing.id, w.housing_member.id)
    assert row.risks == FILLED["risks"]
    assert row.version == 1

    page = housing.get(url).get_data(as_text=True)
    assert FILLED["can_offer"] in page
    response = housing.submit(url, {**FILLED, "version": "1", "risks": "Threats stopped"})
    assert response.status_code == 302
    (row,) = research_rows(db)
    assert (row.risks, row.version) == ("Threats stopped", 2)

    # "Not known to us" from Victim Support.
    vs = login(w.vs_member)
    assert vs.submit(url, {"version": "", "no_involvement": "y"}).status_code == 302
    assert {r.agency_id: r.no_involvement for r in research_rows(db)} == {
        w.housing.id: False,
        w.victim_support.id: True,
    }
    saved = db.scalars(select(AuditEvent).where(AuditEvent.action == "case_research_saved"))
    assert len(list(saved)) == 3

    # The chair sees who has responded; the referral page shows the research to members.
    chair_page = login(w.coordinator).get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "2 of 3 agencies" in chair_page
    # The research grid: a row per case, a column per agency, received or not.
    assert grid(chair_page)[referral.reference] == {
        w.housing.name: "Received",
        w.police.name: "Not yet",
        w.victim_support.name: "Received",
    }
    referral_page = login(w.police_member).get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "Panel research" in referral_page
    assert "Threats stopped" in referral_page and "Not known to us" in referral_page
    assert "Add or update your agency" in referral_page


def test_bad_input_shows_errors_and_keeps_text(db: Session, login) -> None:
    w, meeting, referral = setup(db)
    url = f"/meetings/{meeting.id}/cases/{referral.id}/research"
    housing = login(w.housing_member)
    response = housing.submit(url, {"version": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "govuk-error-summary" in page
    assert "or select that the case is not known to you" in page
    response = housing.submit(
        url, {"version": "", "no_involvement": "y", "involvement": "Known since 2020"}
    )
    page = response.get_data(as_text=True)
    assert "govuk-error-summary" in page and "Known since 2020" in page
    assert research_rows(db) == []


def test_two_colleagues_saving_at_once_do_not_overwrite(db: Session, login) -> None:
    w, meeting, referral = setup(db)
    url = f"/meetings/{meeting.id}/cases/{referral.id}/research"
    colleague = make_user(db, Role.MEMBER, agency=w.housing)
    first, second = login(w.housing_member), login(colleague)
    assert first.submit(url, FILLED).status_code == 302
    # The colleague opened the empty form before: their save is refused, text kept.
    response = second.submit(url, {**FILLED, "involvement": "My own notes"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "saved research for this case while you were editing" in page
    assert "My own notes" in page
    (row,) = research_rows(db)
    assert row.involvement == FILLED["involvement"]
    # Saving again after the message (now with the current version) goes through.
    response = second.submit(url, {**FILLED, "version": "1", "involvement": "My own notes"})
    assert response.status_code == 302
    (row,) = research_rows(db)
    assert (row.involvement, row.version) == ("My own notes", 2)
    # A stale update is refused too.
    response = first.submit(url, {**FILLED, "version": "1", "involvement": "Old"})
    assert "while you were editing" in response.get_data(as_text=True)
    assert research_rows(db)[0].involvement == "My own notes"


def test_refusals(db: Session, login) -> None:
    w, meeting, referral = setup(db)
    url = f"/meetings/{meeting.id}/cases/{referral.id}/research"
    for user in (w.outsider_member, w.coordinator, w.referrer, w.other_coordinator):
        client = login(user)
        assert client.get(url).status_code == 403
        assert client.submit(url, FILLED).status_code == 403
    unlisted = w.referral()
    housing = login(w.housing_member)
    assert housing.get(f"/meetings/{meeting.id}/cases/{unlisted.id}/research").status_code == 403
    referral.status = ReferralStatus.CLOSED.value
    db.commit()
    assert housing.get(url).status_code == 403
    assert research_rows(db) == []


def test_not_before_publication_nor_after_the_meeting(db: Session, login) -> None:
    w, meeting, referral = setup(db, published=False)
    url = f"/meetings/{meeting.id}/cases/{referral.id}/research"
    housing = login(w.housing_member)
    assert housing.get(url).status_code == 403
    w.publish(meeting)
    meeting.status = MeetingStatus.HELD.value
    db.commit()
    page = housing.get(url).get_data(as_text=True)
    assert "research can no longer change" in page
    response = housing.submit(url, FILLED)
    assert response.status_code == 302
    assert research_rows(db) == []
