"""Configuration comes from the environment; production refuses unsafe settings."""

from __future__ import annotations

import pytest

from marac import create_app
from marac.config import DEV_SECRET_KEY, ConfigError, Settings


def test_development_defaults_are_safe_to_run_locally() -> None:
    settings = Settings.from_env({})
    assert settings.env == "development"
    assert settings.database_url.startswith("sqlite:///")
    assert settings.database_url.endswith("instance/marac.db")
    assert settings.secret_key == DEV_SECRET_KEY
    assert settings.cookie_secure is False


def test_environment_variables_are_read() -> None:
    settings = Settings.from_env(
        {
            "MARAC_DATABASE_URL": "postgresql+psycopg://u@db/marac",
            "MARAC_COUNCIL_NAME": "Riverside Borough Council",
            "MARAC_SERVICE_NAME": "Hate Crime MARAC",
            "MARAC_SESSION_TIMEOUT_MINUTES": "20",
            "MARAC_LOCKOUT_ATTEMPTS": "3",
        }
    )
    assert settings.database_url == "postgresql+psycopg://u@db/marac"
    assert settings.council_name == "Riverside Borough Council"
    assert settings.service_name == "Hate Crime MARAC"
    assert settings.session_timeout_minutes == 20
    assert settings.lockout_attempts == 3


@pytest.mark.parametrize("key", [None, "", "short-key", DEV_SECRET_KEY])
def test_production_refuses_to_start_without_a_real_secret_key(key: str | None) -> None:
    env = {"MARAC_ENV": "production"}
    if key is not None:
        env["MARAC_SECRET_KEY"] = key
    with pytest.raises(ConfigError, match="MARAC_SECRET_KEY"):
        Settings.from_env(env)


def test_production_settings_harden_cookies_and_turn_debug_off(database_url: str) -> None:
    settings = Settings.from_env(
        {
            "MARAC_ENV": "production",
            "MARAC_SECRET_KEY": "x" * 40,
            "MARAC_DATABASE_URL": database_url,
        }
    )
    app = create_app(settings)
    assert app.debug is False
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    response = app.test_client().get("/healthz")
    assert "max-age" in response.headers["Strict-Transport-Security"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MARAC_ENV", "staging"),
        ("MARAC_SESSION_TIMEOUT_MINUTES", "soon"),
        ("MARAC_LOCKOUT_ATTEMPTS", "0"),
    ],
)
def test_bad_values_are_refused_with_a_clear_message(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})


def test_proxies_are_not_trusted_unless_configured() -> None:
    assert Settings.from_env({}).trusted_proxies == 0
    assert Settings.from_env({"MARAC_TRUSTED_PROXIES": "2"}).trusted_proxies == 2
    for bad in ("-1", "one"):
        with pytest.raises(ConfigError, match="MARAC_TRUSTED_PROXIES"):
            Settings.from_env({"MARAC_TRUSTED_PROXIES": bad})


def test_migrations_use_the_owner_url_when_one_is_given() -> None:
    app_only = Settings.from_env({"MARAC_DATABASE_URL": "postgresql+psycopg://app@db/marac"})
    assert app_only.migration_url == "postgresql+psycopg://app@db/marac"
    both = Settings.from_env(
        {
            "MARAC_DATABASE_URL": "postgresql+psycopg://app@db/marac",
            "MARAC_MIGRATION_DATABASE_URL": "postgresql+psycopg://owner@db/marac",
        }
    )
    assert both.migration_url == "postgresql+psycopg://owner@db/marac"
    assert both.to_flask()["MIGRATION_URL"] == "postgresql+psycopg://owner@db/marac"
