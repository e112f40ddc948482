"""audit chain: every audit row carries a seq number and a SHA-256 hash chained to the last

Also refuses INSERT OR REPLACE on SQLite (REPLACE deletes the old row without firing
the DELETE trigger). Existing rows are chained in id order. Summaries no longer carry
case text, so a merge's reason moves to the new person_merge table (copied from the
audit rows of earlier merges, which themselves stay as they were written).

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-01 22:00:00
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

import marac.db
from marac.audit.chain import GENESIS_HASH, row_hash

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_events = sa.table(
    "audit_event",
    sa.column("id", sa.Integer()),
    sa.column("seq", sa.BigInteger()),
    sa.column("at", marac.db.UTCDateTime()),
    sa.column("user_id", sa.Integer()),
    sa.column("user_label", sa.String()),
    sa.column("action", sa.String()),
    sa.column("object_type", sa.String()),
    sa.column("object_id", sa.String()),
    sa.column("ip_address", sa.String()),
    sa.column("summary", sa.Text()),
    sa.column("prev_hash", sa.String()),
    sa.column("row_hash", sa.String()),
)


MERGE_SUMMARY = re.compile(
    r"^Merged person (?P<duplicate>\d+) into person (?P<survivor>\d+) "
    r".*?\. Reason: (?P<reason>.*)$",
    re.DOTALL,
)


def upgrade() -> None:
    merges = op.create_table(
        "person_merge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survivor_person_id", sa.Integer(), nullable=False),
        sa.Column("duplicate_person_id", sa.Integer(), nullable=False),
        sa.Column("merged_by_id", sa.Integer(), nullable=True),
        sa.Column("merged_at", marac.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merged_by_id"], ["app_user.id"], name=op.f("fk_person_merge_merged_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_merge")),
    )
    with op.batch_alter_table("person_merge") as batch:
        batch.create_index(
            batch.f("ix_person_merge_survivor_person_id"), ["survivor_person_id"], unique=False
        )
    _copy_merge_reasons(merges)
    _drop_guards()
    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_chain_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))
    seq, previous = _backfill()
    op.bulk_insert(head, [{"id": 1, "seq": seq, "last_hash": previous}])
    with op.batch_alter_table("audit_event") as batch:
        batch.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("row_hash", existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint(op.f("uq_audit_event_seq"), ["seq"])
    _create_guards(refuse_replace=True)


def _copy_merge_reasons(merges: sa.Table) -> None:
    found = op.get_bind().execute(
        sa.select(_events.c.at, _events.c.user_id, _events.c.summary)
        .where(_events.c.action == "people_merged")
        .order_by(_events.c.id)
    )
    rows = []
    for at, user_id, summary in found:
        if (match := MERGE_SUMMARY.match(summary or "")) is not None:
            rows.append(
                {
                    "survivor_person_id": int(match["survivor"]),
                    "duplicate_person_id": int(match["duplicate"]),
                    "merged_by_id": user_id,
                    "merged_at": at,
                    "reason": match["reason"],
                }
            )
    if rows:
        op.bulk_insert(merges, rows)


def _backfill() -> tuple[int, str]:
    """Chain the rows already there, oldest first; returns the head (seq, hash)."""
    bind = op.get_bind()
    rows = bind.execute(sa.select(_events).order_by(_events.c.id)).all()
    seq, previous = 0, GENESIS_HASH
    for row in rows:
        seq += 1
        values = row._asdict()
        values.update(seq=seq, prev_hash=previous, summary=row.summary or "")
        for key in ("id", "row_hash"):
            values.pop(key)
        previous = row_hash(**values)
        bind.execute(
            sa.update(_events)
            .where(_events.c.id == row.id)
            .values(seq=seq, prev_hash=values["prev_hash"], row_hash=previous)
        )
    return seq, previous


def downgrade() -> None:
    _drop_guards()
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_constraint(op.f("uq_audit_event_seq"), type_="unique")
        batch.drop_column("row_hash")
        batch.drop_column("prev_hash")
        batch.drop_column("seq")
    op.drop_table("audit_chain_head")
    _create_guards(refuse_replace=False)
    with op.batch_alter_table("person_merge") as batch:
        batch.drop_index(batch.f("ix_person_merge_survivor_person_id"))
    op.drop_table("person_merge")


def _drop_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update_or_delete ON audit_event")
    else:
        for name in ("update", "delete", "replace"):
            op.execute(f"DROP TRIGGER IF EXISTS audit_event_no_{name}")


def _create_guards(*, refuse_replace: bool) -> None:
    """The append-only triggers of 0001 (SQLite's batch copy drops them), plus REPLACE."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER audit_event_no_update_or_delete BEFORE UPDATE OR DELETE "
            "ON audit_event FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
        )
        return
    for operation in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_event_no_{operation.lower()} BEFORE {operation} "
            "ON audit_event BEGIN SELECT RAISE(ABORT, "
            f"'audit_event is append-only: {operation} is not allowed'); END"
        )
    if refuse_replace:
        # INSERT OR REPLACE deletes the clashing row first and fires no DELETE trigger.
        op.execute(
            "CREATE TRIGGER audit_event_no_replace BEFORE INSERT ON audit_event "
            "WHEN EXISTS (SELECT 1 FROM audit_event WHERE id = NEW.id OR seq = NEW.seq) "
            "BEGIN SELECT RAISE(ABORT, "
            "'audit_event is append-only: REPLACE is not allowed'); END"
        )
