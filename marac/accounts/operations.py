"""Writes of accounts: users, agencies, areas, identity providers, and a user's own account.

Each function checks the actor may do it, changes the rows, records the audit row and
commits once (`marac.operations.operation`). Sign-in plumbing stays in `signin.py`,
`sessions.py`, `two_factor.py` and `invitations.py`; these call it where they need to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marac.accounts import agreements, two_factor
from marac.accounts.invitations import issue_link, tell_second_factor_reset
from marac.accounts.models import (
    Agency,
    Area,
    Invitation,
    InvitationKind,
    RecoveryCode,
    Role,
    User,
)
from marac.accounts.passwords import (
    after_failed_login,
    hash_password,
    password_problem,
    verify_password,
)
from marac.accounts.sessions import revoke_user_sessions
from marac.accounts.signals import area_created
from marac.accounts.sso_models import IdentityProvider
from marac.accounts.sso_rules import SecretBox, issuer_problem, normalise_issuer, parse_domains
from marac.audit import record
from marac.db import utcnow
from marac.operations import Invalid, NotFound, allow, operation


def _admin(actor: User) -> None:
    allow(actor.has_role(Role.ADMIN))


def _get(db: Session, model: type[Any], object_id: int) -> Any:
    found = db.get(model, object_id)
    if found is None:
        raise NotFound()
    return found


def _person(db: Session, user_id: int) -> User:
    """A user account a person holds; an API client's service user is managed with its
    client (/admin/api-clients), never as a user, so it is not found here."""
    user = _get(db, User, user_id)
    if user.is_service:
        raise NotFound()
    return user


def _changes(obj: Any, fields: list[str], data: dict[str, Any]) -> list[str]:
    """Names of the fields whose values differ, for the audit summary."""
    return [f for f in fields if getattr(obj, f) != data[f]]


# --- users ---------------------------------------------------------------------------


@dataclass(frozen=True)
class UserValues:
    """A user's settings as the admin sets them; only coordinators hold areas."""

    name: str
    email: str
    agency_id: int
    role: str
    is_supervisor: bool = False
    active: bool = True
    area_ids: frozenset[int] = field(default_factory=frozenset)


def _end_sessions(db: Session, user: User) -> int:
    user.session_version += 1
    return revoke_user_sessions(db, user.id)


@operation
def save_user(
    db: Session, actor: User, user_id: int | None, values: UserValues, *, service_name: str
) -> User:
    """Add a user (`user_id` None: invited by email to set a password) or change one.

    Emails are unique (any case); an admin cannot take away their own admin access;
    only coordinators have areas. A change of role, agency or active ends their sessions.
    """
    _admin(actor)
    user = _person(db, user_id) if user_id is not None else None
    if (
        user is not None
        and user.id == actor.id
        and (not values.active or values.role != Role.ADMIN)
    ):
        raise Invalid({"role": "You cannot remove your own administrator access"})
    clash = db.scalar(select(User.id).where(func.lower(User.email) == (values.email or "").lower()))
    if clash is not None and (user is None or clash != user.id):
        raise Invalid({"email": "A user with this email address already exists"})
    area_ids = set(values.area_ids)
    if area_ids and values.role != Role.COORDINATOR:
        raise Invalid(
            {
                "areas": "Only MARAC coordinators have areas: untick the areas or choose the "
                "MARAC coordinator role"
            }
        )
    if values.role not in {r.value for r in Role}:
        raise Invalid({"role": "Not a valid choice."})
    areas = list(db.scalars(select(Area).where(Area.id.in_(area_ids)).order_by(Area.name)))
    if len(areas) != len(area_ids):
        raise Invalid({"areas": "Not a valid choice."})
    if db.get(Agency, values.agency_id) is None:
        raise Invalid({"agency_id": "Not a valid choice."})
    data = {
        "name": values.name,
        "email": values.email,
        "agency_id": values.agency_id,
        "role": values.role,
        "is_supervisor": bool(values.is_supervisor),
        "active": bool(values.active),
    }
    if user is None:
        # No password until the person sets one from the invitation (an empty hash never
        # matches, see verify_password).
        user = User(**data, password_hash="")
        user.areas = areas
        db.add(user)
        db.flush()
        issue_link(db, user, InvitationKind.INVITATION, by=actor, service_name=service_name)
        record(
            db,
            "user_created",
            "user",
            user.id,
            f"Created {user.email} as {user.role}; invited",
            user=actor,
        )
        return user
    changed = _changes(user, list(data), data)
    if {a.id for a in user.areas} != area_ids:
        changed.append("areas")
        user.areas = areas
    ends_sessions = bool({"active", "role", "agency_id"} & set(changed))
    for key, value in data.items():
        setattr(user, key, value)
    if ends_sessions:
        _end_sessions(db, user)
    record(
        db,
        "user_updated",
        "user",
        user.id,
        "Changed " + (", ".join(changed) or "nothing"),
        user=actor,
    )
    return user


