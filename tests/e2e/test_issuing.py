"""Issuing a large meeting's minutes in a real browser, with a real `marac worker`.

The request returns at once to the progress page, which shows the documents arriving
(its script reloads it as the job moves on), and the downloads are the stored bytes.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.minutes.models import IssuedDocument
from tests.e2e.axe import assert_accessible
from tests.e2e.helpers import sign_in_with_form
from tests.minutes.helpers import large_meeting, pdf_text, queued_app
from tests.workers import running_worker


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The live server's app with a real queue: a worker process does the issuing."""
    yield from queued_app(database_url, tmp_path)


@pytest.mark.browser
def test_a_large_meeting_is_issued_in_the_background(
    app: Flask, page: Page, db: Session, tmp_path: Path
) -> None:
    world = large_meeting(db, cases=15, extra_agencies=3)  # 7 documents
    log = tmp_path / "worker.log"
    sign_in_with_form(page, world.coordinator.email)
    page.goto(f"/meetings/{world.held.id}/minutes")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Issue the minutes").click()
    timing = posted.value.request.timing
    assert posted.value.status == 302
    assert timing["responseEnd"] - timing["requestStart"] < 1000  # milliseconds
    expect(page).to_have_url(re.compile(r"/minutes/jobs/\d+$"))
    expect(page.get_by_role("heading", name="Issuing the minutes")).to_be_visible()
    # No worker yet: the request is saved and the page says it waits (and stays still).
    expect(page.get_by_role("status")).to_contain_text("waiting to start")
    assert_accessible(page)
    with running_worker(app.config["MARAC_SETTINGS"], log):
        # Documents arrive one by one; nothing is issued until the last is stored. The
        # page's script reads the job's status every second (and reloads when it moves);
        # read it faster here, so that counts between 0 and 7 are seen however quick the
        # renders are.
        status_url = page.url + "/status"
        seen: set[int] = set()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            db.rollback()  # a fresh snapshot, read before the status
            visible = db.scalars(select(IssuedDocument)).first()
            state = page.request.get(status_url).json()
            seen.add(state["done"])
            if state["finished"]:
                break
            assert visible is None, "a document was visible before every one was stored"
            time.sleep(0.05)
        assert seen & {1, 2, 3, 4, 5, 6}, seen  # documents arrived one by one
        assert state["status"] == "done" and state["total"] == 7
        # The page followed on its own (its script reloads it as the job moves on).
        expect(page.get_by_role("heading", name="The minutes are issued")).to_be_visible(
            timeout=60_000
        )
    assert_accessible(page)
    page.get_by_role("link", name="See the issued documents").click()
    db.rollback()
    documents = {d.agency_id: d for d in db.scalars(select(IssuedDocument))}
    assert len(documents) == 7
    for name, document in (
        ("Full minutes (PDF)", documents[None]),
        (f"Extract for {world.housing.name} (PDF)", documents[world.housing.id]),
    ):
        with page.expect_download() as info:
            page.get_by_role("link", name=name).click()
        saved = tmp_path / f"{document.id}.pdf"
        info.value.save_as(saved)
        data = saved.read_bytes()
        assert hashlib.sha256(data).hexdigest() == document.sha256
        assert len(data) == document.size_bytes and "OFFICIAL-SENSITIVE" in pdf_text(data)
