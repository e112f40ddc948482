"""Publishing through a confirmation page; lapsed agreements; a person listed once."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.audit.models import AuditEvent
from marac.db import utcnow
from marac.formatting import uk_today
from marac.meetings import operations as ops
from marac.meetings.models import AgendaItem, ItemStatus
from marac.notify.models import Notification
from marac.operations import Invalid
from marac.panels.models import AgendaStatus, Meeting
from marac.referrals.models import ReferralStatus
from tests.factories import make_user
from tests.meetings import PanelWorld
from tests.meetings.grid import grid, table
from tests.referrals.helpers import make_person, make_referral


@pytest.fixture
def world(db: Session) -> PanelWorld:
    return PanelWorld(db)


def listed_items(db: Session, meeting: Meeting) -> list[AgendaItem]:
    db.expire_all()
    return list(
        db.scalars(
            select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting.id, AgendaItem.status == "listed")
            .order_by(AgendaItem.position)
        )
    )


def lapse(db: Session, agency, days: int = 3) -> None:
    agency.review_date = uk_today() - timedelta(days=days)
    db.commit()


def built_meeting(w: PanelWorld, login) -> tuple[Meeting, object]:
    meeting = w.meeting()
    w.referral(risk_level="high")
    chair = login(w.coordinator)
    assert chair.submit(f"/meetings/{meeting.id}/agenda/build").status_code == 302
    return meeting, chair


def test_publish_is_near_the_top_and_confirms_who_is_told(db: Session, login, world) -> None:
    w = world
    second_housing = make_user(db, Role.MEMBER, agency=w.housing, name="Aled Housing")
    meeting, chair = built_meeting(w, login)
    url = f"/meetings/{meeting.id}"

    page = chair.get(url).get_data(as_text=True)
    publish_link = f'href="{url}/agenda/publish"'
    assert publish_link in page
    # Above the agenda table and the research grid, not below them.
    assert page.index(publish_link) < page.index("in running order")
    assert page.index(publish_link) < page.index('id="research-grid"')

    confirm = chair.get(f"{url}/agenda/publish")
    assert confirm.status_code == 200
    html = confirm.get_data(as_text=True)
    db.refresh(meeting)
    assert meeting.agenda_status == AgendaStatus.DRAFT.value  # nothing happened yet
    recipients = dict((row[0], row[1]) for row in _summary_rows(html))
    assert set(recipients) == {w.police.name, w.housing.name, w.victim_support.name}
    assert w.police_member.name in recipients[w.police.name]
    assert second_housing.name in recipients[w.housing.name]
    assert w.housing_member.name in recipients[w.housing.name]
    assert w.outsider_member.name not in html and w.outsider_agency.name not in html
    assert "Each of the 4 people below" in html
    assert "lapsed_reason" not in html  # no agreement has lapsed: no reason asked
    assert db.scalar(select(Notification).where(Notification.kind == "agenda_published")) is None

    response = chair.submit(f"{url}/agenda/publish")
    assert response.status_code == 302
    db.refresh(meeting)
    assert meeting.agenda_status == AgendaStatus.PUBLISHED.value
    assert meeting.agenda_lapsed_reason == ""
    told = set(
        db.scalars(select(Notification.user_id).where(Notification.kind == "agenda_published"))
    )
    assert told == {w.police_member.id, w.housing_member.id, second_housing.id, w.vs_member.id}
    # Published: the confirmation page is gone, it says so.
    again = chair.get(f"{url}/agenda/publish", follow_redirects=True).get_data(as_text=True)
    assert "already published" in again


def _summary_rows(html: str) -> list[tuple[str, str]]:
    """The confirmation page's summary list as (agency, people) text pairs."""
    rows = re.findall(
        r'<dt class="govuk-summary-list__key">(.*?)</dt>\s*'
        r'<dd class="govuk-summary-list__value">(.*?)</dd>',
        html,
        re.S,
    )
    return [(_text(k).replace(" Agreement lapsed", ""), _text(v)) for k, v in rows]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def test_only_the_panels_coordinators_see_the_confirmation(db: Session, login, world) -> None:
    w = world
    meeting, _chair = built_meeting(w, login)
    for user in (w.housing_member, w.referrer, w.other_coordinator, w.outsider_member):
        client = login(user)
        assert client.get(f"/meetings/{meeting.id}/agenda/publish").status_code == 403
        assert client.submit(f"/meetings/{meeting.id}/agenda/publish").status_code == 403
    db.refresh(meeting)
    assert meeting.agenda_status == AgendaStatus.DRAFT.value


