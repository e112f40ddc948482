"""The document store on both backends, and the virus scanner: real parts, no mocks."""

from __future__ import annotations

from pathlib import Path

import pytest

from marac.config import Settings
from marac.storage import backends
from marac.storage.scan import ScannerUnavailable, ping, scan
from tests.services import EICAR, EICAR_SIGNATURE


@pytest.fixture(params=["file", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> backends.Store:
    if request.param == "file":
        settings = Settings(env="test", storage_url=f"file://{tmp_path / 'store'}")
    else:
        settings = Settings(
            env="test",
            storage_url=request.getfixturevalue("s3_storage_url"),
            s3_endpoint_url=request.getfixturevalue("s3_endpoint_url"),
        )
    return backends.store_from(settings)


def test_stored_bytes_come_back_checked(store: backends.Store) -> None:
    data = b"%PDF-1.7 minutes" * 1000
    key = backends.new_key("minutes/7", ".pdf")
    stored = store.put(key, data)
    assert (stored.key, stored.size) == (key, len(data))
    assert backends.get(store, key, stored.sha256) == data


def test_bytes_that_do_not_match_their_hash_are_refused(store: backends.Store) -> None:
    key = backends.new_key("attachments/1")
    stored = store.put(key, b"the letter as served")
    store.put(key, b"the letter, altered")  # changed behind the service's back
    with pytest.raises(backends.Corrupt):
        backends.get(store, key, stored.sha256)


def test_missing_and_deleted_objects_are_a_storage_error(store: backends.Store) -> None:
    key = backends.new_key("packs/3")
    stored = store.put(key, b"pack")
    store.delete(key)
    store.delete(key)  # twice is harmless
    with pytest.raises(backends.StorageError):
        backends.get(store, key, stored.sha256)


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs", "a/../../b", "UPPER/x", ""])
def test_unsafe_keys_are_refused(tmp_path: Path, key: str) -> None:
    store = backends.FileStore(tmp_path)
    with pytest.raises(backends.StorageError):
        store.put(key, b"x")


def test_new_keys_are_unguessable_and_never_repeat() -> None:
    keys = {backends.new_key("attachments/1") for _ in range(200)}
    assert len(keys) == 200
    assert all(len(k.rsplit("/", 1)[1]) == 32 for k in keys)


def test_the_file_store_keeps_no_partial_files(tmp_path: Path) -> None:
    store = backends.FileStore(tmp_path)
    store.put("minutes/1/a.pdf", b"x" * 10)
    assert sorted(p.name for p in (tmp_path / "minutes/1").iterdir()) == ["a.pdf"]


def test_clamd_flags_eicar_and_passes_a_clean_file(clamd_address: str) -> None:
    assert ping(clamd_address)
    found = scan(clamd_address, EICAR)
    assert not found.clean
    assert EICAR_SIGNATURE in found.signature
    assert scan(clamd_address, b"A letter to the victim.\n" * 5000).clean


def test_an_absent_scanner_is_unavailable_never_clean(tmp_path: Path) -> None:
    with pytest.raises(ScannerUnavailable):
        scan("", b"anything")
    with pytest.raises(ScannerUnavailable):
        scan(str(tmp_path / "no.sock"), b"anything")
    assert not ping(str(tmp_path / "no.sock"))
