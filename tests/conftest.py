"""Test set-up: a real migrated database per test (SQLite file or PostgreSQL), real sign-in.

`MARAC_TEST_DB` chooses the backend (`sqlite`, the default, or `postgresql`);
`make test` runs the suite once with each.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2.bccache import Bucket, BytecodeCache
from sqlalchemy import Connection, Engine, event, func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from werkzeug.routing import Rule as UrlRule

from marac import create_app, migrate
from marac.accounts.models import User
from marac.audit.chain import GENESIS_HASH
from marac.config import Settings
from marac.db import Base, make_engine
from tests import postgres
from tests.factories import PASSWORD, fresh_code, unused_code

BACKEND = os.environ.get("MARAC_TEST_DB", "sqlite")
if BACKEND not in {"sqlite", "postgresql"}:
    raise RuntimeError("MARAC_TEST_DB must be sqlite or postgresql")

TEST_SECRET = "test-secret-key-that-is-long-enough-for-the-check"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SECRET_RE = re.compile(r'id="secret-key"[^>]*>([A-Z2-7 ]+)<')


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(FAST_DIR, ignore_errors=True)


def pytest_report_header() -> str:
    shared = ", browser tests shared with the other database's run" if BROWSER_SHARE else ""
    return f"Community MARAC database backend: {BACKEND}{shared}"


# The longest modules, started first: pytest-xdist then spreads the short tests around them
# instead of one worker finishing a long test alone at the end (`make test` uses worksteal).
# A stale or missing name only loses the ordering, never a test.
SLOW_FIRST = (
    "tests/security/test_fuzz.py",
    "tests/security/test_authorisation_matrix.py",
    "tests/minutes/test_views.py",
    "tests/e2e/",
    "tests/core/test_cli.py",
    "tests/api/test_schemathesis.py",
    "tests/meetings/test_demo.py",
    "tests/minutes/test_demo.py",
)


# `make test` runs the suite once per database, side by side, and sets this. The browser
# tests drive pages whose queries and rules the rest of the suite checks on both databases,
# and they are a third of the suite's time, so there each runs once: a hash of the test's
# id picks its database, so the split does not depend on what else either run collects.
# Run pytest yourself (this unset) to have every browser test on MARAC_TEST_DB.
BROWSER_SHARE = os.environ.get("MARAC_BROWSER_SHARE") == "1"
BACKENDS = ("sqlite", "postgresql")


def is_browser_test(item: pytest.Item) -> bool:
    return item.get_closest_marker("browser") is not None or item.nodeid.startswith("tests/e2e/")


def browser_tests_elsewhere(items: list[pytest.Item], backend: str) -> list[pytest.Item]:
    """The browser tests the other database's run takes, when the two share them."""
    mine = BACKENDS.index(backend)
    return [
        item
        for item in items
        if is_browser_test(item) and zlib.crc32(item.nodeid.encode()) % len(BACKENDS) != mine
    ]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if BROWSER_SHARE:
        elsewhere = set(browser_tests_elsewhere(items, BACKEND))
        if elsewhere:
            config.hook.pytest_deselected(items=sorted(elsewhere, key=lambda i: i.nodeid))
            items[:] = [i for i in items if i not in elsewhere]

    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::")[0]
        return next(
            (i for i, slow in enumerate(SLOW_FIRST) if path.startswith(slow)), len(SLOW_FIRST)
        )

    items.sort(key=rank)  # stable: the order inside each module stays


@pytest.fixture(scope="session")
def backend() -> str:
    return BACKEND


# SQLite test databases live in memory-backed storage where there is some: on a disk
# every commit waits for an fsync (tens of milliseconds on a busy machine), and tests
# commit often. The files are the same SQLite files either way.
_SHM = Path("/dev/shm")
FAST_DIR = Path(
    tempfile.mkdtemp(prefix="marac-test-db-", dir=_SHM if os.access(_SHM, os.W_OK) else None)
)


