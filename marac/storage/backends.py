"""The document store: the local filesystem by default, S3-compatible storage in production.

The database keeps each object's key, size and SHA-256; `get` checks the hash and
refuses bytes that do not match (`Corrupt`), so a download is always what was stored.
Nothing is ever served from a public URL: downloads go through the app's audited pages.
Keys are made by the service (`new_key`), never taken from a user.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from flask import Flask, current_app

from marac.config import Settings
from marac.storage.objects import (  # noqa: F401  (re-exported: callers use backends.*)
    KEY_PATTERN,
    Corrupt,
    StorageError,
    Store,
    Stored,
    check_key,
    get,
    new_key,
    sha256_of,
)


class FileStore:
    """Objects as files under one folder; written to a temporary file, then renamed."""

    name = "file"

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

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
