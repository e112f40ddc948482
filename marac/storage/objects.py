"""What every document store shares: keys, the stored object's record, its hash, errors.

Its own module so that each backend (the folder here in `backends`, S3 in `s3`) builds on
it without the backends importing each other.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Protocol

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_\-/.]{0,250}$")


class StorageError(Exception):
    """The store could not do what was asked (down, missing object, bad key)."""


class Corrupt(StorageError):
    """The stored bytes do not match the SHA-256 recorded when they were stored."""


@dataclass(frozen=True)
class Stored:
    key: str
    size: int
    sha256: str


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def new_key(prefix: str, suffix: str = "") -> str:
    """A fresh, unguessable key under `prefix` (e.g. "minutes/12"), never reused."""
    key = f"{prefix.strip('/')}/{secrets.token_hex(16)}{suffix}"
    if not KEY_PATTERN.match(key) or ".." in key:
        raise StorageError(f"unsafe storage key {key!r}")
    return key


class Store(Protocol):
    name: str

    def put(self, key: str, data: bytes) -> Stored:
        """Store `data` under `key` (overwriting the same bytes is harmless)."""

    def read(self, key: str) -> bytes:
        """The bytes under `key`, unchecked (use `get`)."""

    def delete(self, key: str) -> None:
        """Remove `key`; removing a missing key is not an error."""


def get(store: Store, key: str, sha256: str) -> bytes:
    """The stored bytes, checked against the recorded hash."""
    data = store.read(key)
    if sha256_of(data) != sha256:
        raise Corrupt(f"object {key} does not match its recorded SHA-256")
    return data


def check_key(key: str) -> str:
    if not KEY_PATTERN.match(key) or ".." in key:
        raise StorageError(f"unsafe storage key {key!r}")
    return key
