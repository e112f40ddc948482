"""Test set-up: a real migrated database per test (SQLite file or PostgreSQL), real sign-in.

`MARAC_TEST_DB` chooses the backend (`sqlite`, the default, or `postgresql`);
`make test` runs the suite once with each.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from marac import create_app, migrate
from marac.accounts.models import User
from marac.audit.chain import GENESIS_HASH
from marac.config import Settings
from marac.db import Base, make_engine
from tests import postgres
from tests.factories import PASSWORD, unused_code

BACKEND = os.environ.get("MARAC_TEST_DB", "sqlite")
if BACKEND not in {"sqlite", "postgresql"}:
    raise RuntimeError("MARAC_TEST_DB must be sqlite or postgresql")

TEST_SECRET = "test-secret-key-that-is-long-enough-for-the-check"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SECRET_RE = re.compile(r'id="secret-key"[^>]*>([A-Z2-7 ]+)<')


def pytest_report_header() -> str:
    return f"Community MARAC database backend: {BACKEND}"


@pytest.fixture(scope="session")
def backend() -> str:
    return BACKEND


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated to head once per run; tests get copies (SQLite) or truncation (PG)."""
    if BACKEND == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.db"
        url = f"sqlite:///{path}"
        migrate.upgrade(url)
        make_engine(url).dispose()
        yield str(path)
        return
    ok, why = postgres.reachable()
    if not ok:
        pytest.exit(f"MARAC_TEST_DB=postgresql but PostgreSQL is not reachable: {why}", 2)
    url = postgres.create_database()
    migrate.upgrade(url)
    yield url
    postgres.drop_database(url)


def _truncate_all(url: str) -> None:
    engine = make_engine(url)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        # An empty log starts a fresh chain, as the migration leaves it.
        conn.execute(
            text("INSERT INTO audit_chain_head (id, seq, last_hash) VALUES (1, 0, :h)"),
            {"h": GENESIS_HASH},
        )
    engine.dispose()


@pytest.fixture
def database_url(migrated_template: str, tmp_path: Path) -> str:
    """A migrated, empty database for one test."""
    if BACKEND == "sqlite":
        target = tmp_path / "marac.db"
        shutil.copyfile(migrated_template, target)
        return f"sqlite:///{target}"
    _truncate_all(migrated_template)
    return migrated_template


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all, for migration tests."""
    if BACKEND == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url = postgres.create_database("marac_migrate")
    yield url
    postgres.drop_database(url)


# One throwaway document store per test process; object keys are random, so tests share it.
STORAGE_ROOT = tempfile.mkdtemp(prefix="marac-store-")


def settings_for(database_url: str, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "test",
        "database_url": database_url,
        "secret_key": TEST_SECRET,
        "council_name": "Testshire District Council",
        # Limits stay on in every test, high enough for the sign-ins tests make; the rate
        # limit tests set low ones.
        "ratelimit_per_address": "1000 per minute",
        "ratelimit_per_account": "1000 per minute",
        # Jobs run in the asking process right after the commit; tests/jobs run real workers.
        "queue_url": "immediate",
        "storage_url": f"file://{STORAGE_ROOT}",
    }
    values.update(changes)
    return Settings(**values)


class Client(FlaskClient):
    """A test client that signs in through the real form and sends CSRF tokens."""

    csrf_token: str | None = None

    def login(self, email: str, password: str = PASSWORD) -> Client:
        """Sign in through the real pages: password, then the authenticator code (or set-up)."""
        page = self.get("/sign-in")
        token = _csrf(page.get_data(as_text=True))
        response = self.post(
            "/sign-in", data={"email": email, "password": password, "csrf_token": token}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        self.pass_second_factor(email, response.headers["Location"])
        self.csrf_token = _csrf(self.get("/").get_data(as_text=True))
        return self

    def pass_second_factor(self, email: str, location: str) -> Any:
        """Fill in the code page (or set the app up) as a person with the phone would."""
        path = location.split("?")[0]
        if path == "/sign-in/set-up-authenticator":
            html = self.get(path).get_data(as_text=True)
            secret = SECRET_RE.search(html).group(1).replace(" ", "")  # type: ignore[union-attr]
            code, _ = unused_code(secret, None)
            response = self.post(path, data={"code": code, "csrf_token": _csrf(html)})
            assert "Save your recovery codes" in response.get_data(as_text=True)
            return response
        assert path == "/sign-in/code", location
        html = self.get(path).get_data(as_text=True)
        with self.application.extensions["marac_db"].sessionmaker() as db:
            secret, last_step = db.execute(
                select(User.totp_secret, User.totp_last_step).where(
                    func.lower(User.email) == email.lower()
                )
            ).one()
        code, _ = unused_code(secret, last_step)
        response = self.post(path, data={"code": code, "csrf_token": _csrf(html)})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return response

    def submit(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """POST a form with this session's CSRF token, as a browser would."""
        payload = dict(data or {})
        payload.setdefault("csrf_token", self.csrf_token)
        return self.post(url, data=payload, **kwargs)


def _csrf(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    application = create_app(settings_for(database_url))
    application.test_client_class = Client
    yield application
    application.extensions["marac_db"].engine.dispose()


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    """A session on the test database for arranging data and checking results."""
    session = app.extensions["marac_db"].sessionmaker()
    yield session
    session.close()


@pytest.fixture
def client(app: Flask) -> Client:
    return app.test_client()  # type: ignore[return-value]


@pytest.fixture
def login(app: Flask) -> Any:
    """`login(user)` gives a new client signed in as `user`."""

    def _login(user: Any, password: str = PASSWORD) -> Client:
        c: Client = app.test_client()  # type: ignore[assignment]
        return c.login(user.email if hasattr(user, "email") else user, password)

    return _login


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app: Flask) -> Any:
    """`with count_queries() as q:` counts the SQL statements the app runs inside."""
    engine = app.extensions["marac_db"].engine

    @contextmanager
    def _count() -> Iterator[QueryCounter]:
        counter = QueryCounter()

        def before(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
            counter.statements.append(statement)

        event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return _count


# --- Real services: clamd, an S3 API server (see tests/services.py) -----------------------


@pytest.fixture(scope="session")
def clamd_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running clamd that knows only the EICAR test signature (one per test process)."""
    from tests import services

    address, process = services.start_clamd(tmp_path_factory.mktemp("clamd"))
    yield address
    services.stop(process)


@pytest.fixture(scope="session")
def s3_endpoint_url() -> Iterator[str]:
    """A real S3 API server (moto in server mode) for this test process."""
    from tests import services

    # boto3 reads credentials from the environment; the server accepts any.
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "marac-test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "marac-test-secret")
    url, process = services.start_s3_server()
    yield url
    services.stop(process)


@pytest.fixture
def s3_storage_url(s3_endpoint_url: str) -> str:
    """`storage_url` for a fresh bucket on the S3 server (pass `s3_endpoint_url` too)."""
    from tests import services

    return f"s3://{services.new_bucket(s3_endpoint_url)}/documents"
