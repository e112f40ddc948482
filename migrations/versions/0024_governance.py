"""Agencies as data controllers: ICO registration and information-sharing agreement

Revision ID: 0024_governance
Revises: 0023_indexes
Create Date: 2026-12-02 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024_governance"
down_revision = "0023_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agency") as batch:
        batch.add_column(
            sa.Column("ico_registration", sa.String(20), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("isa_version", sa.String(40), nullable=False, server_default=""))
        batch.add_column(sa.Column("isa_signed_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agency") as batch:
        batch.drop_column("isa_signed_on")
        batch.drop_column("isa_version")
        batch.drop_column("ico_registration")
