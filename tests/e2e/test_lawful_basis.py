"""Issues 17 and 18 in a real browser: an automatic referral shows its assessment, and the
coordinator must record the victim's views, consent and lawful basis before accepting it.

axe checks each new page: the referral page with its evidence, the refused acceptance
(its error summary), and the sharing basis form with the "other" basis revealed.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.assessments.models import RiskMeasure
from marac.referrals.models import Referral, ReferralSource, ReferralStatus
from tests.e2e.axe import assert_accessible
from tests.referrals.helpers import World, link, make_endorsed, make_referral


def _automatic_referral(db: Session, world: World) -> Referral:
    assessment = make_endorsed(db, world.referrer, world.incident)
    assessment.answers = {"incident_threat_to_kill": "yes"}
    assessment.judgement_rationale = "Threatened to burn the family out; the home is targeted."
    assessment.endorsed_by_id = world.referrer.id
    db.add(
        RiskMeasure(
            assessment_id=assessment.id,
            description="Fit a fire-proof letterbox",
            rara="reduce",
            responsible="Fire service",
        )
    )
    referral = make_referral(
        db, world.person, world.area, referrer=world.referrer, risk_level="high",
        source=ReferralSource.AUTOMATIC_HIGH_RISK, assessment_id=assessment.id,
        trigger_reasons=["Endorsed risk level is high"],
    )  # fmt: skip
    link(db, referral, world.incident)
    return referral


@pytest.mark.browser
def test_the_basis_is_recorded_before_an_automatic_referral_is_accepted(
    page: Page, db: Session, sign_in
) -> None:
    world = World(db)
    referral = _automatic_referral(db, world)
    assert world.coordinator.has_role(Role.COORDINATOR)

    sign_in(page, world.coordinator)
    page.goto(f"/referrals/{referral.id}")
    evidence = page.locator("#assessment + dl")
    expect(
        page.get_by_role("heading", name="The risk assessment behind the referral")
    ).to_be_visible()
    expect(evidence).to_contain_text("Critical answer")
    expect(evidence).to_contain_text("Threatened to burn the family out")
    expect(evidence).to_contain_text("Fit a fire-proof letterbox")
    expect(evidence.get_by_role("link", name="Read the full risk assessment")).to_be_visible()
    expect(page.locator("#consent + p + dl")).to_contain_text("Not recorded yet")
    assert_accessible(page)

    # Accepting now is refused, with a GOV.UK error summary that leads to the form.
    page.get_by_role("button", name="Accept the referral").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Record the victim's views, their consent")
    assert_accessible(page)
    summary.get_by_role("link").click()
    with page.expect_navigation():
        page.locator("#accept-sharing_basis").get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("lawful basis for sharing")

    page.get_by_label("The victim's views and wishes").fill("Wants to stay; fears reprisals.")
    page.get_by_label("Refused").check()
    page.get_by_label("What the victim said, or why consent was not sought").fill(
        "Said she did not want the neighbours to know she had complained."
    )
    other_text = page.get_by_label("The other lawful basis")
    expect(other_text).to_be_hidden()  # revealed only for "another lawful basis"
    page.get_by_label("Another lawful basis").check()
    expect(other_text).to_be_visible()
    assert_accessible(page)
    other_text.fill("UK GDPR Article 6(1)(d): vital interests of the victim")
    page.get_by_role("button", name="Save views, consent and lawful basis").click()

    expect(page.locator(".govuk-notification-banner")).to_contain_text("lawful basis recorded")
    consent = page.locator("#consent + p + dl")
    expect(consent).to_contain_text("What the victim said")
    expect(consent).to_contain_text("vital interests of the victim")
    page.get_by_role("button", name="Accept the referral").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("accepted")
    db.expire_all()
    saved = db.get(Referral, referral.id)
    assert saved is not None and saved.status == ReferralStatus.ACCEPTED
    assert saved.lawful_basis_code == "other" and saved.consent == "refused"


@pytest.mark.browser
def test_a_new_referral_is_merged_into_the_persons_open_case(
    page: Page, db: Session, sign_in
) -> None:
    world = World(db)
    open_case = make_referral(
        db, world.person, world.area, referrer=world.referrer, status=ReferralStatus.ACCEPTED,
        trigger_reasons=["Professional judgement: referred by the police"], consent="given",
    )  # fmt: skip
    referral = _automatic_referral(db, world)

    sign_in(page, world.coordinator)
    page.goto(f"/referrals/{referral.id}")
    expect(page.get_by_role("heading", name="The person's other open referral")).to_be_visible()
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name=f"Merge into {open_case.reference}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(open_case.reference)
    expect(page.locator(".govuk-notification-banner")).to_contain_text("merged into")
    expect(page.locator("body")).to_contain_text(f"(from {referral.reference})")
    assert_accessible(page)
    page.goto(f"/referrals/{referral.id}")
    expect(page.locator(".govuk-inset-text").first).to_contain_text("merged into")
    assert_accessible(page)
