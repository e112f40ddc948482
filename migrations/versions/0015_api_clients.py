"""API clients for the intake API, and the service users they act as

Revision ID: 0015_api_clients
Revises: 0014
Create Date: 2026-12-02 01:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marac.db

revision = "0015_api_clients"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(
            sa.Column("is_service", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "api_client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("scopes", sa.String(length=200), nullable=False),
        sa.Column("token_prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("service_user_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", marac.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", marac.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", marac.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", marac.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_address", sa.String(length=45), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_api_client_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["service_user_id"],
            ["app_user.id"],
            name=op.f("fk_api_client_service_user_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
            name=op.f("fk_api_client_created_by_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_client")),
        sa.UniqueConstraint("name", name=op.f("uq_api_client_name")),
        sa.UniqueConstraint("token_prefix", name=op.f("uq_api_client_token_prefix")),
        sa.UniqueConstraint("service_user_id", name=op.f("uq_api_client_service_user_id")),
    )
    with op.batch_alter_table("api_client") as batch:
        batch.create_index(batch.f("ix_api_client_agency_id"), ["agency_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("api_client") as batch:
        batch.drop_index(batch.f("ix_api_client_agency_id"))
    op.drop_table("api_client")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("is_service")
