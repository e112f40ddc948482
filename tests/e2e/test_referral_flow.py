"""The referral process in a real browser: an endorsed high assessment refers itself.

A police officer records an incident and completes the risk assessment; their supervisor
endorses it as high; the area's coordinator finds the automatic referral in the screening
queue. Nobody makes a referral by hand. axe checks each new kind of page on the way.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from marac.accounts.models import AgencyType, Role
from marac.db import utcnow
from tests.e2e.axe import assert_accessible
from tests.e2e.helpers import AnotherPage, sign_in_with_form
from tests.factories import make_agency, make_area, make_user

VICTIM = "Nadia Okonjo-Barnes"


def _menu(page: Page, name: str) -> None:
    """Follow a menu link and wait for the new page, so axe never runs mid-navigation."""
    with page.expect_navigation():
        page.get_by_role("navigation", name="Main menu").get_by_role(
            "link", name=name, exact=True
        ).click()


def _fill_date(page: Page, name: str, day: int, month: int, year: int) -> None:
    """A GOV.UK date input: three boxes sharing one name, in day, month, year order."""
    boxes = page.locator(f'[name="{name}"]')
    for index, value in enumerate((day, month, year)):
        boxes.nth(index).fill(str(value))


def _record_incident(page: Page) -> None:
    """The incident form, filled in by its labels where a person would read them."""
    _menu(page, "Record an incident")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Record")
    day = (utcnow() - timedelta(days=2)).date()
    page.locator('[name="victim-full_name"]').fill(VICTIM)
    _fill_date(page, "victim-date_of_birth", 3, 9, 1979)
    page.locator('[name="victim-address"]').fill("4 Tannery Close\nAkton")
    page.locator('[name="victim-postcode"]').fill("AK1 4TT")
    _fill_date(page, "occurred_on", day.day, day.month, day.year)
    page.locator('[name="occurred_time"]').fill("22:40")
    page.locator('[name="online"][value="no"]').check()
    page.locator('[name="place"]').fill("Her front door, 4 Tannery Close")
    page.locator('[name="postcode"]').fill("AK1 4TT")
    page.locator('[name="incident_type"][value="criminal_damage"]').check()
    page.locator('[name="recorded_as"][value="crime"]').check()
    page.locator('[name="aggravated_offence"][value="yes"]').check()
    page.locator('[name="reported_via"][value="police"]').check()
    page.locator('[name="perceived_by"][value="victim"]').check()
    page.locator('[name="strands"][value="race"]').check()
    page.locator('[name="description"]').fill(
        "Racist graffiti sprayed on her door for the third night running."
    )
    page.locator('[name="perpetrators-0-known"][value="no"]').check()
    page.locator('[name="perpetrators-0-relationship"]').select_option("neighbour")
    assert_accessible(page)
    page.get_by_role("button", name="Save incident").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Criminal damage, ")


def _answer_every_question(page: Page, answer: str) -> None:
    """Choose `answer` for every radio question on a section page."""
    for radio in page.locator(f'input[type="radio"][value="{answer}"]').all():
        radio.check()


def _save_and_continue(page: Page) -> None:
    """Submit and wait for the next page: on a busy machine the old page lingers a moment."""
    with page.expect_navigation():
        page.get_by_role("button", name="Save and continue").click()


def _complete_assessment(page: Page) -> None:
    page.get_by_role("button", name="Start a risk assessment").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Risk assessment for {VICTIM}")
    assert_accessible(page)  # the task list

    # The four question sections, in order: "Save and continue" moves to the next task.
    page.get_by_role("link", name="The incident").click()
    for section in range(4):
        expect(page.locator("form input[type=radio]").first).to_be_visible()
        _answer_every_question(page, "yes" if section == 0 else "not_known")
        if section == 0:
            assert_accessible(page)  # a question page
        _save_and_continue(page)

    # Diagnostics: current harm rated high suggests high by itself.
    expect(page.locator('input[type="radio"][value="medium"]').first).to_be_visible()
    for radio in page.locator('input[type="radio"][value="medium"]').all():
        radio.check()
    page.locator('input[type="radio"][value="high"]').first.check()
    _save_and_continue(page)

    # Perception and professional judgement.
    expect(page.locator('input[type="radio"][name="perception"]').first).to_be_visible()
    page.locator('input[type="radio"][name="perception"][value="yes"]').check()
    page.locator('input[type="checkbox"][name="perceived_by"]').first.check()
    page.locator('input[type="radio"][name="judgement_level"][value="high"]').check()
    page.locator('[name="judgement_rationale"]').fill(
        "Repeated targeting of the home; she no longer feels safe to go out."
    )
    assert_accessible(page)
    _save_and_continue(page)

    # Risk management plan: one measure, tagged Reduce.
    page.locator('[name="description"]').fill("Fit a doorbell camera and target-harden the door")
    page.locator('input[type="radio"][name="rara"][value="reduce"]').check()
    page.locator('[name="responsible"]').fill("Police neighbourhood team")
    page.get_by_role("button", name="Add measure").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Measure added")
    _save_and_continue(page)

    # Check answers, then submit for the supervisor.
    expect(page.get_by_role("button", name="Submit for endorsement")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Submit for endorsement").click()
    expect(page.locator("body")).to_contain_text("endorse")


@pytest.mark.browser
def test_endorsed_high_assessment_reaches_the_screening_queue(
    page: Page, another_page: AnotherPage, db: Session
) -> None:
    police = make_agency(db, name="Ashbrook Police", type=AgencyType.POLICE)
    area = make_area(db, name="Akton and Mill", districts="AK1")
    officer = make_user(db, Role.REFERRER, agency=police, name="PC Hollis")
    sergeant = make_user(db, Role.REFERRER, agency=police, supervisor=True, name="Sgt Marsh")
    coordinator = make_user(db, Role.COORDINATOR, name="Cora Coordinator")
    coordinator.areas = [area]
    db.commit()

    # 1. The officer records the incident and completes the assessment.
    sign_in_with_form(page, officer.email)
    _record_incident(page)
    _complete_assessment(page)

    # 2. The supervisor endorses it as high.
    supervisor_page = another_page()
    sign_in_with_form(supervisor_page, sergeant.email)
    _menu(supervisor_page, "Endorse")
    assert_accessible(supervisor_page)
    supervisor_page.get_by_role("link", name=VICTIM).first.click()
    supervisor_page.locator('input[type="radio"][name="final_level"][value="high"]').check()
    assert_accessible(supervisor_page)
    supervisor_page.get_by_role("button", name="Endorse final level").click()
    expect(supervisor_page.locator("body")).to_contain_text(
        "A MARAC referral was created automatically"
    )

    # 3. The coordinator sees the automatic referral, with no other step.
    coordinator_page = another_page()
    sign_in_with_form(coordinator_page, coordinator.email)
    _menu(coordinator_page, "Screening")
    row = coordinator_page.get_by_role("row").filter(has_text=VICTIM)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("High")
    assert_accessible(coordinator_page)
    row.get_by_role("link").first.click()
    expect(coordinator_page.locator("body")).to_contain_text("Referred automatically")
    expect(coordinator_page.locator("body")).to_contain_text("Endorsed risk level is high")
    assert_accessible(coordinator_page)
