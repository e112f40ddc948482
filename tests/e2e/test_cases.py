"""The Cases list in a real browser: a coordinator finds a case by a misspelt name and by
a crime reference, filters it, and the list fits a 320 px screen without sideways scroll.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from tests.cases.helpers import CaseWorld
from tests.e2e.axe import assert_accessible
from tests.e2e.helpers import SignIn

pytestmark = pytest.mark.browser


def _search(page: Page, text: str) -> None:
    page.get_by_label("Search cases").fill(text)
    with page.expect_navigation():
        page.get_by_role("button", name="Search", exact=True).click()


def test_a_coordinator_finds_a_case_by_a_misspelt_name_and_a_crime_reference(
    page: Page, db: Session, sign_in: SignIn
) -> None:
    world = CaseWorld(db)
    sign_in(page, world.coordinator)
    with page.expect_navigation():
        page.get_by_role("navigation", name="Main menu").get_by_role(
            "link", name="Cases", exact=True
        ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cases")
    expect(page.locator("caption")).to_contain_text("Showing 1 to 2 of 2 cases")
    assert_accessible(page)

    _search(page, "Muhamad Kovalski")  # misspelt and transliterated
    table = page.locator("table")
    expect(table).to_contain_text("CM-2026-0101")
    expect(table).to_contain_text("Mohammed Kowalski")
    expect(table).not_to_contain_text("Amira Haddad")
    expect(page.locator("caption")).to_contain_text("1 to 1 of 1 cases")
    expect(
        page.get_by_role("link", name="Remove this filter: Search: Muhamad Kovalski")
    ).to_be_visible()
    assert_accessible(page)

    _search(page, "ak/12345/26")  # the crime reference, in lower case
    expect(table).to_contain_text("CM-2026-0101")
    expect(page.locator("caption")).to_contain_text("1 to 1 of 1 cases")

    # A filter with the search: none of the crime's cases is high risk.
    page.get_by_label("High", exact=True).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("No cases you can open match your search and filters")).to_be_visible()
    assert_accessible(page)

    with page.expect_navigation():
        page.get_by_role("link", name="Clear filters").click()
    expect(page.locator("caption")).to_contain_text("of 2 cases")
    with page.expect_navigation():
        page.get_by_role("link", name="Risk", exact=True).click()
    expect(page.locator("th[aria-sort='descending']")).to_have_text("Risk")
    expect(page.locator("tbody tr").first).to_contain_text("CM-2026-0102")  # high first


def test_the_list_does_not_scroll_sideways_at_320_px(
    page: Page, db: Session, sign_in: SignIn
) -> None:
    world = CaseWorld(db)
    sign_in(page, world.coordinator)
    page.set_viewport_size({"width": 320, "height": 900})
    page.goto("/cases/")
    expect(page.locator("table")).to_contain_text("CM-2026-0101")
    page_width = page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= 320, f"the page is {page_width} px wide at 320 px"
    # The table scrolls inside its own focusable region instead.
    region = page.get_by_role("region", name="Showing 1 to 2 of 2 cases", exact=False)
    expect(region).to_be_visible()
    assert region.evaluate("el => el.scrollWidth > el.clientWidth")
    assert_accessible(page)
