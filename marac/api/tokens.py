"""Bearer tokens: `marac_<prefix>_<secret>`; the prefix finds the client, the hash proves it.

Only the prefix and the SHA-256 of the whole token are stored, so a leaked table opens
nothing; the comparison is constant-time so its duration says nothing about the hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_START = "marac_"
PREFIX_LENGTH = 12  # hex characters: 48 bits, enough to find one row among many


def new_token() -> tuple[str, str, str]:
    """A fresh token, its prefix and its hash (show the token once, store the other two)."""
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    token = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}"
    return token, prefix, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def prefix_of(token: str) -> str | None:
    """The lookup prefix of a well-formed token, else None."""
    if not token.startswith(TOKEN_START):
        return None
    prefix, _, rest = token.removeprefix(TOKEN_START).partition("_")
    if len(prefix) != PREFIX_LENGTH or not rest:
        return None
    return prefix


def matches(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token), stored_hash)
