"""The audit hash chain: how a row is hashed, and the check that walks the chain.

Each row's hash is SHA-256 over a canonical JSON encoding of its content and the
previous row's hash. The encoding is a stored contract: changing it makes every
existing row fail verification, so it never changes without a migration.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

GENESIS_HASH = "0" * 64


def _timestamp(value: datetime) -> str:
    if value.tzinfo is None:  # SQLite hands back naive UTC through raw queries
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_hash(
    *,
    seq: int,
    at: datetime,
    user_id: int | None,
    user_label: str,
    action: str,
    object_type: str,
    object_id: str | None,
    ip_address: str | None,
    summary: str,
    prev_hash: str,
) -> str:
    """SHA-256 (hex) of one row's content chained to the previous row's hash."""
    content = {
        "seq": seq,
        "at": _timestamp(at),
        "user_id": user_id,
        "user_label": user_label,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "ip_address": ip_address,
        "summary": summary,
        "prev_hash": prev_hash,
    }
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def hash_of(row: Any, prev_hash: str | None = None) -> str:
    """The hash `row` (an AuditEvent or a result row) should carry."""
    return row_hash(
        seq=row.seq,
        at=row.at,
        user_id=row.user_id,
        user_label=row.user_label,
        action=row.action,
        object_type=row.object_type,
        object_id=row.object_id,
        ip_address=row.ip_address,
        summary=row.summary,
        prev_hash=row.prev_hash if prev_hash is None else prev_hash,
    )


@dataclass(frozen=True)
class Verification:
    """What `verify` found: `ok`, how many rows it checked, and the first problem."""

    ok: bool
    count: int
    problem: str = ""


def check_rows(rows: Iterable[Any], head_seq: int | None, head_hash: str | None) -> Verification:
    """Walk rows in seq order; name the first broken link. Pure, so it is easy to test."""
    expected_seq = 1
    previous = GENESIS_HASH
    count = 0
    for row in rows:
        where = f"seq {row.seq} (id {row.id})"
        if row.seq != expected_seq:
            missing = (
                f"seq {expected_seq}"
                if row.seq == expected_seq + 1
                else f"seq {expected_seq} to {row.seq - 1}"
            )
            return Verification(False, count, f"row missing: {missing}, before {where}")
        if row.prev_hash != previous:
            return Verification(
                False, count, f"link broken at {where}: previous hash does not match"
            )
        if hash_of(row) != row.row_hash:
            return Verification(False, count, f"content changed at {where}: hash does not match")
        previous = row.row_hash
        expected_seq += 1
        count += 1
    if head_seq is None:
        return Verification(False, count, "head mismatch: the audit_chain_head row is missing")
    if head_seq != count or head_hash != previous:
        return Verification(
            False,
            count,
            f"head mismatch: the head says seq {head_seq}, the last row is seq {count}"
            + ("" if head_seq != count else " with a different hash"),
        )
    return Verification(True, count)


def verify(session: Session) -> Verification:
    """Check the whole chain in the database, streaming rows in seq order."""
    from marac.audit.models import AuditChainHead, AuditEvent

    head = session.get(AuditChainHead, 1)
    columns = [getattr(AuditEvent, c) for c in ("id", "seq", *_HASHED, "row_hash")]
    rows = session.execute(
        select(*columns).order_by(AuditEvent.seq).execution_options(yield_per=2000)
    )
    return check_rows(
        rows, None if head is None else head.seq, None if head is None else head.last_hash
    )


_HASHED = (
    "at",
    "user_id",
    "user_label",
    "action",
    "object_type",
    "object_id",
    "ip_address",
    "summary",
    "prev_hash",
)
