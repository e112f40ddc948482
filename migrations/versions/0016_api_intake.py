"""API intake: each create's Idempotency-Key and sender reference, unique per client

Revision ID: 0016_api_intake
Revises: 0015_api_clients
Create Date: 2026-12-02 01:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marac.db

revision = "0016_api_intake"
down_revision = "0015_api_clients"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_intake",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("sender_reference", sa.String(length=80), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=True),
        sa.Column("created_at", marac.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["api_client.id"], name=op.f("fk_api_intake_client_id_api_client")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_intake")),
        sa.UniqueConstraint("client_id", "idempotency_key", name="uq_api_intake_client_key"),
        sa.UniqueConstraint(
            "client_id", "kind", "sender_reference", name="uq_api_intake_client_reference"
        ),
    )


def downgrade() -> None:
    op.drop_table("api_intake")
