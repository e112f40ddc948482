"""Documents in the store: issued PDFs keep a storage key, rendered agendas and packs

Revision ID: 0018_documents_in_store
Revises: 0017_jobs
Create Date: 2026-12-02 08:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marac.db

revision = "0018_documents_in_store"
down_revision = "0017_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("issued_document", schema=None) as batch_op:
        batch_op.add_column(sa.Column("storage_key", sa.String(length=300), nullable=True))
        batch_op.alter_column("pdf", existing_type=sa.LargeBinary(), nullable=True)
    op.create_table(
        "stored_pdf",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", marac.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
            name=op.f("fk_stored_pdf_created_by_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_pdf")),
    )
    op.create_index("ix_stored_pdf_lookup", "stored_pdf", ["kind", "object_id", "fingerprint"])


def downgrade() -> None:
    # Documents issued into the store have no bytes here: refuse rather than lose them.
    in_store = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM issued_document WHERE pdf IS NULL")
    )
    if in_store:
        raise RuntimeError(
            f"{in_store} issued documents live only in the document store; "
            "downgrading would leave them without bytes"
        )
    op.drop_index("ix_stored_pdf_lookup", table_name="stored_pdf")
    op.drop_table("stored_pdf")
    with op.batch_alter_table("issued_document", schema=None) as batch_op:
        batch_op.alter_column("pdf", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column("storage_key")
