"""The referral operations called directly (no HTTP): rules, refusals, audit and notices."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.audit.models import AuditEvent
from marac.notify.models import Notification
from marac.operations import Conflict, Invalid, Refused
from marac.referrals import operations, queries
from marac.referrals.models import Referral, ReferralIncident, ReferralStatus
from tests.factories import make_user
from tests.referrals.helpers import World, make_referral


@pytest.fixture
def world(db: Session) -> World:
    return World(db)


def _details(world: World, **changes: object) -> operations.PartnerReferral:
    base = operations.PartnerReferral(
        subject_type="victim",
        incident_ids=[world.incident.id],
        reasons="Repeated abuse outside the shop; the victim is frightened to go out.",
        consent="given",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _audits(db: Session, action: str, referral_id: int | None = None) -> int:
    query = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    if referral_id is not None:
        query = query.where(AuditEvent.object_id == str(referral_id))
    return db.scalar(query) or 0


def _notices(db: Session, user_id: int, kind: str) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.kind == kind)
        )
        or 0
    )


def _referrals(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Referral)) or 0


# ---- a partner's referral -------------------------------------------------------------------


def test_a_partner_refers_a_case(db: Session, world: World) -> None:
    referral = operations.refer_case(db, world.referrer, world.person.id, _details(world))
    db.expire_all()
    saved = db.get(Referral, referral.id)
    assert saved is not None
    assert saved.status == ReferralStatus.NEW
    assert saved.source == "partner"
    assert saved.area_id == world.area.id
    assert saved.referrer_id == world.referrer.id
    assert saved.reference.startswith("CM-")
    assert db.scalars(
        select(ReferralIncident.incident_id).where(ReferralIncident.referral_id == saved.id)
    ).all() == [world.incident.id]
    audit = db.scalar(select(AuditEvent).where(AuditEvent.action == "referral_created"))
    assert audit is not None and audit.user_id == world.referrer.id
    assert _notices(db, world.coordinator.id, "referral_created") == 1
    assert _notices(db, world.other_coordinator.id, "referral_created") == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reasons": "  "}, "reasons"),
        ({"consent": "maybe"}, "consent"),
        ({"consent": "refused", "lawful_basis": ""}, "lawful_basis"),
        ({"consent": "not_sought", "lawful_basis": ""}, "lawful_basis"),
        ({"subject_type": "neighbour"}, "subject_type"),
        ({"subject_type": "location", "location": ""}, "location"),
        ({"location_postcode": "NOT A CODE"}, "location_postcode"),
        ({"support_status": "offered", "support_service": ""}, "support_service"),
        ({"incident_ids": []}, "incident_ids"),
        ({"reasons": "x" * 10001}, "reasons"),
    ],
)
def test_a_referral_breaking_a_content_rule_is_invalid(
    db: Session, world: World, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(Invalid) as caught:
        operations.refer_case(db, world.referrer, world.person.id, _details(world, **changes))
    assert field in caught.value.errors
    assert _referrals(db) == 0
    assert _audits(db, "referral_created") == 0


def test_sharing_without_consent_keeps_the_lawful_basis(db: Session, world: World) -> None:
    details = _details(world, consent="refused", lawful_basis="To prevent serious harm.")
    referral = operations.refer_case(db, world.referrer, world.person.id, details)
    assert db.get(Referral, referral.id).lawful_basis == "To prevent serious harm."  # type: ignore[union-attr]


def test_an_incident_the_partner_may_not_see_is_refused(db: Session, world: World) -> None:
    stranger = make_user(db, Role.REFERRER)
    with pytest.raises(Refused):
        operations.refer_case(db, stranger, world.person.id, _details(world))
    assert _referrals(db) == 0


def test_an_admin_may_not_refer(db: Session, world: World) -> None:
    admin = make_user(db, Role.ADMIN)
    with pytest.raises(Refused):
        operations.refer_case(db, admin, world.person.id, _details(world))
    assert _referrals(db) == 0


# ---- screening ------------------------------------------------------------------------------


def _waiting(db: Session, world: World) -> Referral:
    return make_referral(db, world.person, world.area, referrer=world.referrer)


def test_accept(db: Session, world: World) -> None:
    referral = _waiting(db, world)
    operations.accept_referral(
        db, world.coordinator, referral.id, version=referral.version, area_id=world.area.id
    )
    db.expire_all()
    saved = db.get(Referral, referral.id)
    assert saved is not None and saved.status == ReferralStatus.ACCEPTED
    assert saved.screened_by_id == world.coordinator.id
    assert _audits(db, "referral_accepted", referral.id) == 1


def test_accept_may_move_the_referral_to_another_area(db: Session, world: World) -> None:
    referral = _waiting(db, world)
    operations.accept_referral(
        db, world.coordinator, referral.id, version=referral.version, area_id=world.other_area.id
    )
    db.expire_all()
    assert db.get(Referral, referral.id).area_id == world.other_area.id  # type: ignore[union-attr]


def test_accept_needs_a_real_area(db: Session, world: World) -> None:
    referral = _waiting(db, world)
    with pytest.raises(Invalid) as caught:
        operations.accept_referral(
            db, world.coordinator, referral.id, version=referral.version, area_id=0
        )
    assert "area_id" in caught.value.errors
    db.expire_all()
    assert db.get(Referral, referral.id).status == ReferralStatus.NEW  # type: ignore[union-attr]


def test_decline_with_a_reason(db: Session, world: World) -> None:
    referral = _waiting(db, world)
    operations.decline_referral(
        db, world.coordinator, referral.id, version=referral.version, reason="mappa",
        details="Managed under MAPPA level 2.",
    )  # fmt: skip
    db.expire_all()
    saved = db.get(Referral, referral.id)
    assert saved is not None and saved.status == ReferralStatus.DECLINED
    assert "MAPPA level 2" in (saved.screening_note or "")
    audit = db.scalar(select(AuditEvent).where(AuditEvent.action == "referral_declined"))
    assert audit is not None and "MAPPA level 2" not in audit.summary


@pytest.mark.parametrize(
    ("reason", "details", "field"),
    [
        ("", "Some details.", "reason"),
        ("bogus", "Some details.", "reason"),
        ("other", " ", "details"),
    ],
)
def test_decline_without_a_reason_is_invalid(
    db: Session, world: World, reason: str, details: str, field: str
) -> None:
    referral = _waiting(db, world)
    with pytest.raises(Invalid) as caught:
        operations.decline_referral(
            db, world.coordinator, referral.id, version=referral.version, reason=reason,
            details=details,
        )  # fmt: skip
    assert field in caught.value.errors
    assert _audits(db, "referral_declined") == 0


def test_ask_for_more_information_tells_the_referrer(db: Session, world: World) -> None:
    referral = _waiting(db, world)
    operations.request_more_information(
        db, world.coordinator, referral.id, version=referral.version,
        request_text="Which school does the child attend?",
    )  # fmt: skip
    db.expire_all()
    saved = db.get(Referral, referral.id)
    assert saved is not None and saved.status == ReferralStatus.MORE_INFO
    assert _audits(db, "referral_more_info_requested", referral.id) == 1
    assert _notices(db, world.referrer.id, "more_info_requested") == 1


def test_asking_for_nothing_is_invalid(db: Session, world: World) -> None:
    referral = _waiting(db, world)
    with pytest.raises(Invalid) as caught:
        operations.request_more_information(
            db, world.coordinator, referral.id, version=referral.version, request_text=""
        )
    assert "request_text" in caught.value.errors
    assert _notices(db, world.referrer.id, "more_info_requested") == 0


def test_the_referrer_replies(db: Session, world: World) -> None:
    referral = make_referral(
        db, world.person, world.area, referrer=world.referrer, status=ReferralStatus.MORE_INFO
    )
    operations.add_information(
        db, world.referrer, referral.id, version=referral.version, information="St Mary's."
    )
    db.expire_all()
    saved = db.get(Referral, referral.id)
    assert saved is not None and saved.status == ReferralStatus.NEW
    assert "St Mary's." in saved.reasons
    assert _audits(db, "referral_info_added", referral.id) == 1


def test_someone_else_may_not_reply(db: Session, world: World) -> None:
    referral = make_referral(
        db, world.person, world.area, referrer=world.referrer, status=ReferralStatus.MORE_INFO
    )
    with pytest.raises(Refused):
        operations.add_information(
            db, world.coordinator, referral.id, version=referral.version, information="Hello"
        )
    with pytest.raises(Invalid):
        operations.add_information(
            db, world.referrer, referral.id, version=referral.version, information=" "
        )
    assert _audits(db, "referral_info_added") == 0


SCREENINGS = {
    "accept": lambda db, actor, r, w: operations.accept_referral(
        db, actor, r.id, version=r.version, area_id=w.area.id
    ),
    "decline": lambda db, actor, r, w: operations.decline_referral(
        db, actor, r.id, version=r.version, reason="other", details="Not for us."
    ),
    "more": lambda db, actor, r, w: operations.request_more_information(
        db, actor, r.id, version=r.version, request_text="Tell us more."
    ),
}


@pytest.mark.parametrize("decision", sorted(SCREENINGS))
@pytest.mark.parametrize("who", ["other_coordinator", "referrer", "admin"])
def test_only_the_areas_coordinator_screens(
    db: Session, world: World, decision: str, who: str
) -> None:
    referral = _waiting(db, world)
    actor = make_user(db, Role.ADMIN) if who == "admin" else getattr(world, who)
    with pytest.raises(Refused):
        SCREENINGS[decision](db, actor, referral, world)
    db.expire_all()
    assert db.get(Referral, referral.id).status == ReferralStatus.NEW  # type: ignore[union-attr]
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.object_id == str(referral.id))) == 0  # fmt: skip


@pytest.mark.parametrize("decision", sorted(SCREENINGS))
def test_a_stale_version_is_a_conflict(db: Session, world: World, decision: str) -> None:
    referral = _waiting(db, world)
    referral.screening_note = "touched"  # someone else saved: the version moves on
    db.commit()
    stale = Referral(id=referral.id, version=referral.version - 1)
    with pytest.raises(Conflict):
        SCREENINGS[decision](db, world.coordinator, stale, world)
    db.expire_all()
    assert db.get(Referral, referral.id).status == ReferralStatus.NEW  # type: ignore[union-attr]


def test_a_screened_referral_cannot_be_screened_again(db: Session, world: World) -> None:
    referral = make_referral(
        db, world.person, world.area, referrer=world.referrer, status=ReferralStatus.ACCEPTED
    )
    with pytest.raises(operations.AlreadyScreened):
        SCREENINGS["decline"](db, world.coordinator, referral, world)


def test_a_save_racing_another_is_a_conflict(db: Session, app, world: World) -> None:
    """Both read version 1; the second flush finds the row moved on (StaleDataError)."""
    referral = _waiting(db, world)
    other = app.extensions["marac_db"].sessionmaker()
    try:
        mine = other.get(Referral, referral.id)
        assert mine is not None
        operations.decline_referral(
            db, world.coordinator, referral.id, version=1, reason="other", details="Not ours."
        )
        coordinator = other.get(type(world.coordinator), world.coordinator.id)
        with pytest.raises(Conflict):
            operations.accept_referral(
                other, coordinator, referral.id, version=1, area_id=world.area.id
            )
    finally:
        other.close()


# ---- queries --------------------------------------------------------------------------------


def test_the_screening_queue_is_the_coordinators_own(db: Session, world: World) -> None:
    mine = _waiting(db, world)
    make_referral(db, world.person, world.other_area, referrer=world.referrer)
    listed = queries.screening_queue(db, world.coordinator, 1)
    assert [r.id for r in listed.page.items] == [mine.id]
    with pytest.raises(Refused):
        queries.screening_queue(db, world.referrer, 1)
    assert _audits(db, "screening_queue_viewed") == 1


def test_visible_referral_checks_need_to_know(db: Session, world: World) -> None:
    referral = _waiting(db, world)
    assert queries.visible_referral(db, world.coordinator, referral.id).id == referral.id
    with pytest.raises(Refused):
        queries.visible_referral(db, world.other_coordinator, referral.id)
    with pytest.raises(Refused):
        queries.visible_referral(db, make_user(db, Role.ADMIN), referral.id)


# ---- trigger settings -----------------------------------------------------------------------


def _thresholds(**changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "high_risk_enabled": True,
        "repeat_window_days": 180,
        "escalation_incidents": 2,
        "escalation_window_days": 90,
    }
    return {**values, **changes}


def test_an_admin_saves_an_areas_trigger_settings(db: Session, world: World) -> None:
    from marac.referrals.models import TriggerSettings

    admin = make_user(db, Role.ADMIN)
    operations.save_trigger_settings(db, admin, world.area.id, **_thresholds())  # type: ignore[arg-type]
    db.expire_all()
    saved = db.get(TriggerSettings, world.area.id)
    assert saved is not None and (saved.repeat_window_days, saved.escalation_incidents) == (180, 2)
    audit = db.scalar(select(AuditEvent).where(AuditEvent.action == "trigger_settings_updated"))
    assert audit is not None and "repeat_window_days=180" in audit.summary
    assert audit.user_id == admin.id
    assert queries.area_triggers(db, admin, world.area.id).saved


@pytest.mark.parametrize(
    "changes",
    [{"repeat_window_days": 0}, {"escalation_incidents": 21}, {"escalation_window_days": 3651}],
)
def test_trigger_thresholds_out_of_range_are_invalid(
    db: Session, world: World, changes: dict[str, object]
) -> None:
    admin = make_user(db, Role.ADMIN)
    with pytest.raises(Invalid) as caught:
        operations.save_trigger_settings(db, admin, world.area.id, **_thresholds(**changes))  # type: ignore[arg-type]
    assert set(caught.value.errors) == set(changes)
    assert _audits(db, "trigger_settings_updated") == 0


def test_only_an_admin_saves_trigger_settings(db: Session, world: World) -> None:
    with pytest.raises(Refused):
        operations.save_trigger_settings(db, world.coordinator, world.area.id, **_thresholds())  # type: ignore[arg-type]
    with pytest.raises(Refused):
        queries.area_triggers(db, world.coordinator, world.area.id)
    assert _audits(db, "trigger_settings_updated") == 0
