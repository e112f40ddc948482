"""external endorsement: who endorsed an assessment in a force's own system

Revision ID: 0015_external_endorsement
Revises: 0016_api_intake
Create Date: 2026-12-02 02:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_external_endorsement"
# Written against "0014"; re-chained after the API migrations at the merge into h/api,
# so the history has one head.
down_revision = "0016_api_intake"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("risk_assessment") as batch:
        batch.add_column(sa.Column("external_endorser_name", sa.String(length=200), nullable=True))
        batch.add_column(
            sa.Column("external_endorser_reference", sa.String(length=100), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("risk_assessment") as batch:
        batch.drop_column("external_endorser_reference")
        batch.drop_column("external_endorser_name")
