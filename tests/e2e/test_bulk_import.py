"""Bulk import in a real browser (issue 15 item 6, "Done when"): a spreadsheet with one bad
row is uploaded, the preview shows that row's error and a column we did not guess, the
mapping is fixed, the rows are imported as a job, and the incidents are there. axe checks
the mapping and preview pages.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.incidents.models import Incident
from tests.e2e.axe import assert_accessible
from tests.e2e.helpers import SignIn
from tests.imports.helpers import HEADERS, LAST_YEAR, coordinator_world, rows, xlsx_bytes


@pytest.mark.browser
def test_a_spreadsheet_is_mapped_previewed_and_imported(
    page: Page, sign_in: SignIn, db: Session
) -> None:
    coordinator, _other = coordinator_world(db)
    headers = [("Account" if h == "What happened" else h) for h in HEADERS]  # not guessed
    sign_in(page, coordinator)
    page.get_by_role("navigation", name="Main menu").get_by_role(
        "link", name="Import", exact=True
    ).click()
    page.get_by_label("Upload a spreadsheet").set_input_files(
        files=[
            {
                "name": "history.xlsx",
                "mimeType": "application/octet-stream",
                "buffer": xlsx_bytes(rows(), headers),
            }
        ]
    )
    page.get_by_role("button", name="Upload", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Match the columns")
    expect(page.get_by_label("Victim name", exact=True)).to_have_value("victim.full_name")
    expect(page.get_by_label("Account", exact=True)).to_have_value("")
    page.get_by_role("button", name="Save and preview").click()

    # Every row lacks a description, and row 3's date does not exist.
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("There is a problem with 3 rows")
    expect(summary).to_contain_text("Row 2: What happened: Describe what happened")
    expect(summary).to_contain_text(f"Row 3: Date of the incident: “31/02/{LAST_YEAR}”")
    page.get_by_role("link", name="Change the columns").click()
    page.get_by_label("Account", exact=True).select_option("description")
    assert_accessible(page)
    page.get_by_role("button", name="Save and preview").click()

    expect(summary).to_contain_text("There is a problem with 1 row")
    expect(summary).not_to_contain_text("Describe what happened")
    expect(page.locator("#row-3")).to_contain_text("is not a real date")
    expect(page.locator("#count-ready")).to_have_text("2")
    assert_accessible(page)
    page.get_by_role("button", name="Import 2 rows").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Importing history.xlsx")
    expect(page.get_by_role("status")).to_contain_text(
        "Imported 2 rows. 0 already imported, 1 with problems skipped."
    )
    page.get_by_role("link", name="Continue").click()
    table = page.get_by_role("table", name="Incidents imported")
    expect(table.get_by_role("row")).to_have_count(3)  # the header and two incidents
    table.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verbal abuse, ")

    db.expire_all()
    assert db.scalar(select(func.count(Incident.id))) == 2