def test_lapsed_agreement_needs_a_reason_to_publish(db: Session, login, world) -> None:
    w = world
    lapse(db, w.housing)
    meeting, chair = built_meeting(w, login)
    url = f"/meetings/{meeting.id}"

    builder = chair.get(url).get_data(as_text=True)
    assert "Agreement lapsed: " + w.housing.name in builder
    headers = table(builder, "research-grid")[0]
    assert f"{w.housing.name} Agreement lapsed" in headers
    assert f"{w.police.name}" in headers  # the others carry no tag

    html = chair.get(f"{url}/agenda/publish").get_data(as_text=True)
    assert "Agreement lapsed: " + w.housing.name in html
    assert 'name="lapsed_reason"' in html

    refused = chair.submit(f"{url}/agenda/publish", {"lapsed_reason": "  "})
    assert refused.status_code == 200
    body = refused.get_data(as_text=True)
    assert "govuk-error-summary" in body and "agreement has lapsed" in body
    db.refresh(meeting)
    assert meeting.agenda_status == AgendaStatus.DRAFT.value

    reason = "New agreement signed on Monday, being entered"
    assert chair.submit(f"{url}/agenda/publish", {"lapsed_reason": reason}).status_code == 302
    db.refresh(meeting)
    assert meeting.agenda_status == AgendaStatus.PUBLISHED.value
    assert meeting.agenda_lapsed_reason == reason
    (event,) = db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "agenda_published", AuditEvent.object_id == str(meeting.id)
        )
    )
    assert f"agreement lapsed for {w.housing.name} (reason given)" in event.summary
    assert reason not in event.summary


def test_publish_operation_refuses_a_lapsed_agency_without_reason(db: Session, world) -> None:
    w = world
    meeting = w.meeting()
    w.listed(meeting, w.referral())
    w.victim_support.review_date = date(2026, 1, 31)
    db.commit()
    with pytest.raises(Invalid) as refused:
        ops.publish_agenda(db, w.coordinator, meeting.id, today=date(2026, 2, 1))
    assert "lapsed_reason" in refused.value.errors
    # On the review date itself the agreement still holds.
    assert ops.publish_agenda(db, w.coordinator, meeting.id, today=date(2026, 1, 31)) == 1


def test_two_referrals_of_one_person_are_one_item(db: Session, login, world) -> None:
    w = world
    person = make_person(db, "Jordan Example")
    now = utcnow()
    first = make_referral(
        db,
        person,
        w.area,
        status=ReferralStatus.ACCEPTED,
        risk_level="medium",
        referrer=w.referrer,
        created_at=now - timedelta(days=9),
    )
    second = make_referral(
        db,
        person,
        w.area,
        status=ReferralStatus.ACCEPTED,
        risk_level="high",
        referrer=w.referrer,
        created_at=now - timedelta(days=2),
    )
    other = w.referral(risk_level="medium")
    meeting = w.meeting()
    chair = login(w.coordinator)
    chair.submit(f"/meetings/{meeting.id}/agenda/build")

    got = listed_items(db, meeting)
    assert [i.referral_id for i in got] == [second.id, other.id]  # the higher risk leads
    page = chair.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert page.count("Jordan Example") == 2  # the table once, and the sentence saying so
    assert "An agenda lists a person once: Jordan Example has 2 referrals" in page
    assert f'Also heard with it: <span class="marac-nowrap">{first.reference}' in page
    assert set(grid(page)) == {second.reference, other.reference}

    # A rebuild does not list the second referral either.
    chair.submit(f"/meetings/{meeting.id}/agenda/build")
    assert [i.referral_id for i in listed_items(db, meeting)] == [second.id, other.id]

    # Nor can the chair add it by hand.
    response = chair.submit(f"/meetings/{meeting.id}/agenda/add", {"referral_id": first.id})
    assert response.status_code == 200
    assert "already on the agenda as " + second.reference in response.get_data(as_text=True)
    assert [i.referral_id for i in listed_items(db, meeting)] == [second.id, other.id]


def test_order_is_explained_and_risk_comes_first(db: Session, login, world) -> None:
    w = world
    now = utcnow()
    held = w.meeting(-28, status="held")
    reviews = []
    for n in range(2):
        heard = w.referral(status=ReferralStatus.HEARD, risk_level="high")
        w.listed(held, heard, n + 1, decision="review", discussed_at=now - timedelta(days=28))
        reviews.append(heard)
    repeat = w.referral(risk_level="low", is_repeat=True, created_at=now - timedelta(days=40))
    meeting = w.meeting()
    chair = login(w.coordinator)
    chair.submit(f"/meetings/{meeting.id}/agenda/build")
    order = [i.referral_id for i in listed_items(db, meeting)]
    assert order[-1] == repeat.id and set(order[:2]) == {r.id for r in reviews}
    page = chair.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Cases are in order of risk, high first, whatever their kind" in page
    assert ">Change</th>" in page and ">Actions</th>" not in page


def test_members_see_no_chair_controls_or_lapse_warnings(db: Session, login, world) -> None:
    w = world
    lapse(db, w.police)
    meeting = w.meeting()
    w.listed(meeting, w.referral())
    w.publish(meeting)
    page = login(w.housing_member).get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Agreement lapsed" not in page
    assert 'id="research-grid"' not in page
    assert "agenda/publish" not in page
    assert ">Your research</th>" in page
    assert db.scalar(select(AgendaItem.status)) == ItemStatus.LISTED.value
