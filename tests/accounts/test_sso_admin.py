"""Admin pages for single sign-on providers: validation, audit, and the secret kept secret."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.accounts.sso_models import IdentityProvider
from marac.accounts.sso_rules import SecretBox
from marac.audit.models import AuditEvent
from tests.conftest import TEST_SECRET
from tests.factories import make_agency, make_user

SECRET = "client-secret-value-7f3a9c"


def form(agency_id: int, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "agency_id": agency_id,
        "display_name": "Testshire Police account",
        "issuer": "https://login.example.com/tenant-1/v2.0/",
        "client_id": "client-123",
        "client_secret": SECRET,
        "email_domains": "police.example\n@Met.Police.Example, police.example",
        "tenant_id": "tenant-1",
        "trust_mfa": "y",
        "mfa_acr_values": "  urn:a   urn:b ",
        "enabled": "y",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def admin_client(db: Session, login: Any) -> Any:
    return login(make_user(db, Role.ADMIN))


def test_admin_adds_a_provider_with_the_secret_encrypted(db: Session, admin_client: Any) -> None:
    agency = make_agency(db, name="Testshire Police")
    response = admin_client.submit("/admin/identity-providers/new", form(agency.id))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]

    provider = db.scalar(select(IdentityProvider))
    assert provider is not None
    assert provider.issuer == "https://login.example.com/tenant-1/v2.0"  # trailing / dropped
    assert provider.domain_list == ["police.example", "met.police.example"]
    assert provider.acr_list == ["urn:a", "urn:b"] and provider.trust_mfa
    # Encrypted at rest: not the secret, and it decrypts with the app's key.
    assert SECRET not in provider.client_secret_encrypted
    assert SecretBox(TEST_SECRET).decrypt(provider.client_secret_encrypted) == SECRET
    # Never shown again, never in the audit log.
    page = admin_client.get(f"/admin/identity-providers/{provider.id}").get_data(as_text=True)
    assert SECRET not in page and provider.client_secret_encrypted not in page
    assert "A secret is saved" in page
    listing = admin_client.get("/admin/identity-providers").get_data(as_text=True)
    assert "Testshire Police account" in listing and "met.police.example" in listing
    summaries = db.scalars(select(AuditEvent.summary)).all()
    assert all(SECRET not in s for s in summaries)
    assert db.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == (
        "identity_provider_created"
    )


def test_editing_without_a_secret_keeps_it_and_a_new_one_replaces_it(
    db: Session, admin_client: Any
) -> None:
    agency = make_agency(db)
    admin_client.submit("/admin/identity-providers/new", form(agency.id))
    provider = db.scalar(select(IdentityProvider))
    assert provider is not None
    url = f"/admin/identity-providers/{provider.id}"

    response = admin_client.submit(url, form(agency.id, client_secret="", enabled=None))
    assert response.status_code == 302
    db.refresh(provider)
    assert not provider.enabled  # disabled
    assert SecretBox(TEST_SECRET).decrypt(provider.client_secret_encrypted) == SECRET
    last = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert last is not None and last.action == "identity_provider_updated"
    assert last.summary == "Changed enabled"

    admin_client.submit(url, form(agency.id, client_secret="a-new-secret-value"))
    db.refresh(provider)
    assert SecretBox(TEST_SECRET).decrypt(provider.client_secret_encrypted) == (
        "a-new-secret-value"
    )
    summary = db.scalars(select(AuditEvent.summary).order_by(AuditEvent.id.desc())).first()
    assert summary == "Changed enabled, client secret"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"issuer": "http://login.example.com"}, "issuer", "must start with https://"),
        ({"issuer": "not a url"}, "issuer", "Enter the issuer as a web address"),
        ({"issuer": "https://x.example/?a=1"}, "issuer", "cannot contain a query"),
        ({"email_domains": "police.example not_a_domain"}, "email_domains", "not_a_domain is"),
        ({"email_domains": ""}, "email_domains", "Enter at least one email domain"),
        ({"client_secret": ""}, "client_secret", "Enter the client secret"),
        ({"client_id": ""}, "client_id", "Enter the client ID"),
        ({"display_name": ""}, "display_name", "Enter the name shown to users"),
    ],
)
def test_bad_settings_get_an_error_summary(
    db: Session, admin_client: Any, changes: dict[str, str], field: str, message: str
) -> None:
    agency = make_agency(db)
    response = admin_client.submit("/admin/identity-providers/new", form(agency.id, **changes))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "govuk-error-summary" in page and f'href="#{field}"' in page and message in page
    assert db.scalar(select(IdentityProvider)) is None


def test_http_issuer_is_allowed_only_on_loopback_outside_production(
    db: Session, admin_client: Any
) -> None:
    agency = make_agency(db)
    response = admin_client.submit(
        "/admin/identity-providers/new", form(agency.id, issuer="http://127.0.0.1:8080")
    )
    assert response.status_code == 302


def test_a_domain_belongs_to_one_enabled_provider(db: Session, admin_client: Any) -> None:
    police, housing = make_agency(db), make_agency(db)
    admin_client.submit("/admin/identity-providers/new", form(police.id))
    response = admin_client.submit(
        "/admin/identity-providers/new",
        form(housing.id, display_name="Housing", email_domains="police.example"),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "police.example already signs in with Testshire Police account" in page
    # Disabled, it may share the domain (for example while moving to a new tenant).
    response = admin_client.submit(
        "/admin/identity-providers/new",
        form(housing.id, display_name="Housing", email_domains="police.example", enabled=None),
    )
    assert response.status_code == 302


@pytest.mark.parametrize("role", [Role.REFERRER, Role.MEMBER, Role.COORDINATOR])
def test_only_admins_manage_providers(db: Session, login: Any, role: Role) -> None:
    agency = make_agency(db)
    client = login(make_user(db, role, agency=agency))
    assert client.get("/admin/identity-providers").status_code == 403
    assert client.get("/admin/identity-providers/new").status_code == 403
    assert client.submit("/admin/identity-providers/new", form(agency.id)).status_code == 403
    assert db.scalar(select(IdentityProvider)) is None


def test_agencies_page_links_to_providers(admin_client: Any) -> None:
    page = admin_client.get("/admin/agencies").get_data(as_text=True)
    assert 'href="/admin/identity-providers"' in page
