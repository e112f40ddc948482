"""Writes of accounts: users, agencies, areas, identity providers, and a user's own account.

Each function checks the actor may do it, changes the rows, records the audit row and
commits once (`marac.operations.operation`). Sign-in plumbing stays in `signin.py`,
`sessions.py`, `two_factor.py` and `invitations.py`; these call it where they need to.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role, User
from marac.accounts.sso_models import IdentityProvider
from marac.accounts.sso_rules import SecretBox, issuer_problem, normalise_issuer, parse_domains
from marac.audit import record
from marac.operations import Invalid, NotFound, allow, operation


def _admin(actor: User) -> None:
    allow(actor.has_role(Role.ADMIN))


# --- identity providers --------------------------------------------------------------

PROVIDER_FIELDS = [
    "agency_id",
    "display_name",
    "issuer",
    "client_id",
    "email_domains",
    "tenant_id",
    "trust_mfa",
    "mfa_acr_values",
    "enabled",
]


@dataclass(frozen=True)
class ProviderValues:
    """An identity provider's settings as typed; `client_secret` empty keeps the saved one."""

    agency_id: int
    display_name: str
    issuer: str
    client_id: str
    email_domains: str
    tenant_id: str = ""
    trust_mfa: bool = False
    mfa_acr_values: str = ""
    enabled: bool = False
    client_secret: str = ""


@operation
def save_identity_provider(
    db: Session,
    actor: User,
    provider_id: int | None,
    values: ProviderValues,
    *,
    box: SecretBox,
    production: bool,
) -> IdentityProvider:
    """Add (`provider_id` None) or change an agency's identity provider (admins only).

    The issuer must be usable here (https in production), the domains real, and a domain
    may belong to one enabled provider only. The secret is stored encrypted with `box`.
    """
    _admin(actor)
    provider = None
    if provider_id is not None:
        provider = db.get(IdentityProvider, provider_id)
        if provider is None:
            raise NotFound()
    errors: dict[str, list[str]] = {}
    issuer = normalise_issuer(values.issuer or "")
    if problem := issuer_problem(issuer, production=production):
        errors.setdefault("issuer", []).append(problem)
    domains, bad = parse_domains(values.email_domains or "")
    if bad:
        errors.setdefault("email_domains", []).append(
            f"{bad[0]} is not an email domain; enter domains like police.example"
        )
    elif not domains:
        errors.setdefault("email_domains", []).append("Enter at least one email domain")
    secret = values.client_secret or ""
    if provider is None and not secret:
        errors.setdefault("client_secret", []).append("Enter the client secret")
    if values.enabled and domains and not bad:
        others = db.scalars(
            select(IdentityProvider).where(
                IdentityProvider.enabled,
                IdentityProvider.id != (provider.id if provider else 0),
            )
        )
        for other in others:
            if clash := sorted(set(other.domain_list) & set(domains)):
                errors.setdefault("email_domains", []).append(
                    f"{clash[0]} already signs in with {other.display_name}: "
                    "a domain can belong to one enabled provider"
                )
                break
    if errors:
        raise Invalid(errors)
    data = {
        "agency_id": values.agency_id,
        "display_name": values.display_name,
        "issuer": issuer,
        "client_id": values.client_id,
        "email_domains": "\n".join(domains),
        "tenant_id": values.tenant_id or "",
        "trust_mfa": bool(values.trust_mfa),
        "mfa_acr_values": " ".join((values.mfa_acr_values or "").split()),
        "enabled": bool(values.enabled),
    }
    if provider is None:
        provider = IdentityProvider(**data, client_secret_encrypted=box.encrypt(secret))
        db.add(provider)
        db.flush()
        record(
            db,
            "identity_provider_created",
            "identity_provider",
            provider.id,
            f"Added {provider.display_name} for agency {provider.agency_id}, issuer {issuer}",
            user=actor,
        )
        return provider
    changed = [f for f in PROVIDER_FIELDS if getattr(provider, f) != data[f]]
    for key, value in data.items():
        setattr(provider, key, value)
    if secret:
        provider.client_secret_encrypted = box.encrypt(secret)
        changed.append("client secret")
    record(
        db,
        "identity_provider_updated",
        "identity_provider",
        provider.id,
        "Changed " + (", ".join(c.replace("_", " ") for c in changed) or "nothing"),
        user=actor,
    )
    return provider
