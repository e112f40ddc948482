"""A subject access pack produced in a real browser with a real `marac worker`, then
downloaded: the request returns at once, the progress page follows the job, and the
ZIP downloaded is the stored one, holding the person's records."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.audit import record
from marac.governance.models import SubjectAccessPack
from tests.e2e.axe import assert_accessible
from tests.e2e.helpers import sign_in_with_form
from tests.factories import make_user
from tests.governance import A_INCIDENT, ATTACHMENT_BYTES, SarWorld, read_pack
from tests.minutes.helpers import queued_app
from tests.workers import running_worker


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The live server's app with a real queue: a worker process produces the pack."""
    yield from queued_app(database_url, tmp_path)


@pytest.mark.browser
def test_governance_produces_a_pack_and_downloads_it(
    app: Flask, page: Page, db: Session, tmp_path: Path
) -> None:
    world = SarWorld(db, app)
    governance = make_user(db, Role.GOVERNANCE, agency=world.police)
    sign_in_with_form(page, governance.email)
    page.goto("/governance/subject-access")
    expect(page.get_by_role("heading", name="Subject access")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Person record number").fill(str(world.person_a.id))
    page.get_by_role("button", name="Find the person").click()
    expect(page.get_by_role("heading", name=f"Subject access for person {world.person_a.id}"))
    assert_accessible(page)
    page.get_by_role("button", name="Produce a subject access pack").click()
    expect(page).to_have_url(re.compile(r"/jobs/\d+$"))
    expect(page.get_by_role("status")).to_contain_text("Waiting to start")  # no worker yet
    with running_worker(app.config["MARAC_SETTINGS"], tmp_path / "worker.log"):
        expect(page.get_by_role("link", name="Continue")).to_be_visible(timeout=90_000)
    assert_accessible(page)
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_role("heading", name=re.compile(r"Subject access pack \d+"))).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the pack (ZIP)").click()
    saved = tmp_path / "pack.zip"
    info.value.save_as(saved)
    data = saved.read_bytes()
    db.rollback()
    pack = db.scalars(select(SubjectAccessPack)).one()
    assert hashlib.sha256(data).hexdigest() == pack.sha256
    content, text, files = read_pack(data)
    assert content["person"]["id"] == world.person_a.id and A_INCIDENT in text
    assert ATTACHMENT_BYTES in files.values()
    assert world.person_b.full_name not in text
    # The release, recorded on the same page; its errors first.
    page.get_by_role("button", name="Record the release").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter who the pack was released to")
    assert_accessible(page)
    page.get_by_label("Released to").fill("The person, at their home address")
    page.get_by_label("Post (recorded delivery)").check()
    page.get_by_role("button", name="Record the release").click()
    expect(page.get_by_text("The release is recorded")).to_be_visible()
    db.rollback()
    assert db.get_one(SubjectAccessPack, pack.id).released_by_id == governance.id


@pytest.mark.browser
def test_who_has_seen_a_referral_page_is_accessible(app: Flask, page: Page, db: Session) -> None:
    world = SarWorld(db, app)
    referral = world.referrals[0]
    record(db, "referral_viewed", "referral", referral.id, "Viewed", user=world.police_member)
    db.commit()
    sign_in_with_form(page, world.coordinator.email)
    page.goto(f"/referrals/{referral.id}/seen")
    expect(page.get_by_role("heading", name=re.compile("Who has seen referral"))).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("referral viewed")
    expect(page.get_by_role("table")).to_contain_text(world.police_member.name)
    assert_accessible(page)