@operation
def unlock_user(db: Session, actor: User, user_id: int) -> User:
    """Clear a lock-out after failed sign-ins."""
    _admin(actor)
    user = _person(db, user_id)
    user.failed_logins = 0
    user.locked_until = None
    record(db, "user_unlocked", "user", user.id, f"Unlocked {user.email}", user=actor)
    return user


@operation
def resend_invitation(db: Session, actor: User, user_id: int, *, service_name: str) -> User:
    """A new invitation for an active user with no password yet; earlier links stop."""
    _admin(actor)
    user = _person(db, user_id)
    if user.has_password or not user.active:
        raise Invalid({"user": "Only an active user who has not set a password can be invited"})
    issue_link(db, user, InvitationKind.INVITATION, by=actor, service_name=service_name)
    record(
        db, "invitation_sent", "user", user.id, f"Sent a new invitation to {user.email}", user=actor
    )
    return user


@operation
def reset_password(db: Session, actor: User, user_id: int, *, service_name: str) -> User:
    """End an active user's password and sessions; they set a new one from an emailed link."""
    _admin(actor)
    user = _person(db, user_id)
    if not user.active:
        raise Invalid({"user": "An inactive user's password cannot be reset"})
    user.password_hash = ""
    ended = _end_sessions(db, user)
    issue_link(db, user, InvitationKind.PASSWORD_RESET, by=actor, service_name=service_name)
    record(
        db,
        "password_reset",
        "user",
        user.id,
        f"Reset the password of {user.email}; sent a link; ended {ended} sessions",
        user=actor,
    )
    return user


@operation
def reset_second_factor(db: Session, actor: User, user_id: int, *, service_name: str) -> User:
    """For a lost phone: forget the authenticator and recovery codes, end every session."""
    _admin(actor)
    user = _person(db, user_id)
    user.totp_secret = None
    user.totp_last_step = None
    db.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
    ended = _end_sessions(db, user)
    tell_second_factor_reset(db, user, service_name=service_name)
    record(
        db,
        "second_factor_reset",
        "user",
        user.id,
        f"Reset the authenticator app of {user.email}; ended {ended} sessions",
        user=actor,
    )
    return user


# --- agencies and areas ----------------------------------------------------------------


@dataclass(frozen=True)
class AgencyValues:
    name: str
    type: str
    review_date: date | None = None
    active: bool = True
    ico_registration: str = ""
    isa_version: str = ""
    isa_signed_on: date | None = None


def _agreement_problems(values: AgencyValues) -> dict[str, str]:
    problems: dict[str, str] = {}
    if (problem := agreements.ico_problem(values.ico_registration)) is not None:
        problems["ico_registration"] = problem
    if len((values.isa_version or "").strip()) > 40:
        problems["isa_version"] = "Version must be 40 characters or fewer"
    if (
        problem := agreements.agreement_dates_problem(values.isa_signed_on, values.review_date)
    ) is not None:
        problems["review_date"] = problem
    return problems


