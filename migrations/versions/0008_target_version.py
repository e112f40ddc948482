"""target version: partnership targets can be changed, so they carry a version

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot add a NOT NULL column with ALTER alone.
    with op.batch_alter_table("partnership_target") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("partnership_target") as batch:
        batch.alter_column("version", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("partnership_target") as batch:
        batch.drop_column("version")
