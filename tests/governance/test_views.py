"""The pages through a real sign-in: who has seen a person and a referral (paged, from
the audit log, refused to others), the pack's page and its release form's errors."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.audit import record
from marac.governance.models import PackStatus, SubjectAccessPack
from marac.governance.queries import PER_PAGE
from tests.factories import make_user
from tests.governance import SarWorld


def _rows(html: str) -> int:
    return len(re.findall(r'<tr class="govuk-table__row">\s*<td', html))


def test_who_has_seen_a_person_lists_the_views_paged(db: Session, app: Flask, login) -> None:  # type: ignore[no-untyped-def]
    world = SarWorld(db, app)
    governance = make_user(db, Role.GOVERNANCE, agency=world.police)
    referral = world.referrals[0]
    for n in range(PER_PAGE + 5):
        record(
            db, "referral_viewed", "referral", referral.id, f"Viewed {n}", user=world.housing_member
        )
    db.commit()
    for user in (world.coordinator, governance):
        client = login(user)
        first = client.get(f"/people/{world.person_a.id}/seen")
        assert first.status_code == 200
        html = first.get_data(as_text=True)
        assert world.housing_member.name in html and world.housing.name in html
        assert _rows(html) == PER_PAGE
        assert world.person_a.full_name not in html  # named by record number only
        second = client.get(f"/people/{world.person_a.id}/seen?page=2").get_data(as_text=True)
        assert _rows(second) >= 5
        # The oldest, on the last page: the member who viewed the person's record.
        assert world.police_member.name in second and "person viewed" in second
        one = client.get(f"/referrals/{referral.id}/seen")
        assert one.status_code == 200 and "referral viewed" in one.get_data(as_text=True)
    # Another person's list does not carry these views.
    other = login(world.coordinator).get(f"/people/{world.person_b.id}/seen")
    assert world.housing_member.name not in other.get_data(as_text=True)


def test_who_has_seen_is_refused_to_everyone_else(db: Session, app: Flask, login) -> None:  # type: ignore[no-untyped-def]
    world = SarWorld(db, app)
    referral = world.referrals[0]
    for user in (world.other_coordinator, world.police_member, world.referrer, world.admin):
        client = login(user)
        for url in (
            f"/people/{world.person_a.id}/seen",
            f"/referrals/{referral.id}/seen",
            f"/governance/subject-access/people/{world.person_a.id}",
        ):
            assert client.get(url).status_code == 403, (user.role, url)
        assert (
            client.submit(f"/governance/subject-access/people/{world.person_a.id}").status_code
            == 403
        )
    assert db.scalar(select(SubjectAccessPack.id)) is None


def test_a_pack_is_asked_for_and_its_release_recorded(db: Session, app: Flask, login) -> None:  # type: ignore[no-untyped-def]
    world = SarWorld(db, app)
    governance = make_user(db, Role.GOVERNANCE, agency=world.police)
    client = login(governance)
    found = client.get(f"/governance/subject-access?person={world.person_a.id}")
    assert found.status_code == 302
    bad = client.get("/governance/subject-access?person=abc")
    assert bad.status_code == 400 and "govuk-error-summary" in bad.get_data(as_text=True)
    asked = client.submit(f"/governance/subject-access/people/{world.person_a.id}")
    assert asked.status_code == 302 and "/jobs/" in asked.headers["Location"]
    pack = db.scalars(select(SubjectAccessPack)).one()
    page = client.get(f"/governance/subject-access/packs/{pack.id}").get_data(as_text=True)
    assert "Download the pack" in page and "Record the release" in page
    download = client.get(f"/governance/subject-access/packs/{pack.id}/download")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert download.data[:2] == b"PK"
    empty = client.submit(f"/governance/subject-access/packs/{pack.id}/release", {})
    html = empty.get_data(as_text=True)
    assert empty.status_code == 400 and "Enter who the pack was released to" in html
    assert "Select how the pack was released" in html and "govuk-error-summary" in html
    done = client.submit(
        f"/governance/subject-access/packs/{pack.id}/release",
        {"released_to": "Their solicitor, by secure email", "method": "secure_email"},
    )
    assert done.status_code == 302
    db.expire_all()
    pack = db.get_one(SubjectAccessPack, pack.id)
    assert pack.status == PackStatus.RELEASED.value and pack.released_by_id == governance.id


def test_who_has_seen_runs_the_same_queries_however_many_views(
    db: Session, app: Flask, login, count_queries
) -> None:  # type: ignore[no-untyped-def]
    world = SarWorld(db, app)
    client = login(world.coordinator)
    url = f"/people/{world.person_a.id}/seen"
    client.get(url)  # warm: the session's own lookups
    with count_queries() as few:
        client.get(url)
    viewers = [make_user(db, Role.MEMBER, agency=world.housing) for _ in range(12)]
    for n, viewer in enumerate(viewers * 5):
        record(db, "person_viewed", "person", world.person_a.id, f"Viewed {n}", user=viewer)
    db.commit()
    with count_queries() as many:
        html = client.get(url).get_data(as_text=True)
    assert viewers[0].name in html
    assert many.count == few.count, many.statements