@operation
def save_agency(db: Session, actor: User, agency_id: int | None, values: AgencyValues) -> Agency:
    """Add (`agency_id` None) or change an agency; names are unique in any case."""
    _admin(actor)
    agency = _get(db, Agency, agency_id) if agency_id is not None else None
    duplicate = Invalid({"name": "An agency with this name already exists"})
    clash = db.scalar(
        select(Agency.id).where(func.lower(Agency.name) == (values.name or "").lower())
    )
    if clash is not None and (agency is None or clash != agency.id):
        raise duplicate
    if problems := _agreement_problems(values):
        raise Invalid(problems)
    data = {
        "name": values.name,
        "type": values.type,
        "review_date": values.review_date,
        "active": bool(values.active),
        "ico_registration": agreements.normalise_ico(values.ico_registration),
        "isa_version": (values.isa_version or "").strip(),
        "isa_signed_on": values.isa_signed_on,
    }
    if agency is None:
        agency = Agency(**data)
        db.add(agency)
        try:
            db.flush()
        except IntegrityError as error:
            raise duplicate from error
        record(db, "agency_created", "agency", agency.id, f"Created {agency.name}", user=actor)
        return agency
    changed = _changes(agency, list(data), data)
    for key, value in data.items():
        setattr(agency, key, value)
    record(
        db,
        "agency_updated",
        "agency",
        agency.id,
        "Changed " + (", ".join(changed) or "nothing"),
        user=actor,
    )
    try:
        db.flush()
    except IntegrityError as error:
        raise duplicate from error
    return agency


@dataclass(frozen=True)
class AreaValues:
    """An area's name, wards (one a line) and postcode districts (space separated)."""

    name: str
    wards: str = ""
    postcode_districts: str = ""
    active: bool = True


@operation
def save_area(db: Session, actor: User, area_id: int | None, values: AreaValues) -> Area:
    """Add (`area_id` None) or change an area; a new one gets what the capabilities set up."""
    _admin(actor)
    area = _get(db, Area, area_id) if area_id is not None else None
    clash = db.scalar(select(Area.id).where(func.lower(Area.name) == (values.name or "").lower()))
    if clash is not None and (area is None or clash != area.id):
        raise Invalid({"name": "An area with this name already exists"})
    data = {
        "name": values.name,
        "wards": "\n".join(w.strip() for w in (values.wards or "").splitlines() if w.strip()),
        "postcode_districts": " ".join((values.postcode_districts or "").upper().split()),
        "active": bool(values.active),
    }
    if area is None:
        area = Area(**data)
        db.add(area)
        db.flush()
        added = [row for _, rows in area_created.send(area, db=db, actor=actor) for row in rows]
        record(
            db,
            "area_created",
            "area",
            area.id,
            f"Created {area.name} with local strands: {', '.join(strand.name for strand in added)}",
            user=actor,
        )
        return area
    changed = _changes(area, list(data), data)
    for key, value in data.items():
        setattr(area, key, value)
    record(
        db,
        "area_updated",
        "area",
        area.id,
        "Changed " + (", ".join(changed) or "nothing"),
        user=actor,
    )
    return area


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


# --- a user's own account: sign-in steps, passwords, the authenticator ------------------

# What each refused sign-in step records (coded: never what was typed).
FAILURE_SUMMARIES = {
    "unknown": "Unknown or inactive",
    "locked": "Refused: locked",
    "password": "Wrong password",
    "code": "Wrong authenticator code",
    "recovery": "Wrong recovery code",
    "set_up": "Wrong authenticator code at set-up",
}


@operation
def refuse_sign_in(
    db: Session, user: User | None, reason: str, *, max_attempts: int, lockout_minutes: int
) -> bool:
    """Record a refused sign-in step; a wrong secret counts towards the lock-out.

    `reason` is a key of FAILURE_SUMMARIES. Returns True when this attempt locked the
    account. An unknown or inactive account is recorded without a user.
    """
    summary = FAILURE_SUMMARIES[reason]
    if user is None or reason == "unknown":
        record(db, "login_failed", "user", user.id if user else None, summary, user=None)
        return False
    if reason == "locked":
        record(db, "login_refused_locked", "user", user.id, summary, user=user)
        return False
    user.failed_logins, user.locked_until = after_failed_login(
        user.failed_logins or 0,
        utcnow(),
        max_attempts=max_attempts,
        lockout_minutes=lockout_minutes,
        locked_until=user.locked_until,
    )
    record(db, "login_failed", "user", user.id, summary, user=user)
    if user.locked_until is not None:
        record(db, "account_locked", "user", user.id, f"Locked after {summary.lower()}", user=user)
        return True
    return False


