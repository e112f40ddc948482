"""Referrals: why consent was refused or not sought, a coded lawful basis, merged referrals

Revision ID: 0025_lawful_basis
Revises: 0024_governance
Create Date: 2026-12-02 19:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025_lawful_basis"
down_revision = "0024_governance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("referral") as batch:
        batch.add_column(sa.Column("consent_reason", sa.Text(), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("lawful_basis_code", sa.String(30), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_referral_merged_into_id_referral", "referral", ["merged_into_id"], ["id"]
        )
    # A basis written in words before the codes existed is "another lawful basis".
    op.execute(
        "UPDATE referral SET lawful_basis_code = 'other' "
        "WHERE consent <> 'given' AND lawful_basis <> ''"
    )


def downgrade() -> None:
    with op.batch_alter_table("referral") as batch:
        batch.drop_constraint("fk_referral_merged_into_id_referral", type_="foreignkey")
        batch.drop_column("merged_into_id")
        batch.drop_column("lawful_basis_code")
        batch.drop_column("consent_reason")
