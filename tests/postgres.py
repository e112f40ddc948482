"""Where the PostgreSQL test server is, and fresh throwaway databases on it.

`python -m tests.postgres check` exits 0 when PostgreSQL answers, 3 when it does
not (the Makefile then skips the PostgreSQL run), and 2 when it does not but the
`CI` variable is set: in CI an unreachable PostgreSQL is a failure, never a skip.
"""

from __future__ import annotations

import os
import sys

import psycopg
from psycopg import sql

from marac.db import create_postgres_database, drop_postgres_database

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def server_url() -> str:
    """SQLAlchemy URL of a database on the test server that we may connect to for admin."""
    return os.environ.get("MARAC_TEST_POSTGRES_URL") or DEFAULT_URL


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def reachable() -> tuple[bool, str]:
    try:
        with psycopg.connect(_libpq(server_url()), connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return False, str(exc).strip()
    return True, ""


def create_database(prefix: str = "marac_test") -> str:
    """Create an empty database with a unique name; returns its SQLAlchemy URL.

    Its commits do not wait for the server's disk (`synchronous_commit` off): a throwaway
    database loses nothing by it, and on a busy machine each wait is tens of milliseconds.
    """
    url = create_postgres_database(server_url(), prefix)
    name = url.rpartition("/")[2]
    with psycopg.connect(_libpq(server_url()), autocommit=True) as conn:
        conn.execute(
            sql.SQL("ALTER DATABASE {} SET synchronous_commit = off").format(sql.Identifier(name))
        )
    return url


def empty_database(url: str) -> None:
    """Make the database at `url` as empty as a new one: no tables, types or sequences."""
    name = url.rpartition("/")[2]
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        # Connections a failed test left open would hold locks on what is dropped.
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


def drop_database(url: str) -> None:
    drop_postgres_database(server_url(), url)


def main(argv: list[str]) -> int:
    if argv[1:] != ["check"]:
        print("usage: python -m tests.postgres check", file=sys.stderr)
        return 64
    ok, why = reachable()
    if ok:
        print(f"PostgreSQL reachable at {server_url()}")
        return 0
    if os.environ.get("CI"):
        print(
            f"CI is set and PostgreSQL is not reachable at {server_url()}: {why}", file=sys.stderr
        )
        return 2
    print(f"PostgreSQL not reachable at {server_url()}: {why}", file=sys.stderr)
    return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv))
