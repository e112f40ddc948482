"""On PostgreSQL the app runs as a role that may only INSERT and SELECT the audit log:
the statements an attacker in the app would use to rewrite it are refused."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import psycopg
import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from marac import create_app
from marac.accounts.models import Agency, Role
from marac.audit import record
from marac.audit.chain import verify
from marac.audit.models import AuditEvent
from marac.cli import main
from marac.db import make_engine
from tests import postgres
from tests.conftest import TEST_SECRET, Client, settings_for
from tests.factories import make_user

pytestmark = pytest.mark.skipif(
    os.environ.get("MARAC_TEST_DB", "sqlite") != "postgresql", reason="PostgreSQL roles"
)


def _admin(sql: str) -> None:
    with psycopg.connect(postgres._libpq(postgres.server_url()), autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture
def owner_and_app_urls() -> Iterator[tuple[str, str]]:
    """A new owner role, its database and an app role, created the README's way; the
    schema migrated by `marac db upgrade` as the owner, which also grants the app role."""
    tag = f"{os.getpid()}_{secrets.token_hex(3)}"
    owner, role, name = f"marac_owner_{tag}", f"marac_app_{tag}", f"marac_roles_{tag}"
    _admin(f"CREATE ROLE {owner} LOGIN PASSWORD 'not-used-with-trust-auth'")
    _admin(f"CREATE ROLE {role} LOGIN PASSWORD 'not-used-with-trust-auth'")
    _admin(f"CREATE DATABASE {name} OWNER {owner}")
    server = make_url(postgres.server_url())
    owner_url = server.set(username=owner, database=name).render_as_string(False)
    app_url = server.set(username=role, database=name).render_as_string(False)
    try:
        env = {
            "MARAC_ENV": "test",
            "MARAC_SECRET_KEY": TEST_SECRET,
            "MARAC_DATABASE_URL": app_url,
            "MARAC_MIGRATION_DATABASE_URL": owner_url,
        }
        result = CliRunner().invoke(main, ["db", "upgrade"], env=env)
        assert result.exit_code == 0, result.output
        assert f"Granted the app role {role}" in result.output
        yield owner_url, app_url
    finally:
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        _admin(f"DROP ROLE IF EXISTS {role}")
        _admin(f"DROP ROLE IF EXISTS {owner}")


@pytest.fixture
def app_as_role(owner_and_app_urls: tuple[str, str]) -> Iterator[Flask]:
    application = create_app(settings_for(owner_and_app_urls[1]))
    application.test_client_class = Client
    yield application
    application.extensions["marac_db"].engine.dispose()


def test_the_app_role_appends_and_reads_but_cannot_rewrite_the_log(
    app_as_role: Flask,
) -> None:
    db: Session = app_as_role.extensions["marac_db"].sessionmaker()
    try:
        user = make_user(db)  # ordinary writes on other tables work
        row = record(db, "referral_viewed", "referral", 1, "Viewed CM-2026-1", user=user)
        db.commit()
        assert db.scalar(select(AuditEvent.summary).where(AuditEvent.id == row.id))
        refused = {
            "UPDATE audit_event SET summary = 'x'": "permission denied",
            "DELETE FROM audit_event": "permission denied",
            "TRUNCATE audit_event": "permission denied",
            "ALTER TABLE audit_event DISABLE TRIGGER ALL": "must be owner",
            "DROP TABLE audit_event CASCADE": "must be owner",
            "SET session_replication_role = replica": "permission denied",
            "DELETE FROM alembic_version": "permission denied",
            "DELETE FROM audit_chain_head": "permission denied",
            "TRUNCATE audit_chain_head": "permission denied",
        }
        for statement, why in refused.items():
            with pytest.raises(DBAPIError, match=why):
                db.execute(text(statement))
            db.rollback()
        assert verify(db).ok
    finally:
        db.close()


def test_the_app_works_as_the_role_through_its_pages(app_as_role: Flask) -> None:
    db: Session = app_as_role.extensions["marac_db"].sessionmaker()
    try:
        admin = make_user(db, Role.ADMIN)
        client: Client = app_as_role.test_client()  # type: ignore[assignment]
        client.login(admin.email)  # sign-in updates the user and writes the audit log
        assert client.get("/admin/audit").status_code == 200
        saved = client.submit("/admin/agencies/new", {"name": "Riverside Homes", "type": "housing"})
        assert saved.status_code == 302, saved.get_data(as_text=True)[:500]
        assert db.scalar(select(Agency.id).where(Agency.name == "Riverside Homes"))
        result = verify(db)
        assert result.ok and result.count >= 2, result
    finally:
        db.close()


def test_tables_a_later_migration_creates_are_granted_by_default(
    owner_and_app_urls: tuple[str, str],
) -> None:
    owner_url, app_url = owner_and_app_urls
    owner = make_engine(owner_url)
    with owner.begin() as conn:
        conn.execute(text("CREATE TABLE later_feature (id serial PRIMARY KEY, note text)"))
    owner.dispose()
    engine = make_engine(app_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO later_feature (note) VALUES ('fine')"))
            conn.execute(text("UPDATE later_feature SET note = 'still fine'"))
    finally:
        engine.dispose()
