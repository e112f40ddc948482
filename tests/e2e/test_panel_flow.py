"""The panel's cycle in a real browser: from an automatic referral to a completed action.

The referral comes from the previous flow (an assessment endorsed high). The coordinator
accepts it, builds and publishes the next meeting's agenda, which lists it, records the
meeting with an action for the housing agency; the housing officer finds the action in
"My actions" and completes it. axe checks each new kind of page on the way.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import AgencyType, Role
from marac.actions.models import Action, ActionStatus
from marac.db import utcnow
from marac.formatting import format_date
from marac.panels.models import AgendaStatus, Meeting
from tests.e2e.axe import assert_accessible
from tests.e2e.helpers import AnotherPage, sign_in_with_form
from tests.e2e.test_referral_flow import (
    VICTIM,
    _complete_assessment,
    _menu,
    _record_incident,
)
from tests.factories import make_agency, make_area, make_user
from tests.meeting_factories import make_meeting, make_panel

ACTION = "Fit a letterbox fire guard and a video doorbell at the victim's home"


@pytest.mark.browser
def test_automatic_referral_is_heard_and_its_housing_action_completed(
    page: Page, another_page: AnotherPage, db: Session
) -> None:
    police = make_agency(db, name="Ashbrook Police", type=AgencyType.POLICE)
    housing = make_agency(db, name="Ashbrook Council Housing", type=AgencyType.HOUSING)
    area = make_area(db, name="Akton and Mill", districts="AK1")
    officer = make_user(db, Role.REFERRER, agency=police, name="PC Hollis")
    sergeant = make_user(db, Role.REFERRER, agency=police, supervisor=True, name="Sgt Marsh")
    coordinator = make_user(db, Role.COORDINATOR, name="Cora Coordinator")
    coordinator.areas = [area]
    housing_officer = make_user(db, Role.REFERRER, agency=housing, name="Joanne Pike")
    db.commit()
    panel = make_panel(db, [area], [police, housing], chair=coordinator, name="Akton MARAC")
    today = utcnow().date()
    meeting = make_meeting(db, panel, today)
    make_meeting(db, panel, today + timedelta(weeks=6))

    # 1. The previous flow: an assessment endorsed high refers the case by itself.
    sign_in_with_form(page, officer.email)
    _record_incident(page)
    _complete_assessment(page)
    supervisor_page = another_page()
    sign_in_with_form(supervisor_page, sergeant.email)
    _menu(supervisor_page, "Endorse")
    supervisor_page.get_by_role("link", name=VICTIM).first.click()
    supervisor_page.locator('input[type="radio"][name="final_level"][value="high"]').check()
    supervisor_page.get_by_role("button", name="Endorse final level").click()
    expect(supervisor_page.locator("body")).to_contain_text(
        "A MARAC referral was created automatically"
    )

    # 2. The coordinator records the victim's views and the lawful basis, then accepts it.
    chair = another_page()
    sign_in_with_form(chair, coordinator.email)
    _menu(chair, "Screening")
    chair.get_by_role("row").filter(has_text=VICTIM).get_by_role("link").first.click()
    with chair.expect_navigation():
        chair.get_by_role(
            "link", name="Record the victim's views, consent and lawful basis"
        ).click()
    chair.get_by_label("The victim's views and wishes").fill("Wants the graffiti to stop.")
    chair.get_by_label("Given").check()
    chair.get_by_role("button", name="Save views, consent and lawful basis").click()
    chair.get_by_role("button", name="Accept the referral").click()
    expect(chair.locator("body")).to_contain_text("accepted: it waits for the next")

    # 3. The next meeting's agenda builds itself and lists the referral; then it is published.
    _menu(chair, "Meetings")
    assert_accessible(chair)
    chair.get_by_role("link", name=format_date(today)).first.click()
    chair.get_by_role("button", name="Build the agenda").click()
    agenda_row = chair.get_by_role("row").filter(has_text=VICTIM)
    expect(agenda_row).to_have_count(1)
    expect(agenda_row).to_contain_text("High")
    assert_accessible(chair)
    chair.get_by_role("link", name="Publish the agenda").click()
    expect(chair.locator("#publish-recipients")).to_contain_text(housing.name)
    chair.get_by_role("button", name="Publish and tell these people").click()
    expect(chair.locator("body")).to_contain_text("Published to members")
    db.expire_all()
    assert db.get(Meeting, meeting.id).agenda_status == AgendaStatus.PUBLISHED.value  # type: ignore[union-attr]

    # 4. The meeting: the case's record, with an action for the housing agency.
    chair.get_by_role("row").filter(has_text=VICTIM).get_by_role("link", name="Record").click()
    expect(chair.get_by_role("heading", level=1)).to_contain_text("Case 1 of 1")
    chair.locator('[name="record-risks_identified"]').fill(
        "Targeting of the home continues; the perpetrator lives next door."
    )
    chair.locator('[name="record-risk_level_after"][value="high"]').check()
    chair.locator('[name="record-decision"][value="review"]').check()
    chair.locator('[name="record-actions-0-description"]').fill(ACTION)
    chair.locator('[name="record-actions-0-kind"]').select_option("victim_safety")
    chair.locator('[name="record-actions-0-rara"][value="reduce"]').check()
    chair.locator('[name="record-actions-0-agency_id"]').select_option(str(housing.id))
    chair.locator('[name="record-actions-0-officer_id"]').select_option(str(housing_officer.id))
    due = today + timedelta(days=14)
    boxes = chair.locator('[name="record-actions-0-due_date"]')
    for index, value in enumerate((due.day, due.month, due.year)):
        boxes.nth(index).fill(str(value))
    assert_accessible(chair)
    chair.get_by_role("button", name="Save", exact=True).click()
    expect(chair.get_by_role("link", name=ACTION)).to_have_count(1)  # saved and listed
    expect(chair.locator(".govuk-error-summary")).to_have_count(0)

    # 5. The housing officer finds it in "My actions" and completes it.
    housing_page = another_page()
    sign_in_with_form(housing_page, housing_officer.email)
    _menu(housing_page, "My actions")
    row = housing_page.get_by_role("row").filter(has_text=ACTION)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(VICTIM)
    assert_accessible(housing_page)
    row.get_by_role("link").first.click()
    housing_page.locator('[name="progress-status"][value="completed"]').check()
    housing_page.locator('[name="progress-note"]').fill("Fire guard and doorbell fitted today.")
    assert_accessible(housing_page)
    housing_page.get_by_role("button", name="Save progress").click()
    expect(housing_page.locator("body")).to_contain_text("Fire guard and doorbell fitted today.")

    db.expire_all()
    action = db.scalar(select(Action).where(Action.description == ACTION))
    assert action is not None
    assert action.status == ActionStatus.COMPLETED.value
    assert action.agency_id == housing.id and action.completed_at is not None

    # 6. The chair reads the case at the panel on its referral page: the hearing, and
    # the housing action now completed.
    chair.goto(f"/referrals/{action.referral_id}")
    hearings = chair.get_by_role("table", name="Meetings that listed the case")
    expect(hearings).to_contain_text(format_date(today))
    actions = chair.get_by_role("table", name="Actions agreed, overdue first")
    expect(actions.get_by_role("row").filter(has_text=ACTION)).to_contain_text("Completed")
    assert_accessible(chair)
