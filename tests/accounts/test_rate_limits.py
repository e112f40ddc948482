"""Rate limits on sign-in and password change, in memory and against the real Redis."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask import Flask
from sqlalchemy.orm import Session

from marac import create_app
from marac.config import ConfigError, Settings
from tests.conftest import Client, _csrf, settings_for
from tests.factories import PASSWORD, make_user

REDIS_URL = os.environ.get("MARAC_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _app(database_url: str, **changes: Any) -> Flask:
    application = create_app(settings_for(database_url, **changes))
    application.test_client_class = Client
    return application


def _sign_in(client: Client, email: str, password: str, address: str = "192.0.2.1") -> Any:
    """One sign-in attempt from `address` through the real form (GET for the token, POST)."""
    env = {"REMOTE_ADDR": address}
    token = _csrf(client.get("/sign-in", environ_overrides=env).get_data(as_text=True))
    return client.post(
        "/sign-in",
        data={"email": email, "password": password, "csrf_token": token},
        environ_overrides=env,
    )


def _assert_too_many(response: Any, longest_wait: int) -> None:
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert '<h1 class="govuk-heading-l">Too many attempts</h1>' in page
    assert "then try again" in page
    # The window ends `longest_wait` after the first attempt; the store rounds up a second.
    assert 0 < int(response.headers["Retry-After"]) <= longest_wait + 1


def test_sign_in_is_limited_per_address(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = _app(database_url, ratelimit_per_address="3 per minute")
    client: Client = app.test_client()  # type: ignore[assignment]
    for n in range(3):
        assert _sign_in(client, f"nobody{n}@test.example", "wrong-password").status_code == 200
    _assert_too_many(_sign_in(client, "someone@test.example", "wrong-password"), 60)
    assert "Rate limit 3 per 1 minute reached at accounts.login from 192.0.2.1" in caplog.text
    assert "someone@test.example" not in caplog.text
    # Showing the form is never limited; another address may still try.
    assert client.get("/sign-in", environ_overrides={"REMOTE_ADDR": "192.0.2.1"}).status_code == 200
    other = _sign_in(client, "someone@test.example", "wrong-password", address="192.0.2.99")
    assert other.status_code == 200


def test_sign_in_is_limited_per_account_whatever_the_address(
    database_url: str, db: Session
) -> None:
    app = _app(database_url, ratelimit_per_account="2 per minute; 30 per hour")
    session = app.extensions["marac_db"].sessionmaker()
    user = make_user(session, email="jo.bloggs@test.example")
    session.close()
    client: Client = app.test_client()  # type: ignore[assignment]
    assert _sign_in(client, user.email, "wrong-password", "192.0.2.1").status_code == 200
    # The same account however the email is typed, from another address.
    assert _sign_in(client, "  JO.Bloggs@test.example ", "wrong", "192.0.2.2").status_code == 200
    # Even the right password is refused now: the limit stops guessing before any check.
    _assert_too_many(_sign_in(client, user.email, PASSWORD, "192.0.2.3"), 60)
    assert _sign_in(client, "other@test.example", "wrong-password", "192.0.2.3").status_code == 200


def test_hourly_limit_counts_too(database_url: str) -> None:
    app = _app(database_url, ratelimit_per_address="50 per minute; 2 per hour")
    client: Client = app.test_client()  # type: ignore[assignment]
    for n in range(2):
        assert _sign_in(client, f"n{n}@test.example", "wrong-password").status_code == 200
    response = _sign_in(client, "n9@test.example", "wrong-password")
    _assert_too_many(response, 3600)
    assert "minutes" in response.get_data(as_text=True)


def test_change_password_is_limited_per_account(database_url: str) -> None:
    app = _app(database_url, ratelimit_per_account="2 per minute")
    session = app.extensions["marac_db"].sessionmaker()
    user = make_user(session)
    session.close()
    client: Client = app.test_client()  # type: ignore[assignment]
    client.login(user.email)
    data = {"current_password": "wrong-password", "new_password": "x", "confirm_password": "x"}
    for _ in range(2):
        assert client.submit("/account/password", data).status_code == 200
    _assert_too_many(client.submit("/account/password", data), 60)
    assert client.get("/account/password").status_code == 200


def test_limits_can_be_switched_off(database_url: str) -> None:
    app = _app(database_url, ratelimit_enabled=False, ratelimit_per_address="1 per minute")
    client: Client = app.test_client()  # type: ignore[assignment]
    for _ in range(3):
        assert _sign_in(client, "nobody@test.example", "wrong-password").status_code == 200


def test_settings_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "MARAC_RATELIMIT_ENABLED": "false",
            "MARAC_RATELIMIT_STORAGE_URL": "redis://cache.internal:6379/2",
            "MARAC_RATELIMIT_PER_ADDRESS": "20 per minute",
            "MARAC_RATELIMIT_PER_ACCOUNT": "3 per minute; 10 per hour",
        }
    )
    assert settings.ratelimit_enabled is False
    assert settings.ratelimit_storage_url == "redis://cache.internal:6379/2"
    assert settings.ratelimit_per_address == "20 per minute"
    assert settings.ratelimit_per_account == "3 per minute; 10 per hour"
    defaults = Settings.from_env({})
    assert defaults.ratelimit_enabled is True
    assert defaults.ratelimit_storage_url == "memory://"
    assert defaults.ratelimit_per_address == "10 per minute; 100 per hour"
    assert defaults.ratelimit_per_account == "5 per minute; 30 per hour"


def test_a_limit_that_does_not_parse_is_refused() -> None:
    with pytest.raises(ConfigError, match="MARAC_RATELIMIT_PER_ACCOUNT must be limits"):
        Settings.from_env({"MARAC_RATELIMIT_PER_ACCOUNT": "five a minute"})


def test_memory_counts_are_per_app(database_url: str) -> None:
    """Without a shared store two apps count separately: the Redis test below means something."""
    first = _app(database_url, ratelimit_per_address="1 per minute")
    second = _app(database_url, ratelimit_per_address="1 per minute")
    assert _sign_in(first.test_client(), "a@test.example", "wrong").status_code == 200  # type: ignore[arg-type]
    assert _sign_in(second.test_client(), "a@test.example", "wrong").status_code == 200  # type: ignore[arg-type]


def test_limits_still_apply_when_redis_is_down(database_url: str) -> None:
    """An unreachable store does not stop sign-in: each process counts in memory meanwhile."""
    app = _app(
        database_url,
        ratelimit_storage_url="redis://127.0.0.1:1/0",  # nothing listens on port 1
        ratelimit_per_address="2 per minute",
    )
    client: Client = app.test_client()  # type: ignore[assignment]
    for n in range(2):
        assert _sign_in(client, f"n{n}@test.example", "wrong-password").status_code == 200
    _assert_too_many(_sign_in(client, "n9@test.example", "wrong-password"), 60)


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A unique key prefix on the shared Redis, its keys removed afterwards.

    With CI set an unreachable Redis fails the test: CI must never pass by skipping it.
    """
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        message = f"Redis is not reachable at {REDIS_URL}: {exc}"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and {message}", pytrace=False)
        pytest.skip(f"{message} (start Redis, or set MARAC_TEST_REDIS_URL)")
    prefix = f"marac-test-{uuid.uuid4().hex}"
    yield prefix
    keys = list(client.scan_iter(match=f"*{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_two_apps_share_the_limit_through_redis(database_url: str, redis_prefix: str) -> None:
    changes = {
        "ratelimit_storage_url": REDIS_URL,
        "ratelimit_key_prefix": redis_prefix,
        "ratelimit_per_address": "1000 per minute",
        "ratelimit_per_account": "3 per minute",
    }
    first, second = _app(database_url, **changes), _app(database_url, **changes)
    one: Client = first.test_client()  # type: ignore[assignment]
    two: Client = second.test_client()  # type: ignore[assignment]
    email = "shared@test.example"
    assert _sign_in(one, email, "wrong", "192.0.2.1").status_code == 200
    assert _sign_in(two, email, "wrong", "192.0.2.2").status_code == 200
    assert _sign_in(one, email, "wrong", "192.0.2.3").status_code == 200
    _assert_too_many(_sign_in(two, email, "wrong", "192.0.2.4"), 60)
    _assert_too_many(_sign_in(one, email, "wrong", "192.0.2.5"), 60)
    # The counts really are in Redis, under this test's prefix, without the email in the key.
    keys = [k.decode() for k in redis.Redis.from_url(REDIS_URL).scan_iter(f"*{redis_prefix}*")]
    assert keys
    assert not any(email in key for key in keys)
