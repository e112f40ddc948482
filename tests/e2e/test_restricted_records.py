"""Restricted records in a real browser: restrict, the placeholder, ask, grant (no JS needed)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from tests.e2e.axe import assert_accessible
from tests.e2e.helpers import AnotherPage, sign_in_with_form
from tests.restrictions.helpers import MEETING_NAME, NAME, MeetingCase, build_case


@pytest.mark.browser
def test_restrict_ask_and_grant(
    page: Page, another_page: AnotherPage, live_server: str, db: Session
) -> None:
    case = build_case(db)
    sign_in_with_form(page, case.coordinator.email)
    page.goto(f"/restrictions/people/{case.person.id}/restrict")
    assert_accessible(page)
    page.get_by_role("button", name="Restrict").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter the reason")  # error summary
    assert_accessible(page)
    page.get_by_label("Why restrict this person?").fill("Relative of a member of staff")
    page.get_by_role("button", name="Restrict").click()
    expect(page.get_by_role("heading", name=NAME, level=1)).to_be_visible()
    assert_accessible(page)

    owner = another_page()
    sign_in_with_form(owner, case.owner.email)
    owner.goto(f"/people/{case.person.id}")
    expect(owner.get_by_role("heading", level=1)).to_have_text("This record is restricted")
    expect(owner.locator("main")).not_to_contain_text(NAME)
    assert_accessible(owner)
    owner.get_by_role("link", name="Ask for access").click()
    assert_accessible(owner)
    owner.get_by_label("Why do you need to see this record?").fill("I am the officer")
    owner.get_by_role("button", name="Send the request").click()
    expect(owner.get_by_text("Your request was sent")).to_be_visible()

    page.reload()
    expect(page.get_by_text("I am the officer")).to_be_visible()
    page.get_by_role("radio", name="Grant access").check()
    page.get_by_role("button", name="Save the decision").click()
    expect(page.get_by_text("Request granted")).to_be_visible()
    assert_accessible(page)

    owner.goto(f"/people/{case.person.id}")
    expect(owner.get_by_role("heading", level=1)).to_contain_text(NAME)


@pytest.mark.browser
def test_a_restricted_case_on_the_agenda_is_an_accessible_placeholder_row(
    page: Page, live_server: str, db: Session
) -> None:
    world = MeetingCase(db)
    world.publish(world.upcoming)
    restriction = world.restrict()
    sign_in_with_form(page, world.colleague.email)
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(f"/meetings/{world.upcoming.id}")
    main = page.locator("main")
    expect(main).to_contain_text(f"Restricted record R-{restriction.id}")
    expect(main).not_to_contain_text(MEETING_NAME)
    expect(main).not_to_contain_text(world.case.reference)
    assert_accessible(page)
    page.get_by_role("link", name=f"Ask for access to Restricted record R-{restriction.id}").click()
    expect(page.get_by_label("Why do you need to see this record?")).to_be_visible()
