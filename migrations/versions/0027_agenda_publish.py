"""Agenda publishing: the reason for publishing to a lapsed agency; lapse notices sent once

Revision ID: 0027_agenda_publish
Revises: 0026_record_room
Create Date: 2026-12-02 19:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027_agenda_publish"
down_revision = "0026_record_room"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agency") as batch:
        batch.add_column(sa.Column("isa_lapse_noticed_on", sa.Date(), nullable=True))
    with op.batch_alter_table("meeting") as batch:
        batch.add_column(
            sa.Column("agenda_lapsed_reason", sa.Text(), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("meeting") as batch:
        batch.drop_column("agenda_lapsed_reason")
    with op.batch_alter_table("agency") as batch:
        batch.drop_column("isa_lapse_noticed_on")
