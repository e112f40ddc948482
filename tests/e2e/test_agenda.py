"""The chair's agenda builder and publish confirmation in a real browser (issue 18, 17)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from marac.db import utcnow
from marac.formatting import uk_today
from marac.panels.models import AgendaStatus, Meeting
from marac.referrals.models import ReferralStatus
from tests.e2e.axe import assert_accessible
from tests.e2e.helpers import SignIn
from tests.meetings import PanelWorld
from tests.referrals.helpers import make_person, make_referral

PERSON = "Rowan Twice-Referred"


@pytest.mark.browser
def test_a_person_with_two_referrals_is_listed_once_then_published(
    page: Page, sign_in: SignIn, db: Session
) -> None:
    w = PanelWorld(db)
    person = make_person(db, PERSON)
    now = utcnow()
    first, second = (
        make_referral(
            db,
            person,
            w.area,
            status=ReferralStatus.ACCEPTED,
            risk_level=level,
            referrer=w.referrer,
            created_at=now - timedelta(days=days),
        )
        for level, days in (("medium", 9), ("high", 2))
    )
    w.referral(risk_level="low")
    w.housing.review_date = uk_today() - timedelta(days=5)  # the agreement has lapsed
    db.commit()
    meeting = w.meeting()

    sign_in(page, w.coordinator)
    page.goto(f"/meetings/{meeting.id}")
    page.get_by_role("button", name="Build the agenda").click()
    agenda = page.get_by_role("table", name="in running order")
    expect(agenda.get_by_role("row").filter(has_text=PERSON)).to_have_count(1)
    expect(agenda.get_by_role("row").filter(has_text=PERSON)).to_contain_text(first.reference)
    expect(page.locator("#agenda-once")).to_contain_text(
        f"An agenda lists a person once: {PERSON} has 2 referrals"
    )
    expect(page.locator("#agenda-order")).to_contain_text("in order of risk")
    grid = page.get_by_role("table", name="Research received")
    expect(grid.get_by_role("columnheader", name=w.housing.name)).to_contain_text(
        "Agreement lapsed"
    )
    expect(grid.get_by_role("rowheader", name=second.reference)).to_have_count(1)
    expect(grid.get_by_role("rowheader", name=first.reference)).to_have_count(0)
    assert_accessible(page)

    # Publish is at the top and asks first; a lapsed agreement needs a reason.
    page.get_by_role("link", name="Publish the agenda").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Publish the agenda")
    recipients = page.locator("#publish-recipients")
    for agency in (w.police, w.housing, w.victim_support):
        expect(recipients).to_contain_text(agency.name)
    expect(recipients).to_contain_text(w.housing_member.name)
    assert_accessible(page)
    page.get_by_role("button", name="Publish and tell these people").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("agreement has lapsed")
    assert_accessible(page)
    page.get_by_label("Why are you publishing to these agencies?").fill(
        "Renewed agreement signed, waiting to be entered"
    )
    page.get_by_role("button", name="Publish and tell these people").click()
    expect(page.locator("body")).to_contain_text("Published to members")
    db.expire_all()
    published = db.get(Meeting, meeting.id)
    assert published is not None and published.agenda_status == AgendaStatus.PUBLISHED.value
    assert published.agenda_lapsed_reason.startswith("Renewed agreement")


@pytest.mark.browser
def test_the_research_grid_scrolls_in_its_own_box_on_a_phone(
    page: Page, sign_in: SignIn, db: Session
) -> None:
    w = PanelWorld(db)
    for n in range(9):  # a panel of twelve agencies, as in the issue
        w.panel.agencies.append(
            type(w.police)(name=f"Partner organisation number {n + 1}", type="charity")
        )
    db.commit()
    meeting = w.meeting()
    w.listed(meeting, w.referral(), 1)
    sign_in(page, w.coordinator)
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(f"/meetings/{meeting.id}")
    box = page.locator('.marac-table-region[aria-labelledby="research-grid-heading"]')
    expect(box).to_have_count(1)
    widths = box.evaluate("b => [b.scrollWidth, b.clientWidth]")
    assert widths[0] > widths[1]  # the grid is wider than its box, and scrolls inside it
    page_width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    # The box itself never widens the page (other tables on the page are not this one's job).
    box_right = box.evaluate("b => b.getBoundingClientRect().right")
    assert box_right <= page_width[1] + 1
