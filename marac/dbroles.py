"""PostgreSQL roles: the schema owner runs migrations, the app runs as a lesser role.

The app role may read and write the case tables but only INSERT and SELECT the audit
log, so even a compromised app cannot UPDATE, DELETE or TRUNCATE it, disable its
triggers (owner only) or `SET session_replication_role` (superuser only). The grants
are idempotent; `marac db upgrade` re-applies them after migrating, and default
privileges give the role what it needs on tables a later migration creates.
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.engine import make_url

from marac.db import make_engine

# Tables the app may only append to and read.
APPEND_ONLY_TABLES = ("audit_event",)


def app_role_of(app_url: str, migration_url: str) -> str | None:
    """The app's PostgreSQL role when it differs from the migration (owner) role."""
    app, owner = make_url(app_url), make_url(migration_url)
    if not app.get_backend_name().startswith("postgresql") or not app.username:
        return None
    return app.username if app.username != owner.username else None


def grant_statements(role: str) -> list[str]:
    """The SQL that gives `role` the app's privileges (run as the schema owner)."""
    who = _quote(role)
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {who}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {who}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {who}",
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {who}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {who}",
        # The schema's version is the owner's business.
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM {who}",
    ]
    for table in APPEND_ONLY_TABLES:
        statements.append(
            f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {table} FROM {who}"
        )
    # The chain's head is only ever moved on (UPDATE); the migration creates its one row.
    statements.append(f"REVOKE INSERT, DELETE, TRUNCATE ON audit_chain_head FROM {who}")
    return statements


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def grant_app_role(connection: Connection, role: str) -> None:
    for statement in grant_statements(role):
        connection.exec_driver_sql(statement)


def grant_app_role_at(migration_url: str, role: str) -> None:
    """Connect as the owner at `migration_url` and (re)apply the app role's grants."""
    engine = make_engine(migration_url)
    try:
        with engine.begin() as conn:
            grant_app_role(conn, role)
    finally:
        engine.dispose()
