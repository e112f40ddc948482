"""The Cases search: a phonetic key on person, and trigram indexes on PostgreSQL

Revision ID: 0028_case_search
Revises: 0027_agenda_publish
Create Date: 2026-12-02 19:50:00

On PostgreSQL this creates the pg_trgm extension (`CREATE EXTENSION IF NOT EXISTS`),
which needs a role allowed to create it (the database owner on PostgreSQL 13 and later,
where pg_trgm is a trusted extension). Other databases get plain indexes of the same
names. The phonetic key of every existing person is filled in from their name.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from marac.people.phonetic import phonetic_key

revision = "0028_case_search"
down_revision = "0027_agenda_publish"
branch_labels = None
depends_on = None

TRIGRAM = {
    "person": ("normalised_name", "phonetic_key", "address", "postcode"),
    "referral": ("reference", "location", "location_postcode"),
    "incident": ("crime_reference",),
    "perpetrator": ("name",),
}


def _backfill() -> None:
    """Each person's key from their name, in batches (the rule is Python, not SQL)."""
    bind = op.get_bind()
    person = sa.table(
        "person",
        sa.column("id", sa.Integer),
        sa.column("full_name", sa.String),
        sa.column("phonetic_key", sa.String),
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(person.c.id, person.c.full_name)
            .where(person.c.id > last)
            .order_by(person.c.id)
            .limit(1000)
        ).all()
        if not rows:
            return
        bind.execute(
            person.update()
            .where(person.c.id == sa.bindparam("pid"))
            .values(phonetic_key=sa.bindparam("key")),
            [{"pid": pid, "key": phonetic_key(name or "")} for pid, name in rows],
        )
        last = rows[-1][0]


def upgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.add_column(
            sa.Column("phonetic_key", sa.String(200), nullable=False, server_default="")
        )
    _backfill()
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, columns in TRIGRAM.items():
        for column in columns:
            op.create_index(
                f"ix_{table}_{column}_trgm",
                table,
                [column],
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            )


def downgrade() -> None:
    # The pg_trgm extension stays: other databases' objects or later migrations may use it.
    for table, columns in TRIGRAM.items():
        for column in columns:
            op.drop_index(f"ix_{table}_{column}_trgm", table_name=table)
    if op.get_bind().dialect.name == "sqlite":
        # SQLite 3.35+ drops the column in place: a batch copy would DROP TABLE person,
        # which the foreign keys of existing referrals and incidents refuse.
        op.execute("ALTER TABLE person DROP COLUMN phonetic_key")
    else:
        op.drop_column("person", "phonetic_key")
