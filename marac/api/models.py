"""API clients: a partner's records system that may call the intake API with a bearer token."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marac.accounts.models import Agency, User
from marac.db import Base, UTCDateTime, utcnow


class Scope(StrEnum):
    """What a client's token may do; an admin grants each one."""

    INCIDENTS_WRITE = "incidents:write"
    ASSESSMENTS_WRITE = "assessments:write"
    ASSESSMENTS_ENDORSE = "assessments:endorse"
    REFERRALS_READ = "referrals:read"

    @property
    def label(self) -> str:
        return SCOPE_LABELS[self]


SCOPE_LABELS: dict[Scope, str] = {
    Scope.INCIDENTS_WRITE: "Record incidents",
    Scope.ASSESSMENTS_WRITE: "Send risk assessments",
    Scope.ASSESSMENTS_ENDORSE: "Send a supervisor's endorsement with an assessment",
    Scope.REFERRALS_READ: "Read back the status of what it sent",
}


class ApiClient(Base):
    """One registered records system. Only a prefix and the SHA-256 of its token are kept.

    The prefix finds the row without scanning; the hash proves the rest. Calls act as
    `service_user`, a user of the client's agency who can never sign in, so every
    operation's authorisation and audit work for the API as they do for the pages.
    """

    __tablename__ = "api_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    # Space-separated `Scope` values.
    scopes: Mapped[str] = mapped_column(String(200), default="")
    token_prefix: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    service_user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_address: Mapped[str] = mapped_column(String(45), default="")

    agency: Mapped[Agency] = relationship(lazy="joined")
    service_user: Mapped[User] = relationship(foreign_keys=[service_user_id], lazy="joined")

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    @property
    def scope_list(self) -> list[Scope]:
        return [s for s in Scope if s.value in self.scope_set]

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class IntakeKind(StrEnum):
    INCIDENT = "incident"
    ASSESSMENT = "assessment"


class ApiIntake(Base):
    """One create a client sent: its Idempotency-Key, its own reference, what it made.

    Both uniques hold across concurrent retries: the row is inserted in the transaction
    that creates the record, so a second identical request waits on the first and then
    fails its insert, and is answered with the first one's result.
    """

    __tablename__ = "api_intake"
    __table_args__ = (
        UniqueConstraint("client_id", "idempotency_key", name="uq_api_intake_client_key"),
        UniqueConstraint(
            "client_id", "kind", "sender_reference", name="uq_api_intake_client_reference"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_client.id"))
    kind: Mapped[str] = mapped_column(String(20))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    # SHA-256 of the canonical JSON body: the same key with another body is refused.
    request_hash: Mapped[str] = mapped_column(String(64))
    sender_reference: Mapped[str] = mapped_column(String(80))
    resource_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
