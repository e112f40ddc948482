"""Attaching a document on a case page in a real browser, and downloading it back.

The coordinator chooses a file with the GOV.UK file upload, it is scanned by a real
clamd, listed as ready, and the download link gives back the same bytes. axe checks the
case page with the form, at 320 px too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from marac import create_app
from tests.attachments.helpers import PDF
from tests.conftest import Client, settings_for
from tests.e2e.axe import assert_accessible
from tests.e2e.helpers import SignIn
from tests.referrals.helpers import World, make_referral


@pytest.fixture
def app(database_url: str, clamd_address: str, tmp_path: Path) -> Iterator[Flask]:
    """The live server's app, with a real clamd and a folder store of its own."""
    application = create_app(
        settings_for(
            database_url, clamd_address=clamd_address, storage_url=f"file://{tmp_path / 'store'}"
        )
    )
    application.test_client_class = Client
    yield application
    application.extensions["marac_db"].engine.dispose()


@pytest.mark.browser
def test_a_coordinator_attaches_a_letter_to_a_case_and_downloads_it(
    page: Page, db: Session, sign_in: SignIn, tmp_path: Path
) -> None:
    world = World(db)
    referral = make_referral(db, world.person, world.area, referrer=world.referrer)
    sign_in(page, world.coordinator)
    page.set_viewport_size({"width": 320, "height": 900})
    page.goto(f"/referrals/{referral.id}")
    expect(page.get_by_role("heading", name="Documents")).to_be_visible()
    assert_accessible(page)

    page.set_viewport_size({"width": 1024, "height": 900})
    page.get_by_label("Upload a file").set_input_files(
        {"name": "warning letter.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_label("Description (optional)").fill("Warning letter sent to the neighbour")
    page.get_by_role("button", name="Attach the document").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "warning letter.pdf has been attached."
    )
    row = page.locator("table.marac-documents tr", has_text="warning letter.pdf")
    expect(row).to_contain_text("Ready")
    expect(row).to_contain_text(f"PDF, {len(PDF)} bytes")
    assert_accessible(page)

    with page.expect_download() as arrived:
        row.get_by_role("link").click()
    download = arrived.value
    assert download.suggested_filename == "warning letter.pdf"
    saved = tmp_path / "downloaded.pdf"
    download.save_as(saved)
    assert saved.read_bytes() == PDF
