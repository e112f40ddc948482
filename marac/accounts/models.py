"""Agencies, areas and users: who may do what in which part of the borough."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import BigInteger, Boolean, Column, Date, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marac.db import Base, UTCDateTime, utcnow


class AgencyType(StrEnum):
    POLICE = "police"
    COMMUNITY_SAFETY = "community_safety"
    ASB = "asb"
    HOUSING = "housing"
    HOUSING_ASSOCIATION = "housing_association"
    VICTIM_SUPPORT = "victim_support"
    CHARITY = "charity"
    ADULT_SOCIAL_CARE = "adult_social_care"
    CHILDRENS_SERVICES = "childrens_services"
    MENTAL_HEALTH = "mental_health"
    PROBATION = "probation"
    YOUTH_OFFENDING = "youth_offending"
    FIRE_RESCUE = "fire_rescue"
    EDUCATION = "education"
    OTHER = "other"

    @property
    def label(self) -> str:
        return AGENCY_TYPE_LABELS[self]


AGENCY_TYPE_LABELS: dict[AgencyType, str] = {
    AgencyType.POLICE: "Police",
    AgencyType.COMMUNITY_SAFETY: "Council community safety unit",
    AgencyType.ASB: "Council anti-social behaviour team",
    AgencyType.HOUSING: "Council housing",
    AgencyType.HOUSING_ASSOCIATION: "Housing association",
    AgencyType.VICTIM_SUPPORT: "Victim Support",
    AgencyType.CHARITY: "Hate crime charity or third sector",
    AgencyType.ADULT_SOCIAL_CARE: "Adult social care",
    AgencyType.CHILDRENS_SERVICES: "Children's services",
    AgencyType.MENTAL_HEALTH: "Mental health trust",
    AgencyType.PROBATION: "Probation service",
    AgencyType.YOUTH_OFFENDING: "Youth offending service",
    AgencyType.FIRE_RESCUE: "Fire and rescue service",
    AgencyType.EDUCATION: "Education",
    AgencyType.OTHER: "Other",
}


class Role(StrEnum):
    REFERRER = "referrer"
    MEMBER = "member"
    COORDINATOR = "coordinator"
    ADMIN = "admin"
    # The data protection officer: audit, who-has-seen, retention and subject access; no
    # case content otherwise.
    GOVERNANCE = "governance"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.REFERRER: "Referrer",
    Role.MEMBER: "Panel member",
    Role.COORDINATOR: "MARAC coordinator",
    Role.ADMIN: "Administrator",
    Role.GOVERNANCE: "Information governance",
}


class Agency(Base):
    """A partner organisation. Every user belongs to exactly one."""

    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[str] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # When the agency's information-sharing agreement and contacts are next reviewed.
    review_date: Mapped[date | None] = mapped_column(Date)
    # The agency as a data controller: its ICO registration and the agreement it signed.
    ico_registration: Mapped[str] = mapped_column(String(20), default="")
    isa_version: Mapped[str] = mapped_column(String(40), default="")
    isa_signed_on: Mapped[date | None] = mapped_column(Date)
    # The review date the coordinators were last told had passed (so they are told once).
    isa_lapse_noticed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="agency")

    @property
    def type_label(self) -> str:
        return AgencyType(self.type).label


class Area(Base):
    """A part of the borough served by one panel, defined by wards and postcode districts."""

    __tablename__ = "area"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # Newline-separated lists: short, edited by admins, read whole.
    wards: Mapped[str] = mapped_column(Text, default="")
    postcode_districts: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    @property
    def ward_list(self) -> list[str]:
        return [w.strip() for w in self.wards.splitlines() if w.strip()]

    @property
    def district_list(self) -> list[str]:
        return [d.strip().upper() for d in self.postcode_districts.split() if d.strip()]


user_area = Table(
    "user_area",
    Base.metadata,
    Column("user_id", ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", ForeignKey("area.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, Base):
    """A person who signs in. Role and supervisor flag decide what they may see."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    is_supervisor: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped on password change or deactivation: signs out every other session.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The authenticator app's shared secret (base32); None until the second factor is set up.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # The last 30-second time step whose code was accepted: a code is never taken twice.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # The acting user of an API client (marac.api): never signs in, never receives email.
    is_service: Mapped[bool] = mapped_column(Boolean, default=False)

    agency: Mapped[Agency] = relationship(back_populates="users", lazy="joined")
    # Areas a coordinator screens and schedules for.
    areas: Mapped[list[Area]] = relationship(secondary=user_area, lazy="selectin")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    def has_role(self, *roles: Role | str) -> bool:
        return self.role in {str(r) for r in roles}

    @property
    def has_password(self) -> bool:
        """False for an invited user who has not yet set one (the hash is empty)."""
        return bool(self.password_hash)

    @property
    def has_second_factor(self) -> bool:
        return bool(self.totp_secret)


class SignInMethod(StrEnum):
    PASSWORD = "password"
    SSO = "sso"


class UserSession(Base):
    """One signed-in browser. The cookie holds only the token; the row decides if it works.

    Revoking the row ends the session at once, whatever cookie a browser still holds.
    """

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the random token in the cookie: a leaked table opens nothing.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(45), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When the second factor was passed (or the identity provider asserted one); None means
    # the session may reach only the second-factor pages.
    second_factor_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="joined")


class RecoveryCode(Base):
    """A single-use code for when the authenticator app is lost; only its hash is kept."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class InvitationKind(StrEnum):
    INVITATION = "invitation"  # a new account: set a first password
    PASSWORD_RESET = "password_reset"  # an admin reset the password


class Invitation(Base):
    """A single-use link to set a password; only the token's hash is kept."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when a newer link replaces this one.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
