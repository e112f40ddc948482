"""The document store: the local filesystem by default, S3-compatible storage in production.

The database keeps each object's key, size and SHA-256; `get` checks the hash and
refuses bytes that do not match (`Corrupt`), so a download is always what was stored.
Nothing is ever served from a public URL: downloads go through the app's audited pages.
Keys are made by the service (`new_key`), never taken from a user.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

from flask import Flask, current_app

from marac.config import Settings

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


def _check(key: str) -> str:
    if not KEY_PATTERN.match(key) or ".." in key:
        raise StorageError(f"unsafe storage key {key!r}")
    return key


class FileStore:
    """Objects as files under one folder; written to a temporary file, then renamed."""

    name = "file"

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / _check(key)

    def put(self, key: str, data: bytes) -> Stored:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return Stored(key, len(data), sha256_of(data))

    def read(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as missing:
            raise StorageError(f"no object {key}") from missing

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def store_from(settings: Settings) -> Store:
    """The store a deployment configured (MARAC_STORAGE_URL)."""
    url = urlparse(settings.storage_url)
    if url.scheme == "file":
        return FileStore(Path(url.netloc + url.path))
    if url.scheme == "s3":
        from marac.storage.s3 import S3Store

        return S3Store(
            bucket=url.netloc,
            prefix=url.path.strip("/"),
            endpoint_url=settings.s3_endpoint_url or None,
            region=settings.s3_region,
        )
    raise StorageError(f"unknown storage {settings.storage_url!r}")


def init_app(app: Flask) -> None:
    app.extensions["marac_store"] = store_from(app.config["MARAC_SETTINGS"])


def store() -> Store:
    """The current app's store (requests and jobs both run in an app context)."""
    return current_app.extensions["marac_store"]
