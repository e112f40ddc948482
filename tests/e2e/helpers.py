"""Steps shared by the browser tests, done the way a person would do them."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page

from marac.accounts.models import User
from tests.factories import PASSWORD, TOTP_SECRET, unused_code

# The `sign_in` fixture: signs `user` in through the form and waits for the dashboard.
SignIn = Callable[[Page, User], None]
# The `another_page` fixture: a page in its own cookie jar, for a second person.
AnotherPage = Callable[[], Page]

# The last time step each email signed in with here: the server refuses a code twice.
_last_step: dict[str, int] = {}


def sign_in_with_form(
    page: Page, email: str, password: str = PASSWORD, secret: str = TOTP_SECRET
) -> None:
    """Fill in the sign-in form and then the code page by their visible labels.

    When the password is refused the browser stays on the sign-in page and no code is
    entered. `secret` is the user's authenticator secret (make_user's by default).
    """
    page.goto("/sign-in")
    page.get_by_label("Email address", exact=True).fill(email)
    # exact: GOV.UK's password reveal button is labelled "Show password".
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    # Either the next step's code field or the sign-in page's error summary.
    page.locator("input#code, .govuk-error-summary").first.wait_for()
    if not page.url.split("?")[0].endswith("/sign-in/code"):
        return
    code, step = unused_code(secret, _last_step.get(email.lower()))
    _last_step[email.lower()] = step
    page.get_by_label("Code from your authenticator app", exact=True).fill(code)
    page.get_by_role("button", name="Continue", exact=True).click()
