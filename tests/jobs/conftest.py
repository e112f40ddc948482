"""Queues for the job tests: Huey's SQLite storage in a file, or the real Redis.

Each test gets its own queue name; its Redis keys are removed afterwards. With CI set an
unreachable Redis fails the test: CI must never pass by skipping it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask

from marac import create_app
from marac.config import Settings
from tests.conftest import settings_for

REDIS_URL = os.environ.get("MARAC_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CLOSED_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
STALE_SECONDS = 5  # the least the settings allow


@dataclass
class Queue:
    kind: str  # "sqlite" or "redis"
    url: str
    name: str

    def settings(self, database_url: str, **changes: Any) -> Settings:
        values: dict[str, Any] = {
            "queue_url": self.url,
            "queue_name": self.name,
            "job_stale_seconds": STALE_SECONDS,
        }
        values.update(changes)
        return settings_for(database_url, **values)

    def app(self, database_url: str, **changes: Any) -> Flask:
        """An app on this queue; the last one made is the one the queue module serves."""
        return create_app(self.settings(database_url, **changes))


def redis_queue() -> Iterator[Queue]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        message = f"Redis is not reachable at {REDIS_URL}: {exc}"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and {message}", pytrace=False)
        pytest.skip(f"{message} (start Redis, or set MARAC_TEST_REDIS_URL)")
    queue = Queue("redis", REDIS_URL, f"marac-test-{uuid.uuid4().hex}")
    try:
        yield queue
    finally:
        keys = list(client.scan_iter(match=f"*{queue.name}*"))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture
def sqlite_queue(tmp_path: Path) -> Queue:
    return Queue("sqlite", f"sqlite:///{tmp_path / 'queue.db'}", f"t{uuid.uuid4().hex}")


@pytest.fixture
def redis_only() -> Iterator[Queue]:
    yield from redis_queue()
