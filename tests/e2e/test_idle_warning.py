"""The warning before the idle sign-out, in Chromium, with a 20-second timeout.

The test app signs people out after 20 seconds without activity and warns 15
seconds before (so 5 seconds after a page loads): the same code and data
attributes as the 30 minutes and 2 minutes of a real deployment.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from marac import create_app
from marac.accounts.models import Role, User
from tests.conftest import Client, settings_for
from tests.e2e.axe import assert_accessible
from tests.e2e.helpers import SignIn
from tests.factories import PASSWORD, TOTP_SECRET, make_user, unused_code

TIMEOUT_SECONDS = 20
WARNING_SECONDS = 15
DIALOG_NAME = "You are about to be signed out"


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    """The test app with a short idle timeout (overrides the suite's `app`)."""
    application = create_app(
        settings_for(database_url, session_warning_seconds=WARNING_SECONDS),
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=TIMEOUT_SECONDS),
    )
    application.test_client_class = Client
    yield application
    application.extensions["marac_db"].engine.dispose()


def _open_new_user_form(page: Page) -> float:
    page.goto("/admin/users/new")
    loaded = time.monotonic()
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Work email address").fill("ada.lovelace@test.example")
    page.get_by_label("Referrer").check()
    return loaded


def _wait_until(start: float, seconds: float, page: Page) -> None:
    page.wait_for_timeout(max(0.0, start + seconds - time.monotonic()) * 1000)


@pytest.mark.browser
def test_stay_signed_in_keeps_the_session_and_the_typed_text(
    page: Page, console_errors: list[str], db: Session, sign_in: SignIn
) -> None:
    sign_in(page, make_user(db, Role.ADMIN, name="Admin Person"))
    loaded = _open_new_user_form(page)

    dialog = page.get_by_role("alertdialog", name=DIALOG_NAME)
    expect(dialog).to_be_visible(timeout=15_000)
    assert time.monotonic() - loaded >= TIMEOUT_SECONDS - WARNING_SECONDS - 1
    expect(dialog).to_have_attribute("aria-modal", "true")
    expect(dialog).to_contain_text("we will sign you out in")
    stay = dialog.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    assert_accessible(page)

    with page.expect_response(re.compile(r"/session/keep-alive$")) as kept:
        stay.click()
    assert kept.value.status == 204
    expect(dialog).to_be_hidden()

    # It comes back before the next deadline; Escape also means "stay signed in".
    expect(dialog).to_be_visible(timeout=15_000)
    with page.expect_response(re.compile(r"/session/keep-alive$")) as kept_again:
        page.keyboard.press("Escape")
    assert kept_again.value.status == 204
    expect(dialog).to_be_hidden()

    # Past the first deadline the session is still there, and so is what was typed.
    _wait_until(loaded, TIMEOUT_SECONDS + 2, page)
    expect(page).to_have_url(re.compile(r"/admin/users/new$"))
    expect(page.get_by_label("Full name")).to_have_value("Ada Lovelace")
    home = page.request.get("/", max_redirects=0)
    assert home.status == 200, "the session ended although the user chose to stay signed in"
    assert console_errors == [], "\n".join(console_errors)


@pytest.mark.browser
def test_typed_text_survives_the_sign_out_but_passwords_do_not(
    page: Page, console_errors: list[str], db: Session, sign_in: SignIn
) -> None:
    admin = make_user(db, Role.ADMIN, name="Admin Person")
    sign_in(page, admin)
    _open_new_user_form(page)

    # Nobody answers the warning: the page goes to sign-in (the session cookie has expired
    # with the server's clock, so the sign-in page says "Sign in to continue").
    expect(page).to_have_url(re.compile(r"/sign-in\?next=%2Fadmin%2Fusers%2Fnew$"), timeout=30_000)
    expect(page.get_by_text("Sign in to continue.")).to_be_visible()
    saved = page.evaluate("() => sessionStorage.getItem('marac-typed:/admin/users/new')")
    assert saved is not None
    assert "Ada Lovelace" in saved
    assert "csrf_token" not in json.dumps(saved)

    page.get_by_label("Email address", exact=True).fill(admin.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    db.expire_all()
    code, _step = unused_code(TOTP_SECRET, db.get(User, admin.id).totp_last_step)  # type: ignore[union-attr]
    page.get_by_label("Code from your authenticator app", exact=True).fill(code)
    page.get_by_role("button", name="Continue", exact=True).click()

    expect(page).to_have_url(re.compile(r"/admin/users/new$"))
    expect(page.get_by_text("We have put back what you typed")).to_be_visible()
    expect(page.get_by_label("Full name")).to_have_value("Ada Lovelace")
    expect(page.get_by_label("Work email address")).to_have_value("ada.lovelace@test.example")
    expect(page.get_by_label("Referrer")).to_be_checked()
    assert page.evaluate("() => sessionStorage.length") == 0  # put back once, then forgotten
    assert_accessible(page)
    assert console_errors == [], "\n".join(console_errors)


@pytest.mark.browser
def test_passwords_are_never_saved(page: Page, db: Session, sign_in: SignIn) -> None:
    sign_in(page, make_user(db))
    page.goto("/account/password")
    page.get_by_label("Current password", exact=True).fill("orchard-lantern-quartz")
    page.get_by_label("New password", exact=True).fill("kestrel-harbour-violet")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=%2Faccount%2Fpassword$"), timeout=30_000)
    stored = page.evaluate("() => JSON.stringify(Object.assign({}, sessionStorage))")
    assert "orchard-lantern-quartz" not in stored
    assert "kestrel-harbour-violet" not in stored


@pytest.mark.browser
def test_sign_out_from_the_warning_keeps_nothing(
    page: Page, console_errors: list[str], db: Session, sign_in: SignIn
) -> None:
    sign_in(page, make_user(db, Role.ADMIN))
    _open_new_user_form(page)
    dialog = page.get_by_role("alertdialog", name=DIALOG_NAME)
    expect(dialog).to_be_visible(timeout=15_000)
    dialog.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    assert page.evaluate("() => sessionStorage.length") == 0  # signing out on purpose
    assert page.request.get("/", max_redirects=0).status == 302
    assert console_errors == [], "\n".join(console_errors)


@pytest.mark.browser
def test_no_warning_and_no_script_when_signed_out(page: Page) -> None:
    page.goto("/sign-in")
    assert page.evaluate("() => document.body.dataset.sessionTimeout") is None
    assert page.locator("script[src*='idle-warning']").count() == 0
