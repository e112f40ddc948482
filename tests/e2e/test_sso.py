"""Single sign-on in Chromium: through the local OpenID provider's login page and back."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.accounts.sso_models import IdentityProvider, SsoIdentity
from marac.accounts.sso_rules import SecretBox
from tests.conftest import TEST_SECRET
from tests.e2e.axe import assert_accessible
from tests.e2e.helpers import SignIn
from tests.factories import make_agency, make_user
from tests.oidc_provider import OidcProvider, running_provider


@pytest.fixture
def oidc() -> Iterator[OidcProvider]:
    with running_provider() as provider:
        yield provider


def _provider(db: Session, oidc: OidcProvider, agency_id: int) -> None:
    db.add(
        IdentityProvider(
            agency_id=agency_id,
            display_name="Northmoor Police account",
            issuer=oidc.issuer,
            client_id=oidc.client.client_id,
            client_secret_encrypted=SecretBox(TEST_SECRET).encrypt(oidc.client.client_secret),
            email_domains="police.example",
            tenant_id="",
            trust_mfa=True,
            mfa_acr_values="",
            enabled=True,
        )
    )
    db.commit()


@pytest.mark.browser
def test_sign_in_through_the_organisation_provider(
    page: Page, console_errors: list[str], db: Session, oidc: OidcProvider
) -> None:
    agency = make_agency(db, name="Northmoor Police")
    _provider(db, oidc, agency.id)
    user = make_user(db, Role.REFERRER, agency=agency, email="ada@police.example", name="Ada Byron")
    oidc.add_user("ada@police.example", amr=["pwd", "mfa"])

    page.goto("/sign-in")
    page.get_by_role("link", name="Sign in with your organisation's account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Sign in with your organisation's account"
    )
    assert_accessible(page)
    page.get_by_label("Work email address").fill("ada@police.example")
    page.get_by_role("button", name="Continue").click()

    # The provider's own login page, on its own port.
    expect(page.get_by_role("heading", level=1)).to_have_text("Test identity provider")
    assert page.url.startswith(oidc.issuer + "/authorize?")
    page.get_by_label("Work account").fill("ada@police.example")
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Ada Byron")
    assert db.scalar(select(SsoIdentity.user_id)) == user.id
    assert console_errors == [], "\n".join(console_errors)


@pytest.mark.browser
def test_unknown_account_sees_a_refusal_page(
    no_js_page: Page, db: Session, oidc: OidcProvider
) -> None:
    """Without JavaScript too: the continue link stands in for the automatic move on."""
    agency = make_agency(db, name="Northmoor Police")
    _provider(db, oidc, agency.id)
    oidc.add_user("nobody@police.example", amr=["mfa"])
    page = no_js_page

    page.goto("/sign-in/organisation")
    page.get_by_label("Work email address").fill("nobody@police.example")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Test identity provider")
    page.get_by_label("Work account").fill("nobody@police.example")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You cannot sign in with your organisation's account"
    )
    expect(page.get_by_role("link", name="Go to the sign-in page")).to_be_visible()


@pytest.mark.browser
def test_admin_adds_a_provider(page: Page, sign_in: SignIn, db: Session) -> None:
    """The admin form, with its errors, is accessible; the saved secret is never shown."""
    make_agency(db, name="Northmoor Police")
    sign_in(page, make_user(db, Role.ADMIN, name="Ida Admin"))

    page.get_by_role("link", name="Agencies").first.click()
    page.get_by_role("link", name="Single sign-on providers").click()
    page.get_by_role("link", name="Add a provider").click()
    page.get_by_label("Agency").select_option(label="Northmoor Police")
    page.get_by_label("Name shown to users").fill("Northmoor Police account")
    page.get_by_label("Issuer URL").fill("http://login.example.com/tenant")
    page.get_by_label("Client ID").fill("client-1")
    page.get_by_label("Client secret").fill("very-secret-value")
    page.get_by_label("Allowed email domains").fill("police.example")
    page.get_by_role("button", name="Save provider").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("The issuer must start with https://")
    assert_accessible(page)
    page.get_by_label("Issuer URL").fill("https://login.example.com/tenant/v2.0")
    page.get_by_label("Client secret").fill("very-secret-value")
    page.get_by_role("button", name="Save provider").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Single sign-on providers")
    page.get_by_role("link", name="Northmoor Police account").click()
    expect(page.get_by_text("A secret is saved")).to_be_visible()
    assert "very-secret-value" not in page.content()
    assert_accessible(page)
