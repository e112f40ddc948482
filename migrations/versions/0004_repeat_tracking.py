"""repeat tracking: per-area repeat definitions, dismissed duplicates, date-of-birth index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 14:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marac.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "repeat_settings",
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("referral_window_days", sa.Integer(), nullable=False),
        sa.Column("victim_incidents", sa.Integer(), nullable=False),
        sa.Column("victim_window_days", sa.Integer(), nullable=False),
        sa.Column("targeted_incidents", sa.Integer(), nullable=False),
        sa.Column("targeted_window_days", sa.Integer(), nullable=False),
        sa.Column("perpetrator_victims", sa.Integer(), nullable=False),
        sa.Column("perpetrator_referrals", sa.Integer(), nullable=False),
        sa.Column("location_incidents", sa.Integer(), nullable=False),
        sa.Column("location_window_days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["area.id"],
            name=op.f("fk_repeat_settings_area_id_area"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("area_id", name=op.f("pk_repeat_settings")),
    )
    op.create_table(
        "duplicate_dismissal",
        sa.Column("person_a_id", sa.Integer(), nullable=False),
        sa.Column("person_b_id", sa.Integer(), nullable=False),
        sa.Column("dismissed_by_id", sa.Integer(), nullable=True),
        sa.Column("dismissed_at", marac.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "person_a_id < person_b_id", name=op.f("ck_duplicate_dismissal_ordered_pair")
        ),
        sa.ForeignKeyConstraint(
            ["dismissed_by_id"],
            ["app_user.id"],
            name=op.f("fk_duplicate_dismissal_dismissed_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["person_a_id"],
            ["person.id"],
            name=op.f("fk_duplicate_dismissal_person_a_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_b_id"],
            ["person.id"],
            name=op.f("fk_duplicate_dismissal_person_b_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_a_id", "person_b_id", name=op.f("pk_duplicate_dismissal")),
    )
    with op.batch_alter_table("duplicate_dismissal", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_duplicate_dismissal_person_b_id"), ["person_b_id"], unique=False
        )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index("ix_person_dob", ["date_of_birth"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index("ix_person_dob")
    with op.batch_alter_table("duplicate_dismissal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duplicate_dismissal_person_b_id"))
    op.drop_table("duplicate_dismissal")
    op.drop_table("repeat_settings")
