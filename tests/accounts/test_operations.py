"""Accounts operations called directly: admin writes, each with its check and audit row."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.accounts import operations
from marac.accounts.models import Agency, Area, Invitation, Role, User
from marac.accounts.passwords import verify_password
from marac.accounts.sso_models import IdentityProvider
from marac.accounts.sso_rules import SecretBox
from marac.audit.models import AuditEvent
from marac.incidents.local_strands import add_local_strand, change_local_strand
from marac.incidents.models import LocalStrand
from marac.operations import Invalid, NotFound, Refused
from tests.conftest import TEST_SECRET
from tests.factories import PASSWORD, make_agency, make_area, make_user

SERVICE = "Community MARAC"


def _actions(db: Session) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def _user_values(agency: Agency, **changes: object) -> operations.UserValues:
    values = {
        "name": "Nia New",
        "email": "nia.new@example.org",
        "agency_id": agency.id,
        "role": Role.REFERRER.value,
    }
    values.update(changes)
    return operations.UserValues(**values)  # type: ignore[arg-type]


def test_admin_creates_a_user_who_is_invited(db: Session) -> None:
    admin = make_user(db, Role.ADMIN)
    agency = make_agency(db)
    user = operations.save_user(db, admin, None, _user_values(agency), service_name=SERVICE)
    db.expire_all()
    saved = db.get(User, user.id)
    assert saved.email == "nia.new@example.org" and saved.password_hash == ""
    assert db.scalar(select(func.count()).where(Invitation.user_id == user.id)) == 1
    row = db.scalar(select(AuditEvent).where(AuditEvent.action == "user_created"))
    assert row.user_id == admin.id and "nia.new@example.org" in row.summary


def test_non_admin_is_refused_and_nothing_is_written(db: Session) -> None:
    coordinator = make_user(db, Role.COORDINATOR)
    agency = make_agency(db)
    before = db.scalar(select(func.count()).select_from(User))
    with pytest.raises(Refused):
        operations.save_user(db, coordinator, None, _user_values(agency), service_name=SERVICE)
    with pytest.raises(Refused):
        operations.save_agency(db, coordinator, None, operations.AgencyValues("X", "police"))
    with pytest.raises(Refused):
        operations.unlock_user(db, coordinator, coordinator.id)
    assert db.scalar(select(func.count()).select_from(User)) == before
    assert _actions(db) == []


def test_duplicate_email_in_any_case_is_invalid(db: Session) -> None:
    admin = make_user(db, Role.ADMIN)
    agency = make_agency(db)
    operations.save_user(db, admin, None, _user_values(agency), service_name=SERVICE)
    with pytest.raises(Invalid) as caught:
        operations.save_user(
            db, admin, None, _user_values(agency, email="NIA.NEW@example.org"), service_name=SERVICE
        )
    assert "email" in caught.value.errors
    assert (
        db.scalar(select(func.count()).where(func.lower(User.email) == "nia.new@example.org")) == 1
    )


def test_only_coordinators_hold_areas_and_an_admin_keeps_their_own_access(db: Session) -> None:
    admin = make_user(db, Role.ADMIN)
    agency = make_agency(db)
    area = make_area(db)
    with pytest.raises(Invalid) as caught:
        operations.save_user(
            db,
            admin,
            None,
            _user_values(agency, area_ids=frozenset({area.id})),
            service_name=SERVICE,
        )
    assert "areas" in caught.value.errors
    mine = _user_values(admin.agency, name=admin.name, email=admin.email, role=Role.MEMBER.value)
    with pytest.raises(Invalid) as caught:
        operations.save_user(db, admin, admin.id, mine, service_name=SERVICE)
    assert "role" in caught.value.errors
    db.expire_all()
    assert db.get(User, admin.id).role == Role.ADMIN


def test_changing_a_role_ends_the_users_sessions(db: Session) -> None:
    admin = make_user(db, Role.ADMIN)
    member = make_user(db, Role.MEMBER)
    version = member.session_version
    values = _user_values(
        member.agency, name=member.name, email=member.email, role=Role.REFERRER.value
    )
    operations.save_user(db, admin, member.id, values, service_name=SERVICE)
    db.expire_all()
    assert db.get(User, member.id).session_version == version + 1
    row = db.scalar(select(AuditEvent).where(AuditEvent.action == "user_updated"))
    assert row.summary == "Changed role"


def test_password_and_second_factor_resets(db: Session) -> None:
    admin = make_user(db, Role.ADMIN)
    member = make_user(db, Role.MEMBER)
    operations.reset_password(db, admin, member.id, service_name=SERVICE)
    operations.reset_second_factor(db, admin, member.id, service_name=SERVICE)
    db.expire_all()
    saved = db.get(User, member.id)
    assert saved.password_hash == "" and saved.totp_secret is None
    assert _actions(db)[-2:] == ["password_reset", "second_factor_reset"]
    saved.active = False
    db.commit()
    with pytest.raises(Invalid):
        operations.reset_password(db, admin, member.id, service_name=SERVICE)
    with pytest.raises(NotFound):
        operations.unlock_user(db, admin, 999_999)


def test_agencies_are_unique_by_name(db: Session) -> None:
    admin = make_user(db, Role.ADMIN)
    agency = operations.save_agency(
        db, admin, None, operations.AgencyValues("Ashbrook Housing", "housing", date(2027, 1, 1))
    )
    assert db.get(Agency, agency.id).type == "housing"
    with pytest.raises(Invalid) as caught:
        operations.save_agency(
            db, admin, None, operations.AgencyValues("ashbrook housing", "other")
        )
    assert "name" in caught.value.errors
    assert "agency_created" in _actions(db)


def test_a_new_area_gets_the_default_local_strands_in_the_same_transaction(db: Session) -> None:
    admin = make_user(db, Role.ADMIN)
    area = operations.save_area(
        db, admin, None, operations.AreaValues("Ashbrook East", "Ward A\n\n Ward B ", "ak5 ak6")
    )
    db.expire_all()
    saved = db.get(Area, area.id)
    assert saved.wards == "Ward A\nWard B" and saved.postcode_districts == "AK5 AK6"
    names = db.scalars(select(LocalStrand.name).where(LocalStrand.area_id == area.id)).all()
    assert sorted(names) == ["Age", "Alternative subcultures", "Sex or gender"]
    row = db.scalar(select(AuditEvent).where(AuditEvent.action == "area_created"))
    assert row.summary.endswith("local strands: Alternative subcultures, Sex or gender, Age")
    with pytest.raises(Invalid):
        operations.save_area(db, admin, None, operations.AreaValues("ASHBROOK EAST"))


def test_local_strands_are_unique_within_their_area(db: Session) -> None:
    admin = make_user(db, Role.ADMIN)
    area, other = make_area(db), make_area(db)
    strand = add_local_strand(db, admin, area.id, name="Goths")
    add_local_strand(db, admin, other.id, name="Goths")
    with pytest.raises(Invalid):
        add_local_strand(db, admin, area.id, name="goths")
    with pytest.raises(NotFound):
        change_local_strand(db, admin, other.id, strand.id, name="Emos", active=True)
    change_local_strand(db, admin, area.id, strand.id, name="Emos", active=False)
    db.expire_all()
    assert (db.get(LocalStrand, strand.id).name, db.get(LocalStrand, strand.id).active) == (
        "Emos",
        False,
    )
    with pytest.raises(Refused):
        add_local_strand(db, make_user(db, Role.COORDINATOR), area.id, name="Age")


def _provider(agency: Agency, **changes: object) -> operations.ProviderValues:
    values = {
        "agency_id": agency.id,
        "display_name": "Police sign-in",
        "issuer": "https://login.example.com/tenant/v2.0/",
        "client_id": "client-1",
        "email_domains": "police.example",
        "enabled": True,
        "client_secret": "s3cret",
    }
    values.update(changes)
    return operations.ProviderValues(**values)  # type: ignore[arg-type]


def test_identity_providers_keep_domains_to_one_enabled_provider(db: Session) -> None:
    admin = make_user(db, Role.ADMIN)
    agency = make_agency(db)
    box = SecretBox(TEST_SECRET)
    provider = operations.save_identity_provider(
        db, admin, None, _provider(agency), box=box, production=True
    )
    db.expire_all()
    saved = db.get(IdentityProvider, provider.id)
    assert saved.client_secret_encrypted != "s3cret"
    assert box.decrypt(saved.client_secret_encrypted) == "s3cret"
    with pytest.raises(Invalid) as caught:
        operations.save_identity_provider(
            db, admin, None, _provider(agency, issuer="http://x.example"), box=box, production=True
        )
    assert {"issuer", "email_domains"} <= set(caught.value.errors)
    with pytest.raises(Refused):
        operations.save_identity_provider(
            db, make_user(db, Role.MEMBER), provider.id, _provider(agency), box=box, production=True
        )
    assert _actions(db) == ["identity_provider_created"]


# ---- a user's own account ------------------------------------------------------------


def test_wrong_passwords_lock_the_account_after_the_limit(db: Session) -> None:
    member = make_user(db, Role.MEMBER)
    locked = [
        operations.refuse_sign_in(db, member, "password", max_attempts=3, lockout_minutes=15)
        for _ in range(3)
    ]
    assert locked == [False, False, True]
    db.expire_all()
    assert db.get(User, member.id).locked_until is not None
    assert _actions(db) == ["login_failed"] * 3 + ["account_locked"]
    operations.refuse_sign_in(db, None, "unknown", max_attempts=3, lockout_minutes=15)
    row = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (row.user_id, row.summary) == (None, "Unknown or inactive")


def test_changing_ones_own_password(db: Session) -> None:
    member = make_user(db, Role.MEMBER)
    with pytest.raises(Invalid) as caught:
        operations.change_own_password(
            db, member, current="not it", new="a-much-longer-new-passphrase", keep_session_id=None
        )
    assert "current_password" in caught.value.errors
    with pytest.raises(Invalid) as caught:
        operations.change_own_password(
            db, member, current=PASSWORD, new="password", keep_session_id=None
        )
    assert "new_password" in caught.value.errors
    assert _actions(db) == []
    operations.change_own_password(
        db, member, current=PASSWORD, new="a-much-longer-new-passphrase", keep_session_id=None
    )
    db.expire_all()
    assert verify_password(db.get(User, member.id).password_hash, "a-much-longer-new-passphrase")
    assert _actions(db) == ["password_changed"]


def test_an_invitation_sets_a_password_once(db: Session) -> None:
    admin = make_user(db, Role.ADMIN)
    user = operations.save_user(db, admin, None, _user_values(admin.agency), service_name=SERVICE)
    invitation = db.scalar(select(Invitation).where(Invitation.user_id == user.id))
    with pytest.raises(Invalid):
        operations.set_password_from_link(db, invitation.id, "short")
    operations.set_password_from_link(db, invitation.id, "a-much-longer-new-passphrase")
    with pytest.raises(NotFound):
        operations.set_password_from_link(db, invitation.id, "another-long-passphrase-here")
    db.expire_all()
    assert verify_password(db.get(User, user.id).password_hash, "a-much-longer-new-passphrase")
    assert _actions(db)[-1] == "password_set"
