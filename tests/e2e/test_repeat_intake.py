"""Repeat tracking in a real browser (issue 5, "Done when"): a victim entered with a
slightly different spelling is offered the existing person; choosing them makes the new
case a repeat, and the screening queue shows the flag. axe checks the matching page.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.db import utcnow
from marac.people.models import Person
from marac.referrals.models import Referral, ReferralStatus
from tests.e2e.axe import assert_accessible
from tests.e2e.helpers import AnotherPage, SignIn
from tests.factories import make_agency, make_area, make_user
from tests.referrals.helpers import make_incident, make_referral


@pytest.mark.browser
def test_a_misspelt_victim_is_offered_and_the_new_case_is_a_repeat(
    page: Page, another_page: AnotherPage, sign_in: SignIn, db: Session
) -> None:
    area = make_area(db, "Ashbrook North", districts="AK1 AK2")
    elsewhere = make_area(db, "Ashbrook South", districts="AK9")
    police = make_agency(db, "Ashbrook Police")
    officer = make_user(db, Role.REFERRER, agency=police)
    coordinator = make_user(db, Role.COORDINATOR, agency=police)
    coordinator.areas = [area]
    known = Person(date_of_birth=date(1987, 2, 14))
    known.set_identity("Amira Haddad", "AK9 9ZZ")
    db.add(known)
    db.commit()
    make_incident(db, officer, known, elsewhere, utcnow() - timedelta(days=200))
    make_referral(
        db,
        known,
        elsewhere,
        created_at=utcnow() - timedelta(days=199),
        status=ReferralStatus.CLOSED,
    )

    sign_in(page, officer)
    page.get_by_role("navigation", name="Main menu").get_by_role(
        "link", name="Record an incident", exact=True
    ).click()
    day = (utcnow() - timedelta(days=2)).date()
    page.locator('[name="victim-full_name"]').fill("Amirah Hadad")
    for index, value in enumerate((14, 2, 1987)):
        page.locator('[name="victim-date_of_birth"]').nth(index).fill(str(value))
    for index, value in enumerate((day.day, day.month, day.year)):
        page.locator('[name="occurred_on"]').nth(index).fill(str(value))
    page.locator('[name="occurred_time"]').fill("21:15")
    page.locator('[name="online"][value="no"]').check()
    page.locator('[name="postcode"]').fill("AK1 3CD")
    page.locator('[name="incident_type"][value="verbal_abuse"]').check()
    page.locator('[name="recorded_as"][value="non_crime"]').check()
    page.locator('[name="reported_via"][value="police"]').check()
    page.locator('[name="perceived_by"][value="victim"]').check()
    page.locator('[name="strands"][value="religion"]').check()
    page.locator('[name="description"]').fill("Shouted at about her headscarf at the bus stop.")
    page.get_by_role("button", name="Save incident").click()

    # Nothing is saved yet: the existing person is offered, with "new person" beside it.
    question = page.get_by_role("group", name="Is the victim one of these people?")
    expect(question).to_contain_text("Amira Haddad, born 14 February 1987")
    expect(question).to_contain_text("record a new person")
    assert_accessible(page)
    question.get_by_label("Amira Haddad", exact=False).check()
    page.get_by_role("button", name="Save incident").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verbal abuse, ")

    # The incident made an automatic repeat referral; the coordinator sees the flag.
    page = another_page()
    sign_in(page, coordinator)
    page.get_by_role("navigation", name="Main menu").get_by_role(
        "link", name="Screening", exact=True
    ).click()
    row = page.get_by_role("row").filter(has_text="Amira Haddad")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Repeat referral")
    assert_accessible(page)

    # In the database: one person, and the new referral links back as a repeat.
    db.expire_all()
    assert db.scalar(select(func.count(Person.id))) == 1
    newest = db.scalar(select(Referral).order_by(Referral.id.desc()).limit(1))
    assert newest is not None and newest.is_repeat and newest.person_id == known.id
    assert newest.previous_referral_id is not None
