"""Bulk import: uploaded spreadsheets, and the rows already imported from any file

Revision ID: 0020_imports
Revises: 0019_attachments
Create Date: 2026-12-02 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marac.db

revision = "0020_imports"
down_revision = "0019_attachments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("file_type", sa.String(length=10), nullable=False),
        sa.Column("store_key", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.Column("mapping", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("imported_count", sa.Integer(), nullable=False),
        sa.Column("duplicate_count", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("created_at", marac.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", marac.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_import_batch_uploaded_by_id", "import_batch", ["uploaded_by_id"], unique=False
    )
    op.create_table(
        "imported_row",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("created_at", marac.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"]),
        sa.ForeignKeyConstraint(["batch_id"], ["import_batch.id"]),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("area_id", "fingerprint", name="uq_imported_row"),
    )
    op.create_index("ix_imported_row_batch_id", "imported_row", ["batch_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_imported_row_batch_id", table_name="imported_row")
    op.drop_table("imported_row")
    op.drop_index("ix_import_batch_uploaded_by_id", table_name="import_batch")
    op.drop_table("import_batch")
