"""Jobs: long work done by the worker, with progress the requester can watch

Revision ID: 0017_jobs
Revises: 0015_external_endorsement
Create Date: 2026-12-02 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marac.db

revision = "0017_jobs"
down_revision = "0015_external_endorsement"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("done_count", sa.Integer(), nullable=False),
        sa.Column("total_count", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("result_link", sa.String(length=300), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", marac.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", marac.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", marac.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", marac.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["app_user.id"],
            name=op.f("fk_job_requested_by_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
    )
    op.create_index("ix_job_object", "job", ["object_type", "object_id"])
    op.create_index("ix_job_status_created", "job", ["status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_job_status_created", table_name="job")
    op.drop_index("ix_job_object", table_name="job")
    op.drop_table("job")
