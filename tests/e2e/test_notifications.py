"""Notifications in a real browser: the unread count, the list, preferences, the outbox."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.actions import notices as actions_notices
from tests.e2e.axe import assert_accessible
from tests.e2e.helpers import AnotherPage, sign_in_with_form
from tests.factories import make_agency, make_user
from tests.meeting_factories import make_action
from tests.meetings import PanelWorld


@pytest.mark.browser
def test_a_member_reads_an_assignment_and_an_admin_sees_the_email(
    page: Page, another_page: AnotherPage, live_server: str, db: Session
) -> None:
    w = PanelWorld(db)
    referral = w.referral()
    action = make_action(db, referral, w.housing)
    actions_notices.action_assigned(db, action, referral.reference)
    db.commit()

    sign_in_with_form(page, w.housing_member.email)
    nav = page.get_by_role("navigation", name="Main menu")
    expect(nav.get_by_role("link", name="Notifications 1 unread")).to_be_visible()
    nav.get_by_role("link", name="Notifications").click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name=f"Open {referral.reference}").click()
    expect(page).to_have_url(f"{live_server}/actions/{action.id}")
    expect(page.get_by_role("navigation", name="Main menu")).not_to_contain_text("unread")

    page.goto("/notifications/preferences")
    assert_accessible(page)
    page.get_by_label("Send me the weekly digest").uncheck()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_text("Your email preferences have been saved")).to_be_visible()

    admin = make_user(db, Role.ADMIN, agency=make_agency(db))
    admin_page = another_page()
    sign_in_with_form(admin_page, admin.email)
    admin_page.goto("/admin/outbox")
    expect(admin_page.get_by_role("cell", name=w.housing_member.email)).to_be_visible()
    assert_accessible(admin_page)
