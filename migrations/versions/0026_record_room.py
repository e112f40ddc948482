"""The meeting record made for the room: agencies asked to one meeting, the record's lock

Revision ID: 0026_record_room
Revises: 0025_lawful_basis
Create Date: 2026-12-02 19:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marac.db

revision = "0026_record_room"
down_revision = "0025_lawful_basis"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("meeting") as batch:
        batch.add_column(
            sa.Column("minutes_issued_at", marac.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("correction_open", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "meeting_agency",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("added_at", marac.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"]),
        sa.ForeignKeyConstraint(["added_by_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("meeting_id", "agency_id"),
    )
    # Minutes issued before this revision lock their meeting's record from now on.
    op.execute(
        "UPDATE meeting SET minutes_issued_at = (SELECT minutes.issued_at FROM minutes "
        "WHERE minutes.meeting_id = meeting.id AND minutes.status = 'issued') "
        "WHERE EXISTS (SELECT 1 FROM minutes WHERE minutes.meeting_id = meeting.id "
        "AND minutes.status = 'issued')"
    )


def downgrade() -> None:
    op.drop_table("meeting_agency")
    with op.batch_alter_table("meeting") as batch:
        batch.drop_column("correction_open")
        batch.drop_column("minutes_issued_at")