def sqlite_copy(template: str) -> Path:
    """A new copy of the migrated SQLite template, for one test or module."""
    target = FAST_DIR / f"{uuid.uuid4().hex}.db"
    shutil.copyfile(template, target)
    return target


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated to head once per run; tests get copies (SQLite) or emptying (PG)."""
    if BACKEND == "sqlite":
        path = FAST_DIR / "template.db"
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
    if url in _reset_engines:
        _reset_engines.pop(url).dispose()
    postgres.drop_database(url)


_reset_engines: dict[str, Engine] = {}
# Sequences a test used, back to their start, as TRUNCATE ... RESTART IDENTITY would.
_RESTART_SEQUENCES = text(
    "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false) "
    "FROM pg_sequences WHERE last_value IS NOT NULL"
)


def _truncate_all(url: str) -> None:
    """Empty every table of the PostgreSQL database at `url`, as the migration leaves it.

    DELETE with triggers (the audit log's no-delete rule, foreign keys) off for the
    transaction: TRUNCATE makes new files for every table and index, over a second per
    test on a busy server, where deleting a test's few rows takes milliseconds. Servers
    where we may not switch triggers off (not a superuser) get TRUNCATE.
    """
    engine = _reset_engines.get(url) or _reset_engines.setdefault(url, make_engine(url))
    tables = Base.metadata.sorted_tables
    try:
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in reversed(tables):
                conn.execute(table.delete())
            conn.execute(_RESTART_SEQUENCES)
            _start_audit_chain(conn)
    except DBAPIError as error:
        if "permission denied" not in str(error):
            raise
        names = ", ".join(f'"{t.name}"' for t in tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            _start_audit_chain(conn)


def _start_audit_chain(conn: Connection) -> None:
    # An empty log starts a fresh chain, as the migration leaves it.
    conn.execute(
        text("INSERT INTO audit_chain_head (id, seq, last_hash) VALUES (1, 0, :h)"),
        {"h": GENESIS_HASH},
    )


@pytest.fixture
def database_url(migrated_template: str, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database for one test."""
    if BACKEND == "sqlite":
        target = sqlite_copy(migrated_template)
        yield f"sqlite:///{target}"
        _remove_sqlite(target)
        return
    _truncate_all(migrated_template)
    yield migrated_template


@pytest.fixture(scope="session")
def _empty_postgres_database() -> Iterator[list[str]]:
    """One PostgreSQL database per test process for the migration tests, made when first
    asked for: dropping a database makes the server checkpoint, several seconds each time
    on a busy machine, where dropping its schema does not."""
    made: list[str] = []
    yield made
    for url in made:
        postgres.drop_database(url)


@pytest.fixture
def empty_database_url(tmp_path: Path, _empty_postgres_database: list[str]) -> Iterator[str]:
    """A database with no tables at all, for migration tests."""
    if BACKEND == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    if not _empty_postgres_database:
        _empty_postgres_database.append(postgres.create_database("marac_migrate"))
    url = _empty_postgres_database[0]
    postgres.empty_database(url)
    yield url


class SharedBytecode(BytecodeCache):
    """Compiled templates kept for every app this test process makes.

    Each test builds its own app, whose Jinja environment would parse and compile every
    template it renders again; Jinja checks each template's source checksum on load.
    """

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if (code := self.compiled.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": SharedBytecode()}


def _share_url_builders() -> None:
    """Werkzeug compiles a URL builder function for each route of each new app (over half of
    `create_app`'s time); the code depends only on the route's parsed parts, so a test
    process compiles each once. Routes with defaults, which also shape it, are left alone.
    """
    compile_builder = getattr(UrlRule, "_compile_builder", None)
    if compile_builder is None:  # a Werkzeug without it: nothing to share
        return
    built: dict[tuple[Any, ...], Any] = {}

    def shared(self: UrlRule, append_unknown: bool = True) -> Any:
        if self.defaults:
            return compile_builder(self, append_unknown)
        key = (self.rule, tuple(self._trace), append_unknown)
        if key not in built:
            built[key] = compile_builder(self, append_unknown)
        return built[key]

    UrlRule._compile_builder = shared  # type: ignore[method-assign]


_share_url_builders()

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
        code = self._code_without_waiting(email)
        response = self.post(path, data={"code": code, "csrf_token": _csrf(html)})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return response

    def _code_without_waiting(self, email: str) -> str:
        """An unused code for `email`. When its last sign-ins used every code valid now, a
        person would wait up to 30 s for the next; the test forgets the last used step
        instead (the replay rule has its own tests in tests/accounts/test_second_factor.py).
        """
        with self.application.extensions["marac_db"].sessionmaker() as db:
            who = func.lower(User.email) == email.lower()
            secret, last_step = db.execute(
                select(User.totp_secret, User.totp_last_step).where(who)
            ).one()
            found = fresh_code(secret, last_step)
            if found is None:
                db.execute(update(User).where(who).values(totp_last_step=None))
                db.commit()
                found = fresh_code(secret, None)
        assert found is not None
        return found[0]

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
