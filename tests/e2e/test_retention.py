"""Retention review in a real browser: reached from the menu, keep and dispose, accessible."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from marac.db import utcnow
from marac.retention import operations
from marac.retention.queries import today_uk
from marac.storage.backends import store
from tests.e2e.axe import assert_accessible
from tests.retention.helpers import MeetingBorough, RetentionBorough


@pytest.mark.browser
def test_governance_keeps_and_disposes_in_the_browser(
    page: Page, db: Session, sign_in, console_errors: list[str]
) -> None:
    world = RetentionBorough(db)
    operations.set_periods(db, world.admin, {"closed_referral": 6})
    operations.list_due(db, today_uk(utcnow()))
    sign_in(page, world.governance)
    page.get_by_role("link", name="Retention", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Retention review")
    assert_accessible(page)

    page.get_by_role("link", name=f"Keep {world.r1.reference}").click()
    page.get_by_role("button", name="Keep the record").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter why the record is being kept")
    assert_accessible(page)
    later = today_uk(utcnow()) + timedelta(days=365)
    page.get_by_label("Why is it being kept?").fill("Civil claim")
    page.get_by_label("Day").fill(str(later.day))
    page.get_by_label("Month").fill(str(later.month))
    page.get_by_label("Year").fill(str(later.year))
    page.get_by_role("button", name="Keep the record").click()
    expect(page.get_by_text(f"{world.r1.reference} is kept until")).to_be_visible()

    page.get_by_role("button", name="Dispose of 1 closed case").click()
    expect(page.get_by_text("Disposed of 1 closed case")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_role("heading", name="Disposal log")).to_be_visible()
    assert_accessible(page)
    assert console_errors == []


@pytest.mark.browser
def test_the_schedule_page_passes_axe(
    page: Page, db: Session, sign_in, console_errors: list[str]
) -> None:
    world = RetentionBorough(db)
    sign_in(page, world.admin)
    page.get_by_role("link", name="Retention", exact=True).click()
    page.get_by_role("link", name="Change the retention schedule").click()
    page.get_by_label("Closed cases: months after the case closed").fill("0")
    page.get_by_role("button", name="Save the schedule").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter a period between 1 and 1200 months")
    assert_accessible(page)
    assert console_errors == []


@pytest.mark.browser
def test_a_disposed_meeting_in_the_browser(
    page: Page, app: Flask, db: Session, sign_in, console_errors: list[str]
) -> None:
    """The meeting and minutes pages of a disposed meeting say so, and its agenda and
    minutes downloads give the "no longer held" page: accessible, at 320 px too."""
    world = MeetingBorough(db)
    with app.app_context():
        world.issue_documents(db, store())
        for record_type in ("closed_referral", "meeting"):
            operations.set_periods(db, world.admin, {record_type: 6})
            operations.list_due(db, today_uk(utcnow()))
            operations.request_disposal(db, world.governance, record_type, today_uk(utcnow()))
    sign_in(page, world.coordinator)
    page.goto(f"/meetings/{world.m_feb.id}")
    expect(page.get_by_text("disposed of under the retention schedule on")).to_be_visible()
    assert_accessible(page)
    page.goto(f"/meetings/{world.m_feb.id}/minutes")
    expect(page.get_by_text("Full minutes (no longer held)").first).to_be_visible()
    assert_accessible(page)
    assert console_errors == []
    page.set_viewport_size({"width": 320, "height": 800})
    response = page.goto(f"/meetings/{world.m_feb.id}/agenda.pdf")
    assert response is not None and response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("This document is no longer held")
    assert_accessible(page)
    # The browser logs the 410 itself; nothing else went wrong.
    assert [e for e in console_errors if "status of 410" not in e] == []
