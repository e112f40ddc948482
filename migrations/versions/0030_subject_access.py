"""Subject access packs: one per request for a person, its stored ZIP and its release

Revision ID: 0030_subject_access
Revises: 0029_retention
Create Date: 2026-12-02 19:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from marac.db import UTCDateTime

revision = "0030_subject_access"
down_revision = "0029_retention"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subject_access_pack",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True),
        sa.Column("requested_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("storage_key", sa.String(300), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("produced_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("released_by_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True),
        sa.Column("released_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("released_to", sa.String(300), nullable=False),
        sa.Column("release_method", sa.String(20), nullable=False),
        sa.Column("release_note", sa.Text(), nullable=False),
    )
    op.create_index("ix_subject_access_pack_person_id", "subject_access_pack", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_subject_access_pack_person_id", table_name="subject_access_pack")
    op.drop_table("subject_access_pack")
