"""In Chromium: an admin registers an API client and gets its token once; the API's
reference page is accessible and readable without any script from elsewhere."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from tests.e2e.axe import assert_accessible
from tests.e2e.helpers import SignIn
from tests.factories import make_agency, make_user


@pytest.mark.browser
def test_an_admin_registers_a_client_and_sees_the_token_once(
    page: Page, sign_in: SignIn, db: Session
) -> None:
    admin = make_user(db, Role.ADMIN, name="Ada Admin")
    make_agency(db, "North Police")
    sign_in(page, admin)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="API clients").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API clients")
    page.get_by_role("link", name="Register a client").click()
    page.get_by_role("button", name="Register the client").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a name for the client")
    assert_accessible(page)
    page.get_by_label("Name of the client").fill("North Police Niche")
    page.get_by_label("Agency").select_option(label="North Police")
    page.get_by_label("Record incidents").check()
    page.get_by_role("button", name="Register the client").click()
    token = page.locator("#api-token")
    expect(token).to_contain_text("marac_")
    assert_accessible(page)
    page.get_by_role("link", name="Back to API clients").click()
    expect(page.get_by_role("table")).to_contain_text("North Police Niche")
    assert_accessible(page)


@pytest.mark.browser
def test_the_api_reference_page_is_accessible(page: Page) -> None:
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if "127.0.0.1" not in r.url else None)
    page.goto("/api/v1/docs")
    expect(page.get_by_role("heading", level=1)).to_contain_text("intake API")
    expect(page.locator("#get--api-v1-strands")).to_be_visible()
    assert_accessible(page)
    assert outside == []
