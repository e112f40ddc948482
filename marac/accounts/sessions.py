"""Server-side sessions: the cookie carries a random token, the `user_session` row decides.

Plain functions on a SQLAlchemy session (no Flask), so views, the CLI and tests share them.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from marac.accounts.models import UserSession
from marac.db import utcnow

# Last-seen is written at most this often, so a busy page does not write on every request.
TOUCH_EVERY = timedelta(minutes=1)


def token_hash(token: str) -> str:
    """SHA-256 is enough: the token is 256 random bits, not a guessable password."""
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    db: Session, user_id: int, *, method: str, address: str, second_factor: bool
) -> tuple[str, UserSession]:
    """Add a session row; returns the token for the cookie (never stored) and the row."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = UserSession(
        token_hash=token_hash(token),
        user_id=user_id,
        method=method,
        address=address[:45],
        created_at=now,
        last_seen_at=now,
        second_factor_at=now if second_factor else None,
    )
    db.add(row)
    db.flush()
    return token, row


def find_session(db: Session, token: str | None) -> UserSession | None:
    """The live (not revoked) row for a cookie's token: one lookup on a unique index."""
    if not token or not isinstance(token, str):
        return None
    return db.scalar(
        select(UserSession).where(
            UserSession.token_hash == token_hash(token), UserSession.revoked_at.is_(None)
        )
    )


def is_idle(row: UserSession, now: datetime, timeout: timedelta) -> bool:
    return now - row.last_seen_at >= timeout


def needs_touch(row: UserSession, now: datetime) -> bool:
    return now - row.last_seen_at >= TOUCH_EVERY


def revoke_user_sessions(db: Session, user_id: int, *, keep: int | None = None) -> int:
    """End every live session of the user (but `keep`, the caller's own); returns how many."""
    query = update(UserSession).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None)
    )
    if keep is not None:
        query = query.where(UserSession.id != keep)
    query = query.values(revoked_at=utcnow()).execution_options(synchronize_session=False)
    result = db.execute(query)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
