"""Restricted records: a person only a named list sees, access requests, break-glass grants

Revision ID: 0031_restricted_records
Revises: 0030_subject_access
Create Date: 2026-12-02 19:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from marac.db import UTCDateTime

revision = "0031_restricted_records"
down_revision = "0030_subject_access"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person_restriction",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("restricted_by_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("person_id"),
    )
    op.create_table(
        "restriction_access",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "restriction_id",
            sa.Integer(),
            sa.ForeignKey("person_restriction.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("granted_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_restriction_access_restriction_id", "restriction_access", ["restriction_id"]
    )
    op.create_index(
        "ix_restriction_access_user", "restriction_access", ["user_id", "restriction_id"]
    )
    op.create_table(
        "restriction_request",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "restriction_id",
            sa.Integer(),
            sa.ForeignKey("person_restriction.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True),
        sa.Column("decided_at", UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_restriction_request_restriction_id", "restriction_request", ["restriction_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_restriction_request_restriction_id", table_name="restriction_request")
    op.drop_table("restriction_request")
    op.drop_index("ix_restriction_access_user", table_name="restriction_access")
    op.drop_index("ix_restriction_access_restriction_id", table_name="restriction_access")
    op.drop_table("restriction_access")
    op.drop_table("person_restriction")
