"""Retention: the schedule, what is due for review, legal holds, disposed records, the log

Revision ID: 0029_retention
Revises: 0028_case_search
Create Date: 2026-12-02 19:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marac.db

revision = "0029_retention"
down_revision = "0028_case_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retention_period",
        sa.Column("record_type", sa.String(40), primary_key=True),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True),
        sa.Column("updated_at", marac.db.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "retention_due",
        sa.Column("record_type", sa.String(40), primary_key=True),
        sa.Column("object_id", sa.Integer(), primary_key=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("listed_at", marac.db.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "retention_hold",
        sa.Column("record_type", sa.String(40), primary_key=True),
        sa.Column("object_id", sa.Integer(), primary_key=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=False),
        sa.Column("held_by_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True),
        sa.Column("held_at", marac.db.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "disposed_record",
        sa.Column("record_type", sa.String(40), primary_key=True),
        sa.Column("object_id", sa.Integer(), primary_key=True),
        sa.Column("disposed_at", marac.db.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "disposal_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("record_type", sa.String(40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("people_anonymised", sa.Integer(), nullable=False),
        sa.Column("documents_deleted", sa.Integer(), nullable=False),
        sa.Column("disposed_by_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True),
        sa.Column("job_id", sa.Integer(), sa.ForeignKey("job.id"), nullable=True),
        sa.Column("disposed_at", marac.db.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_disposal_log_job", "disposal_log", ["job_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_disposal_log_job", table_name="disposal_log")
    for table in (
        "disposal_log",
        "disposed_record",
        "retention_hold",
        "retention_due",
        "retention_period",
    ):
        op.drop_table(table)
