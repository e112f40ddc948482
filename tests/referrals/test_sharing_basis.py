"""Issue 17: no automatic referral is accepted until its views, consent and basis are recorded."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.audit.models import AuditEvent
from marac.operations import Conflict, Invalid, Refused
from marac.referrals import consent, operations
from marac.referrals.models import Referral, ReferralSource, ReferralStatus
from tests.factories import make_user
from tests.referrals.helpers import World, link, make_endorsed, make_referral

SAFEGUARDING = consent.SharingBasis(
    victim_views="Wants the abuse to stop; does not want the neighbour told.",
    consent="not_sought",
    consent_reason="Asking would alert the perpetrator, who lives next door.",
    lawful_basis_code="safeguarding",
)


@pytest.fixture
def world(db: Session) -> World:
    return World(db)


@pytest.fixture
def automatic(db: Session, world: World) -> Referral:
    assessment = make_endorsed(db, world.referrer, world.incident)
    referral = make_referral(
        db,
        world.person,
        world.area,
        referrer=world.referrer,
        risk_level="high",
        source=ReferralSource.AUTOMATIC_HIGH_RISK,
        assessment_id=assessment.id,
        trigger_reasons=["Endorsed risk level is high"],
    )
    link(db, referral, world.incident)
    return referral


def fresh(db: Session, referral: Referral) -> Referral:
    db.expire_all()
    found = db.get(Referral, referral.id)
    assert found is not None
    return found


def _accept(db: Session, world: World, referral: Referral) -> Referral:
    return operations.accept_referral(
        db, world.coordinator, referral.id, version=referral.version, area_id=world.area.id
    )


# ---- the rules ---------------------------------------------------------------------------


def test_an_automatic_referral_starts_with_no_basis(automatic: Referral) -> None:
    assert not consent.is_recorded(automatic)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"victim_views": " "}, "victim_views"),
        ({"consent": "maybe"}, "consent"),
        ({"consent_reason": ""}, "consent_reason"),
        ({"lawful_basis_code": ""}, "lawful_basis_code"),
        ({"lawful_basis_code": "made_up"}, "lawful_basis_code"),
        ({"lawful_basis_code": "other", "lawful_basis": ""}, "lawful_basis"),
        ({"consent_reason": "x" * 5001}, "consent_reason"),
    ],
)
def test_basis_errors_name_the_field(changes: dict[str, str], field: str) -> None:
    from dataclasses import replace

    assert field in consent.basis_errors(replace(SAFEGUARDING, **changes))


def test_consent_given_needs_no_lawful_basis() -> None:
    given = consent.SharingBasis(victim_views="Happy for agencies to talk.", consent="given")
    assert consent.basis_errors(given) == {}
    assert consent.cleaned(given).lawful_basis_code == ""


# ---- the operations ----------------------------------------------------------------------


def test_accept_is_refused_until_the_basis_is_recorded(
    db: Session, world: World, automatic: Referral
) -> None:
    with pytest.raises(operations.NoSharingBasis) as caught:
        _accept(db, world, automatic)
    assert "sharing_basis" in caught.value.errors
    assert fresh(db, automatic).status == ReferralStatus.NEW

    operations.record_sharing_basis(
        db, world.coordinator, automatic.id, version=automatic.version, basis=SAFEGUARDING
    )
    recorded = fresh(db, automatic)
    assert recorded.consent == "not_sought" and recorded.lawful_basis_code == "safeguarding"
    assert recorded.consent_reason.startswith("Asking would alert")
    assert consent.is_recorded(recorded)
    _accept(db, world, recorded)
    assert fresh(db, automatic).status == ReferralStatus.ACCEPTED
    summaries = list(
        db.scalars(
            select(AuditEvent.summary).where(AuditEvent.action == "referral_sharing_basis_recorded")
        )
    )
    assert len(summaries) == 1 and "lawful basis" in summaries[0]


def test_a_partner_referral_is_accepted_on_what_the_partner_said(db: Session, world: World) -> None:
    partner = make_referral(db, world.person, world.area, referrer=world.referrer)
    _accept(db, world, partner)
    assert fresh(db, partner).status == ReferralStatus.ACCEPTED


def test_other_basis_keeps_its_words_and_a_given_consent_drops_them(
    db: Session, world: World, automatic: Referral
) -> None:
    other = consent.SharingBasis(
        victim_views="Could not be reached.",
        consent="refused",
        consent_reason="Said she did not want the council involved.",
        lawful_basis_code="other",
        lawful_basis="UK GDPR Article 6(1)(d) vital interests",
    )
    operations.record_sharing_basis(
        db, world.coordinator, automatic.id, version=automatic.version, basis=other
    )
    saved = fresh(db, automatic)
    assert saved.lawful_basis == "UK GDPR Article 6(1)(d) vital interests"
    given = consent.SharingBasis(victim_views="Agreed.", consent="given", lawful_basis="stale")
    operations.record_sharing_basis(
        db, world.coordinator, automatic.id, version=saved.version, basis=given
    )
    saved = fresh(db, automatic)
    assert saved.consent == "given" and saved.lawful_basis_code == "" and saved.lawful_basis == ""


def test_record_refuses_bad_values_and_stale_versions(
    db: Session, world: World, automatic: Referral
) -> None:
    from dataclasses import replace

    with pytest.raises(Invalid) as caught:
        operations.record_sharing_basis(
            db, world.coordinator, automatic.id, version=automatic.version,
            basis=replace(SAFEGUARDING, lawful_basis_code=""),
        )  # fmt: skip
    assert "lawful_basis_code" in caught.value.errors
    with pytest.raises(Conflict):
        operations.record_sharing_basis(
            db, world.coordinator, automatic.id, version=automatic.version + 5,
            basis=SAFEGUARDING,
        )  # fmt: skip
    assert not consent.is_recorded(fresh(db, automatic))


def test_only_the_areas_coordinator_records_the_basis(
    db: Session, world: World, automatic: Referral
) -> None:
    admin = make_user(db, Role.ADMIN)
    member = make_user(db, Role.MEMBER, agency=world.police)
    for actor in (world.referrer, world.other_coordinator, admin, member):
        with pytest.raises(Refused):
            operations.record_sharing_basis(
                db, actor, automatic.id, version=automatic.version, basis=SAFEGUARDING
            )
    assert not consent.is_recorded(fresh(db, automatic))
    count = db.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "referral_sharing_basis_recorded")
    )
    assert count == 0


# ---- the pages ---------------------------------------------------------------------------


def test_the_page_says_the_basis_is_not_recorded_and_links_to_the_form(
    db: Session, world: World, automatic: Referral, login
) -> None:
    page = login(world.coordinator).get(f"/referrals/{automatic.id}").get_data(as_text=True)
    assert consent.NOT_RECORDED in page
    assert "Not sought" not in page
    assert f'href="/referrals/{automatic.id}/sharing-basis"' in page


def test_accept_on_the_page_is_refused_with_a_link_to_the_form(
    db: Session, world: World, automatic: Referral, login
) -> None:
    client = login(world.coordinator)
    response = client.submit(
        f"/referrals/{automatic.id}/accept",
        {"accept-version": str(automatic.version), "accept-area_id": str(world.area.id)},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "govuk-error-summary" in page and 'href="#accept-sharing_basis"' in page
    assert 'id="accept-sharing_basis"' in page
    assert f'href="/referrals/{automatic.id}/sharing-basis"' in page
    assert fresh(db, automatic).status == ReferralStatus.NEW

    form = client.get(f"/referrals/{automatic.id}/sharing-basis")
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert "paragraph 18: safeguarding of children and individuals at risk" in html
    assert 'data-aria-controls="conditional-lawful_basis_code-2"' in html  # the "other" reveal

    # The form's own errors: no reason for not seeking consent.
    bad = client.submit(
        f"/referrals/{automatic.id}/sharing-basis",
        {
            "version": str(automatic.version),
            "victim_views": "Wants it to stop.",
            "consent": "not_sought",
            "lawful_basis_code": "safeguarding",
        },
    )
    assert bad.status_code == 200 and "Enter why consent was not sought" in bad.get_data(
        as_text=True
    )
    saved = client.submit(
        f"/referrals/{automatic.id}/sharing-basis",
        {
            "version": str(automatic.version),
            "victim_views": "Wants it to stop.",
            "consent": "not_sought",
            "consent_reason": "Asking would alert the perpetrator.",
            "lawful_basis_code": "safeguarding",
        },
    )
    assert saved.status_code == 302
    version = fresh(db, automatic).version
    accepted = client.submit(
        f"/referrals/{automatic.id}/accept",
        {"accept-version": str(version), "accept-area_id": str(world.area.id)},
    )
    assert accepted.status_code == 302
    assert fresh(db, automatic).status == ReferralStatus.ACCEPTED
    page = client.get(f"/referrals/{automatic.id}").get_data(as_text=True)
    assert "Why consent was not sought" in page and "Asking would alert" in page


def test_the_form_is_refused_to_those_who_may_not_record(
    db: Session, world: World, automatic: Referral, login
) -> None:
    assert login(world.referrer).get(f"/referrals/{automatic.id}/sharing-basis").status_code == 403
    other = login(world.other_coordinator)
    assert other.get(f"/referrals/{automatic.id}/sharing-basis").status_code == 403
    response = other.submit(
        f"/referrals/{automatic.id}/sharing-basis",
        {"version": "1", "victim_views": "x", "consent": "given"},
    )
    assert response.status_code == 403
    assert fresh(db, automatic).victim_views == ""


def test_a_partner_referral_shows_the_consent_its_referrer_gave(
    db: Session, world: World, login
) -> None:
    partner = make_referral(db, world.person, world.area, referrer=world.referrer, consent="given")
    page = login(world.coordinator).get(f"/referrals/{partner.id}").get_data(as_text=True)
    consent_rows = page.split('id="consent"')[1].split("</dl>")[0]
    assert "Given" in consent_rows and consent.NOT_RECORDED not in consent_rows


def test_a_stale_form_is_refused_and_keeps_what_was_typed(
    db: Session, world: World, automatic: Referral, login
) -> None:
    client = login(world.coordinator)
    response = client.submit(
        f"/referrals/{automatic.id}/sharing-basis",
        {
            "version": str(automatic.version + 3),
            "victim_views": "Typed before someone else saved.",
            "consent": "given",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "govuk-error-summary" in page
    assert "Someone else changed this referral" in page
    assert "Typed before someone else saved." in page
    assert fresh(db, automatic).victim_views == ""


def test_the_screening_queue_marks_what_needs_a_basis_until_it_is_recorded(
    db: Session, world: World, automatic: Referral, login
) -> None:
    partner = make_referral(db, world.person, world.area, referrer=world.referrer)
    client = login(world.coordinator)

    def marked() -> dict[str, bool]:
        page = client.get("/referrals/screening").get_data(as_text=True)
        rows = page.split('<tr class="govuk-table__row">')[2:]
        return {
            ref: "Sharing basis needed" in row
            for row in rows
            for ref in (automatic.reference, partner.reference)
            if ref in row
        }

    assert marked() == {automatic.reference: True, partner.reference: False}
    operations.record_sharing_basis(
        db, world.coordinator, automatic.id, version=automatic.version, basis=SAFEGUARDING
    )
    db.commit()
    assert marked() == {automatic.reference: False, partner.reference: False}
