"""Steps shared by the browser tests, done the way a person would do them."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page

from marac.accounts.models import User
from tests.factories import PASSWORD

# The `sign_in` fixture: signs `user` in through the form and waits for the dashboard.
SignIn = Callable[[Page, User], None]
# The `another_page` fixture: a page in its own cookie jar, for a second person.
AnotherPage = Callable[[], Page]


def sign_in_with_form(page: Page, email: str, password: str = PASSWORD) -> None:
    """Fill in and submit the sign-in form by its visible labels, as a person would."""
    page.goto("/sign-in")
    page.get_by_label("Email address", exact=True).fill(email)
    # exact: GOV.UK's password reveal button is labelled "Show password".
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