def claim_code(db: Session, user: User, code: str, *, env: str) -> bool:
    """True when `code` is the user's current authenticator code and no request used it.

    Not an operation: the claim is committed with the sign-in it opens
    (`signin.complete_sign_in`), so both land in one transaction.
    """
    if not two_factor.secret_allowed(user.totp_secret, env):
        return False
    step = two_factor.matching_step(user.totp_secret or "", code, utcnow(), user.totp_last_step)
    if step is None:
        return False
    # Take the step only if no other request took it (or a later one) first.
    result = db.execute(
        update(User)
        .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    user.totp_last_step = step
    return True


def use_recovery_code(db: Session, user: User, code: str) -> int | None:
    """Spend one unused recovery code; how many are left, or None if it is not one.

    Committed with the sign-in it opens, like `claim_code`.
    """
    used = db.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == two_factor.recovery_code_hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        return None
    left = db.scalar(
        select(func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    )
    record(db, "recovery_code_used", "user", user.id, f"{left} recovery codes left", user=user)
    return int(left or 0)


def set_up_authenticator(db: Session, user: User, secret: str, code: str) -> list[str] | None:
    """Link the app whose `code` matches `secret`, never replacing a working one.

    Returns the new recovery codes (shown once; only their hashes are kept), or None.
    Committed with the sign-in it opens, like `claim_code`.
    """
    step = two_factor.matching_step(secret, code, utcnow(), None)
    if step is None:
        return None
    saved = db.execute(
        update(User)
        .where(User.id == user.id, User.totp_secret.is_(None))
        .values(totp_secret=secret, totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if saved.rowcount != 1:  # type: ignore[attr-defined]
        return None
    user.totp_secret, user.totp_last_step = secret, step
    codes = two_factor.new_recovery_codes()
    db.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
    db.add_all(
        RecoveryCode(user_id=user.id, code_hash=two_factor.recovery_code_hash(c)) for c in codes
    )
    record(db, "second_factor_set_up", "user", user.id, "Set up authenticator app", user=user)
    return codes


def _set_password(db: Session, user: User, password: str, *, keep: int | None = None) -> int:
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.session_version += 1
    return revoke_user_sessions(db, user.id, keep=keep)


@operation
def set_password_from_link(db: Session, invitation_id: int, password: str) -> User:
    """Choose a password from an invitation or reset link; the link works once.

    A weak password is `Invalid` (field `new_password`); a link already used (perhaps by
    a concurrent request) is `NotFound`. Ends every session of the user.
    """
    invitation = db.get(Invitation, invitation_id)
    if invitation is None:
        raise NotFound()
    user = invitation.user
    if problem := password_problem(password, email=user.email, name=user.name):
        raise Invalid({"new_password": problem})
    claimed = db.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise NotFound()
    _set_password(db, user, password)
    user.failed_logins, user.locked_until = 0, None  # the link proves who they are
    what = "invitation" if invitation.kind == InvitationKind.INVITATION else "reset link"
    record(db, "password_set", "user", user.id, f"Set password from {what}", user=user)
    return user


@operation
def change_own_password(
    db: Session, actor: User, *, current: str, new: str, keep_session_id: int | None
) -> int:
    """Change the actor's password; every other session ends. Returns how many ended."""
    if not verify_password(actor.password_hash, current):
        raise Invalid({"current_password": "Your current password is not correct"})
    if problem := password_problem(new, email=actor.email, name=actor.name):
        raise Invalid({"new_password": problem})
    ended = _set_password(db, actor, new, keep=keep_session_id)
    record(
        db,
        "password_changed",
        "user",
        actor.id,
        f"Changed own password; ended {ended} other sessions",
        user=actor,
    )
    return ended
