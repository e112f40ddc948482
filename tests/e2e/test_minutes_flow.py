"""Minutes in a real browser: the chair approves, the coordinator issues, housing downloads.

The housing officer holds an action but does not sit on the panel: they get their
agency's extract, read back here from the real download, with the housing action and
nothing the police shared.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from tests.e2e.axe import assert_accessible
from tests.e2e.helpers import AnotherPage, sign_in_with_form
from tests.factories import make_user
from tests.minutes.helpers import (
    HOUSING_ACTION,
    POLICE_ACTION,
    POLICE_INFO,
    POLICE_OFFICER,
    MinutesWorld,
    pdf_text,
)


@pytest.mark.browser
def test_chair_approves_coordinator_issues_and_housing_downloads_its_extract(
    page: Page, another_page: AnotherPage, db: Session, tmp_path: Path
) -> None:
    world = MinutesWorld(db)
    issuer = make_user(db, Role.COORDINATOR, name="Ivy Issuer")
    issuer.areas = [world.area]
    db.commit()
    minutes_url = f"/meetings/{world.held.id}/minutes"

    # 1. The chair finds the minutes from the meeting page and approves them.
    sign_in_with_form(page, world.coordinator.email)
    page.goto(f"/meetings/{world.held.id}")
    page.get_by_role("link", name="Minutes", exact=True).click()
    expect(page.get_by_role("heading", name="Minutes", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Approve the minutes").click()
    expect(page.get_by_text("Approved by the chair").first).to_be_visible()

    # 2. Another coordinator running the panel issues them.
    coordinator = another_page()
    sign_in_with_form(coordinator, issuer.email)
    coordinator.goto(minutes_url)
    coordinator.get_by_role("button", name="Issue the minutes").click()
    # The job ran at once (the tests' queue is immediate): its progress page says so.
    expect(coordinator.get_by_role("heading", name="The minutes are issued")).to_be_visible()
    assert_accessible(coordinator)
    coordinator.get_by_role("link", name="See the issued documents").click()
    expect(coordinator.get_by_role("link", name="Full minutes (PDF)")).to_be_visible()
    assert_accessible(coordinator)

    # 3. The housing officer downloads the housing extract, and only that.
    officer = another_page()
    sign_in_with_form(officer, world.housing_officer.email)
    officer.goto(minutes_url)
    expect(officer.get_by_role("link", name="Full minutes (PDF)")).to_have_count(0)
    with officer.expect_download() as info:
        officer.get_by_role("link", name=f"Extract for {world.housing.name} (PDF)").click()
    saved = tmp_path / "extract.pdf"
    info.value.save_as(saved)
    text = pdf_text(saved.read_bytes())
    assert HOUSING_ACTION in text and "OFFICIAL-SENSITIVE" in text
    for police in (POLICE_ACTION, POLICE_INFO, POLICE_OFFICER):
        assert police not in text
