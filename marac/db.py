"""Database engine, one session per request, and the declarative base.

Plain SQLAlchemy 2 (no Flask-SQLAlchemy) so the rules modules can take a
`Session` and run without a request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TypeVar

from flask import Flask, abort, current_app, g
from sqlalchemy import DateTime, Engine, Index, MetaData, create_engine, event, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

M = TypeVar("M")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints alike."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on both SQLite (which drops the zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def trigram_indexes(table: str, *columns: str) -> tuple[Index, ...]:
    """GIN trigram indexes so `ILIKE '%text%'` stays fast on PostgreSQL (pg_trgm).

    Other databases build a plain index of the same name, so one schema fits both; the
    migration creating them first creates the pg_trgm extension (docs/cases.md).
    """
    return tuple(
        Index(
            f"ix_{table}_{column}_trgm",
            column,
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        )
        for column in columns
    )


# Set only while the demo loader replays past events (`clock_at`): everything they write,
# audit rows included, is dated when the event happened, not when the demo was loaded.
_replayed_now: ContextVar[datetime | None] = ContextVar("replayed_now", default=None)


def utcnow() -> datetime:
    return _replayed_now.get() or datetime.now(UTC)


@contextmanager
def clock_at(when: datetime) -> Iterator[None]:
    """Within the block `utcnow()` is `when`: for replaying history (the demo), never in a
    request."""
    if when.tzinfo is None:
        raise ValueError("clock_at needs an aware datetime")
    token = _replayed_now.set(when.astimezone(UTC))
    try:
        yield
    finally:
        _replayed_now.reset(token)


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets foreign keys and a busy timeout for the threaded server."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 15, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


class Database:
    """Holds the engine and session factory for one Flask app."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessionmaker = sessionmaker(bind=self.engine, expire_on_commit=False)

    def init_app(self, app: Flask) -> None:
        app.extensions["marac_db"] = self
        app.teardown_appcontext(self._close_session)

    @staticmethod
    def _close_session(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.close()


def get_db() -> Database:
    return current_app.extensions["marac_db"]


def db_session() -> Session:
    """The session for the current app context (request or CLI command)."""
    if "db_session" not in g:
        g.db_session = get_db().sessionmaker()
    return g.db_session


def database_answers(session: Session) -> bool:
    """True when the database answers a trivial statement: the health check's one question."""
    try:
        session.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


def get_or_404(model: type[M], object_id: object) -> M:
    """The row with this primary key, or a 404 page: the one way views load a record."""
    found = db_session().get(model, object_id)
    if found is None:
        abort(404)
    return found


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def create_postgres_database(server_url: str, prefix: str) -> str:
    """Create an empty, uniquely named database beside `server_url`; return its URL.

    For throwaway databases: the test runs and the benchmarks.
    """
    import os
    import secrets

    import psycopg
    from psycopg import sql

    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(_libpq(server_url), autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"{server_url.rpartition('/')[0]}/{name}"


def drop_postgres_database(server_url: str, url: str) -> None:
    """Drop the database at `url` (made by `create_postgres_database`), connections and all."""
    import psycopg
    from psycopg import sql

    name = url.rpartition("/")[2]
    with psycopg.connect(_libpq(server_url), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
