"""Single sign-on: each agency's OpenID Connect provider, and the accounts linked to one.

Separate from `models.py` so that a user row carries no provider details: a linked
identity is matched by issuer and subject, never by email alone after the first time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marac.accounts.models import Agency, User
from marac.db import Base, UTCDateTime, utcnow


class IdentityProvider(Base):
    """An agency's OpenID Connect provider (Microsoft Entra ID or similar)."""

    __tablename__ = "identity_provider"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(300))
    # Fernet token (see sso_rules.SecretBox): never stored or shown in clear.
    client_secret_encrypted: Mapped[str] = mapped_column(Text)
    # Lower-case email domains, one a line: a work email in one of them uses this provider.
    email_domains: Mapped[str] = mapped_column(Text, default="")
    # Entra ID's `tid` claim must equal this when set.
    tenant_id: Mapped[str] = mapped_column(String(100), default="")
    # Whether the provider's MFA assertion (amr "mfa" or one of the acr values) is trusted.
    trust_mfa: Mapped[bool] = mapped_column(Boolean, default=False)
    mfa_acr_values: Mapped[str] = mapped_column(String(500), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    agency: Mapped[Agency] = relationship(lazy="joined")

    @property
    def domain_list(self) -> list[str]:
        return [d for d in self.email_domains.split() if d]

    @property
    def acr_list(self) -> list[str]:
        return [v for v in self.mfa_acr_values.split() if v]


class SsoIdentity(Base):
    """A user's account at a provider: stored the first time they sign in with it."""

    __tablename__ = "sso_identity"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_sso_identity_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("identity_provider.id", ondelete="CASCADE"), index=True
    )
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="joined")
