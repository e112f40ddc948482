"""need-to-know matching: incidents linked to a person the recorder cannot see, and the
possible matches queued for a coordinator

Revision ID: 0014
Revises: 0009
Create Date: 2026-12-01 22:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marac.db

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incident") as batch:
        batch.add_column(
            sa.Column("person_withheld", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "possible_match",
        sa.Column("person_a_id", sa.Integer(), nullable=False),
        sa.Column("person_b_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=80), nullable=False),
        sa.Column("raised_by_id", sa.Integer(), nullable=True),
        sa.Column("raised_at", marac.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "person_a_id < person_b_id", name=op.f("ck_possible_match_ordered_pair")
        ),
        sa.ForeignKeyConstraint(
            ["raised_by_id"], ["app_user.id"], name=op.f("fk_possible_match_raised_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["person_a_id"],
            ["person.id"],
            name=op.f("fk_possible_match_person_a_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_b_id"],
            ["person.id"],
            name=op.f("fk_possible_match_person_b_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_a_id", "person_b_id", name=op.f("pk_possible_match")),
    )
    with op.batch_alter_table("possible_match") as batch:
        batch.create_index(batch.f("ix_possible_match_person_b_id"), ["person_b_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("possible_match") as batch:
        batch.drop_index(batch.f("ix_possible_match_person_b_id"))
    op.drop_table("possible_match")
    with op.batch_alter_table("incident") as batch:
        batch.drop_column("person_withheld")
