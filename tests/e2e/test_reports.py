"""The reports dashboard in a real browser: reachable from the menu, accessible, no CSP errors."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from marac.reports.models import PartnershipTarget
from tests.e2e.axe import assert_accessible
from tests.reports.helpers import Borough


@pytest.mark.browser
def test_dashboard_passes_axe(page: Page, db: Session, sign_in, console_errors: list[str]) -> None:
    world = Borough(db)
    db.add(
        PartnershipTarget(
            name="Increase hate crime referrals",
            area_id=world.area.id,
            baseline_start=date(2025, 1, 1),
            baseline_end=date(2025, 12, 31),
            change_percent=50,
            measured_start=date(2026, 1, 1),
            measured_end=date(2026, 12, 31),
        )
    )
    db.commit()
    sign_in(page, world.coordinator)
    page.get_by_role("link", name="Reports", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
    page.get_by_label("Dates (start and end dates below)").check()
    for key, (day, month, year) in (("from", ("1", "1", "2026")), ("to", ("31", "3", "2026"))):
        page.locator(f"#{key}-day").fill(day)
        page.locator(f"#{key}-month").fill(month)
        page.locator(f"#{key}-year").fill(year)
    page.get_by_role("button", name="Show figures").click()
    expect(page.get_by_text("1 January 2026 to 31 March 2026").first).to_be_visible()
    expect(page.get_by_role("img", name="Bar chart, Referrals by area").first).to_be_visible()
    by_source = page.get_by_role("img", name="Stacked bar chart, Referrals per month by source")
    expect(by_source.first).to_be_visible()
    expect(page.get_by_role("list", name="Key to the chart").first).to_be_visible()
    assert_accessible(page)
    assert console_errors == []
