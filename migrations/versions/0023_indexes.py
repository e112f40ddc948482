"""Indexes for pages whose cost stays flat, and when each coordinator last saw the queue

Revision ID: 0023_indexes
Revises: 0020_imports
Create Date: 2026-12-02 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marac.db

revision = "0023_indexes"
down_revision = "0020_imports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_risk_assessment_assessor_status", "risk_assessment", ["assessor_id", "status"]
    )
    op.create_index("ix_referral_referrer_status", "referral", ["referrer_id", "status"])
    op.create_table(
        "screening_visit",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", marac.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("new_since", marac.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_screening_visit_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_screening_visit")),
    )


def downgrade() -> None:
    op.drop_table("screening_visit")
    op.drop_index("ix_referral_referrer_status", table_name="referral")
    op.drop_index("ix_risk_assessment_assessor_status", table_name="risk_assessment")
