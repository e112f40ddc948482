"""The schema is built only by migrations: they match the models and run both ways."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import marac.models  # noqa: F401 - every table on the metadata
from marac import migrate
from marac.db import Base, make_engine


def test_upgrade_matches_models_and_downgrades_to_base(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
            assert differences == [], f"models and migrations disagree: {differences}"
            tables = set(inspect(conn).get_table_names())
        assert {t.name for t in Base.metadata.sorted_tables} <= tables

        migrate.downgrade(empty_database_url, "base")
        with engine.connect() as conn:
            left = set(inspect(conn).get_table_names()) - {"alembic_version"}
        assert left == set(), f"tables left after downgrade: {left}"

        migrate.upgrade(empty_database_url)  # and back up again cleanly
        with engine.connect() as conn:
            assert "audit_event" in inspect(conn).get_table_names()
    finally:
        engine.dispose()
