"""Attachments: documents on incidents, referrals and actions, scanned for viruses

Revision ID: 0019_attachments
Revises: 0018_documents_in_store
Create Date: 2026-12-02 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marac.db

revision = "0019_attachments"
down_revision = "0018_documents_in_store"
branch_labels = None
depends_on = None

ONE_OWNER = (
    "(CASE WHEN incident_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN referral_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN action_id IS NULL THEN 0 ELSE 1 END) = 1"
)


def upgrade() -> None:
    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("mime", sa.String(length=120), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("signature", sa.String(length=200), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", marac.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("scanned_at", marac.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(ONE_OWNER, name=op.f("ck_attachment_one_owner")),
        sa.ForeignKeyConstraint(
            ["action_id"], ["action.id"], name=op.f("fk_attachment_action_id_action")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_attachment_incident_id_incident")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referral.id"], name=op.f("fk_attachment_referral_id_referral")
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["app_user.id"], name=op.f("fk_attachment_uploaded_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
    )
    op.create_index("ix_attachment_incident_id", "attachment", ["incident_id"])
    op.create_index("ix_attachment_referral_id", "attachment", ["referral_id"])
    op.create_index("ix_attachment_action_id", "attachment", ["action_id"])
    op.create_index("ix_attachment_status", "attachment", ["status"])


def downgrade() -> None:
    op.drop_index("ix_attachment_status", table_name="attachment")
    op.drop_index("ix_attachment_action_id", table_name="attachment")
    op.drop_index("ix_attachment_referral_id", table_name="attachment")
    op.drop_index("ix_attachment_incident_id", table_name="attachment")
    op.drop_table("attachment")
