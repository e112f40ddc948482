"""Retention of meeting records: when a meeting's record was disposed of

Revision ID: 0032_meeting_retention
Revises: 0031_restricted_records
Create Date: 2026-12-03 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from marac.db import UTCDateTime

revision = "0032_meeting_retention"
down_revision = "0031_restricted_records"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "meeting", sa.Column("record_disposed_at", UTCDateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # In place (SQLite 3.35+): a batch copy would drop the table other rows point at.
        op.execute("ALTER TABLE meeting DROP COLUMN record_disposed_at")
    else:
        op.drop_column("meeting", "record_disposed_at")
