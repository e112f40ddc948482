"""Attachment tests run against a real clamd (EICAR-only signatures) and, where the store
matters, on both backends: a folder and a real S3 API server (moto)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from marac import create_app
from tests.conftest import Client, settings_for

MakeApp = Callable[..., Flask]


@pytest.fixture
def make_app(
    database_url: str, clamd_address: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[MakeApp]:
    """`make_app(store="file"|"s3", **settings)`: an app on the test database with clamd."""
    made: list[Flask] = []

    def _make(
        store: str = "file", overrides: dict[str, Any] | None = None, **changes: Any
    ) -> Flask:
        values: dict[str, Any] = {"clamd_address": clamd_address}
        if store == "s3":
            values["storage_url"] = request.getfixturevalue("s3_storage_url")
            values["s3_endpoint_url"] = request.getfixturevalue("s3_endpoint_url")
        else:
            values["storage_url"] = f"file://{tmp_path / 'store'}"
        values.update(changes)
        application = create_app(settings_for(database_url, **values), **(overrides or {}))
        application.test_client_class = Client
        made.append(application)
        return application

    yield _make
    for application in made:
        application.extensions["marac_db"].engine.dispose()


@pytest.fixture
def app(make_app: MakeApp) -> Flask:
    """The usual `app` (and so `db`, `login`), with clamd and a folder store."""
    return make_app()


@pytest.fixture(params=["file", "s3"])
def store_kind(request: pytest.FixtureRequest) -> str:
    return request.param
