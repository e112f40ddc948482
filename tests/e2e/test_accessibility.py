"""axe-core checks (WCAG 2.2 AA and best practice) on pages as rendered in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from marac.accounts.models import AgencyType, Role
from marac.referrals.models import ReferralStatus
from tests.e2e.axe import assert_accessible
from tests.e2e.helpers import AnotherPage, SignIn
from tests.factories import make_agency, make_user
from tests.meetings import PanelWorld


@pytest.mark.browser
def test_accessibility_login_page(page: Page) -> None:
    """The first page everyone sees must be usable with assistive technology."""
    page.goto("/sign-in")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sign in")
    assert_accessible(page)


@pytest.mark.browser
def test_accessibility_login_page_with_errors(page: Page) -> None:
    """Error states add the summary, inline messages and aria-describedby: check them too."""
    page.goto("/sign-in")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your email address")
    expect(page.locator(".govuk-error-message")).to_have_count(2)
    assert_accessible(page)


@pytest.mark.browser
def test_accessibility_dashboard(
    page: Page, another_page: AnotherPage, sign_in: SignIn, db: Session
) -> None:
    """The home page after a real sign-in: the work counts and the next meetings, for a
    coordinator and for a panel member (with the research column and tags)."""
    w = PanelWorld(db)
    w.referral(status=ReferralStatus.NEW)
    published, draft = w.meeting(7), w.meeting(49)
    w.listed(published, w.referral(), 1)
    w.publish(published)
    w.listed(draft, w.referral(), 1)
    sign_in(page, w.coordinator)
    expect(page.get_by_role("table")).to_contain_text(w.panel.name)
    assert_accessible(page)
    member = another_page()
    sign_in(member, w.police_member)
    expect(member.get_by_role("table")).to_contain_text("Research still to add")
    assert_accessible(member)


@pytest.mark.browser
def test_accessibility_admin_users_list(page: Page, sign_in: SignIn, db: Session) -> None:
    """The admin users table, filters and status tags, with a few users of each kind."""
    admin = make_user(db, Role.ADMIN, name="Ada Admin")
    housing = make_agency(db, name="Ashbrook Homes", type=AgencyType.HOUSING_ASSOCIATION)
    make_user(db, Role.REFERRER, agency=housing)
    make_user(db, Role.MEMBER, agency=housing, supervisor=True)
    make_user(db, Role.COORDINATOR, active=False)

    sign_in(page, admin)
    menu = page.get_by_role("navigation", name="Main menu")
    menu.get_by_role("link", name="Users", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Users")
    expect(page.get_by_role("table")).to_contain_text("Deactivated")
    assert_accessible(page)
