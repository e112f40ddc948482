"""Every write about API clients: register, rotate, revoke, and the record of each call.

Admins register a client for an agency; the client gets a service user of that agency
(role referrer, no password, `is_service`) that the API acts as, so the capabilities'
operations check and audit API calls exactly as they do the pages'.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marac.accounts.models import Agency, Role, User
from marac.api.models import ApiClient, ApiIntake, IntakeKind, Scope
from marac.api.tokens import new_token
from marac.audit import record
from marac.db import utcnow
from marac.operations import Conflict, Invalid, NotFound, allow, operation

# Last use is written at most this often: a busy client must not write on every call.
TOUCH_EVERY = timedelta(minutes=1)
SERVICE_EMAIL_DOMAIN = "api-client.invalid"  # .invalid never resolves: no mail can go


def _admin(actor: User) -> None:
    allow(actor.has_role(Role.ADMIN) and not actor.is_service)


def _scopes(values: Iterable[str]) -> str:
    chosen = {str(v) for v in values}
    known = [s.value for s in Scope if s.value in chosen]
    if not known or len(known) != len(chosen):
        raise Invalid({"scopes": "Select at least one scope from the list"})
    return " ".join(known)


@operation
def register_client(
    db: Session, actor: User, *, name: str, agency_id: int, scopes: Iterable[str]
) -> tuple[ApiClient, str]:
    """A new client and its token (returned once, never stored)."""
    _admin(actor)
    name = " ".join(name.split())
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Enter a name for the client"
    elif len(name) > 200:
        errors["name"] = "Name must be 200 characters or fewer"
    elif db.scalar(select(ApiClient.id).where(func.lower(ApiClient.name) == name.lower())):
        errors["name"] = "A client with this name already exists"
    agency = db.get(Agency, agency_id)
    if agency is None or not agency.active:
        errors["agency_id"] = "Select an active agency"
    try:
        scope_text = _scopes(scopes)
    except Invalid as problem:
        errors.update({k: v[0] for k, v in problem.errors.items()})
    if errors:
        raise Invalid(errors)
    user = User(
        name=f"API client: {name}",
        email=f"api-{secrets.token_hex(8)}@{SERVICE_EMAIL_DOMAIN}",
        password_hash="",
        agency_id=agency_id,
        role=Role.REFERRER.value,
        is_service=True,
    )
    db.add(user)
    db.flush()
    token, prefix, digest = new_token()
    client = ApiClient(
        name=name,
        agency_id=agency_id,
        scopes=scope_text,
        token_prefix=prefix,
        token_hash=digest,
        service_user_id=user.id,
        created_by_id=actor.id,
        last_used_address="",
    )
    db.add(client)
    db.flush()
    record(
        db,
        "api_client_registered",
        "api_client",
        client.id,
        f"API client {client.id} registered for agency {agency_id}",
        user=actor,
    )
    return client, token


def _client(db: Session, client_id: int) -> ApiClient:
    client = db.get(ApiClient, client_id)
    if client is None:
        raise NotFound()
    return client


@operation
def rotate_token(db: Session, actor: User, client_id: int) -> tuple[ApiClient, str]:
    """A new token for the client; the old one stops working at once."""
    _admin(actor)
    client = _client(db, client_id)
    if client.is_revoked:
        raise Invalid({"client": "A revoked client cannot be given a new token"})
    token, prefix, digest = new_token()
    client.token_prefix, client.token_hash = prefix, digest
    client.rotated_at = utcnow()
    record(
        db, "api_token_rotated", "api_client", client.id, f"API client {client.id} token rotated",
        user=actor,
    )  # fmt: skip
    return client, token


@operation
def revoke_client(db: Session, actor: User, client_id: int) -> ApiClient:
    """The client's token stops working for good and its service user is deactivated."""
    _admin(actor)
    client = _client(db, client_id)
    if not client.is_revoked:
        client.revoked_at = utcnow()
        client.service_user.active = False
        record(
            db, "api_client_revoked", "api_client", client.id, f"API client {client.id} revoked",
            user=actor,
        )  # fmt: skip
    return client


