"""Signing in through the real form in a real browser, with and without JavaScript."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from tests.e2e.axe import assert_accessible
from tests.e2e.helpers import sign_in_with_form
from tests.factories import PASSWORD, TOTP_SECRET, make_agency, make_user


@pytest.mark.browser
def test_sign_in_reaches_dashboard(page: Page, console_errors: list[str], db: Session) -> None:
    """The whole journey works in Chromium under the real CSP, with nothing blocked."""
    agency = make_agency(db, name="Northmoor Victim Support Hub")
    user = make_user(db, Role.COORDINATOR, agency=agency, name="Grace Hopper")

    page.goto("/sign-in")
    # GOV.UK Frontend's module script un-hides this button: proof it loaded under the CSP.
    expect(page.get_by_role("button", name="Show password")).to_be_visible()
    page.get_by_label("Email address", exact=True).fill(user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/sign-in/code$"))
    page.get_by_label("Code from your authenticator app", exact=True).fill(
        pyotp.TOTP(TOTP_SECRET).now()
    )
    page.get_by_role("button", name="Continue", exact=True).click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Grace Hopper")
    # Who they are signed in as, under the heading: role, then agency.
    expect(page.get_by_text("MARAC coordinator, Northmoor Victim Support Hub")).to_be_visible()
    expect(page.get_by_role("heading", name="Waiting for you")).to_be_visible()
    assert console_errors == [], "\n".join(console_errors)


@pytest.mark.browser
def test_wrong_password_shows_error_summary(
    page: Page, console_errors: list[str], db: Session
) -> None:
    """A wrong password gets the GOV.UK error summary, focused so screen readers announce it."""
    user = make_user(db)

    sign_in_with_form(page, user.email, "not-the-right-password")

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    link = summary.get_by_role(
        "link",
        name=re.compile(
            r"^Enter a correct email address and password\. "
            r"After 5 wrong attempts an account is locked for 15 minutes"
        ),
    )
    expect(link).to_have_attribute("href", "#email")
    # GOV.UK Frontend's ErrorSummary moves focus to the summary on load.
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    expect(page.get_by_role("heading", level=1)).not_to_contain_text("Welcome")
    assert console_errors == [], "\n".join(console_errors)


@pytest.mark.browser
def test_pages_work_without_javascript(no_js_page: Page, db: Session) -> None:
    """Sign-in must not depend on JavaScript: some council machines block or lose it."""
    user = make_user(db, Role.MEMBER, name="Alan Turing")

    sign_in_with_form(no_js_page, user.email)

    expect(no_js_page.get_by_role("heading", level=1)).to_have_text("Welcome, Alan Turing")
    expect(no_js_page.get_by_text(f"Panel member, {user.agency.name}")).to_be_visible()
    # Proof that scripts really were off: enabled.js would have added this class.
    expect(no_js_page.locator("body")).not_to_contain_class("js-enabled")


@pytest.mark.browser
def test_first_sign_in_sets_up_an_authenticator_app(
    page: Page, console_errors: list[str], db: Session
) -> None:
    """Password, then the set-up page read as a person reads it, then the code next time."""
    user = make_user(db, Role.REFERRER, name="Kit Newcomer", second_factor=False)

    sign_in_with_form(page, user.email)
    expect(page).to_have_url(re.compile(r"/sign-in/set-up-authenticator$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    qr = page.get_by_role("img", name="QR code to add Community MARAC to your authenticator app")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")  # drawn under the CSP
    page.get_by_text("I cannot scan the QR code").click()
    shown = page.locator(".govuk-details__text strong").inner_text()
    assert re.fullmatch(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", shown)
    assert_accessible(page)

    totp = pyotp.TOTP(shown.replace(" ", ""))  # typed into an app by hand, spaces and all
    first_code = totp.now()
    page.get_by_label("Code from your authenticator app", exact=True).fill(first_code)
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Save your recovery codes")
    expect(page.locator(".marac-recovery-codes li")).to_have_count(10)
    assert_accessible(page)
    page.get_by_role("link", name="Continue", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Kit Newcomer")

    page.get_by_role("button", name="Sign out").click()
    sign_in_with_form(page, user.email)
    expect(page).to_have_url(re.compile(r"/sign-in/code$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Enter the code from your authenticator app"
    )
    assert_accessible(page)
    # The code used at set-up is refused (even if the app has moved on since); the next is taken.
    page.get_by_label("Code from your authenticator app", exact=True).fill(first_code)
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("each code works only once")
    assert_accessible(page)
    page.get_by_label("Code from your authenticator app", exact=True).fill(
        totp.at(time.time() + 30)
    )
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Kit Newcomer")
    assert console_errors == [], "\n".join(console_errors)