@operation
def record_call(
    db: Session, client: ApiClient, *, method: str, path: str, status: int, address: str
) -> None:
    """Audit one call (method, path, status: never the payload) and note the last use."""
    now = utcnow()
    if client.last_used_at is None or now - client.last_used_at >= TOUCH_EVERY:
        client.last_used_at = now
        client.last_used_address = address[:45]
    record(db, "api_call", "api_client", client.id, f"{method} {path} {status}",
           user=client.service_user)  # fmt: skip


# Why a call had no client, as the audit log says it.
TOKEN_REFUSALS = {"missing": "no bearer token", "unknown": "an unknown or revoked token"}


@operation
def record_unauthenticated(db: Session, *, method: str, path: str, why: str) -> None:
    """Audit a call refused for want of a valid token (who tried is known by address only;
    the caller cuts the path short, since anyone may send one)."""
    record(db, "api_unauthenticated", "api", None, f"{method} {path} 401 ({TOKEN_REFUSALS[why]})")


# ---- intake: idempotent creates ---------------------------------------------------------


@dataclass(frozen=True)
class Intake:
    """What an idempotent create made; `created` is False when it answered a retry."""

    row: ApiIntake
    created: bool


def _earlier(
    db: Session, client: ApiClient, kind: IntakeKind, key: str, body_hash: str, reference: str
) -> ApiIntake | None:
    """The earlier create this request repeats, or None; refuses reuse with another body."""
    by_key = db.scalar(
        select(ApiIntake).where(ApiIntake.client_id == client.id, ApiIntake.idempotency_key == key)
    )
    if by_key is not None:
        if by_key.request_hash != body_hash or by_key.kind != kind.value:
            raise Invalid({"Idempotency-Key": "This key was already used for a different request"})
        return by_key
    by_reference = db.scalar(
        select(ApiIntake).where(
            ApiIntake.client_id == client.id,
            ApiIntake.kind == kind.value,
            ApiIntake.sender_reference == reference,
        )
    )
    if by_reference is not None:
        if by_reference.request_hash != body_hash:
            raise Conflict(
                "This sender_reference was already sent with different content; "
                "nothing was changed."
            )
        return by_reference
    return None


def intake(
    db: Session,
    client: ApiClient,
    *,
    kind: IntakeKind,
    key: str,
    body_hash: str,
    reference: str,
    create: Callable[[Session, User], int],
) -> Intake:
    """Run `create(db, service_user)` once per (client, key) and (client, reference).

    A retry (same key, same body) gets the first result back. Two concurrent identical
    requests both insert the intake row; the unique constraints let one commit and the
    other fail, and the loser answers with the winner's result.
    """
    errors: dict[str, str] = {}
    if not key or len(key) > 200:
        errors["Idempotency-Key"] = "Send an Idempotency-Key header of 1 to 200 characters"
    if not reference or len(reference) > 80:
        errors["sender_reference"] = "Enter your own reference, 80 characters or fewer"
    if errors:
        raise Invalid(errors)
    earlier = _earlier(db, client, kind, key, body_hash, reference)
    db.rollback()  # end the read: the create below starts its own transaction
    if earlier is not None:
        return Intake(earlier, created=False)
    try:
        return Intake(
            _create_once(
                db, client, kind=kind, key=key, body_hash=body_hash, reference=reference,
                create=create,
            ),
            created=True,
        )  # fmt: skip
    except IntegrityError:
        # Another request with the same key or reference committed first: answer with it.
        again = _earlier(db, client, kind, key, body_hash, reference)
        db.rollback()
        if again is None:
            raise
        return Intake(again, created=False)


@operation
def _create_once(
    db: Session,
    client: ApiClient,
    *,
    kind: IntakeKind,
    key: str,
    body_hash: str,
    reference: str,
    create: Callable[[Session, User], int],
) -> ApiIntake:
    row = ApiIntake(
        client_id=client.id,
        kind=kind.value,
        idempotency_key=key,
        request_hash=body_hash,
        sender_reference=reference,
    )
    db.add(row)
    db.flush()  # takes the unique keys now: a concurrent twin waits here, then fails
    row.resource_id = create(db, client.service_user)
    record(
        db, "api_intake", kind.value, row.resource_id,
        f"API client {client.id} sent {kind.value} (intake {row.id})", user=client.service_user,
    )  # fmt: skip
    return row
