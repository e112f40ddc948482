"""one open referral: a person has at most one automatic referral waiting to be heard

A partial unique index on referral.person_id over the automatic referrals that are new,
waiting for more information, or accepted. Partner referrals and heard, declined or
closed referrals are outside it.

Existing data that breaks the rule is not merged here: which referral a case should keep
(its agenda place, actions, screening notes) is a coordinator's decision. The upgrade
stops with the people and references concerned; decline the duplicates on their referral
pages (for example "duplicate of CM-2026-0012") and run the upgrade again.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Written out here, not imported: a migration keeps the rule as it was when it ran.
OPEN_AUTOMATIC = "status IN ('new', 'more_info', 'accepted') AND source <> 'partner'"


def _duplicates() -> list[str]:
    rows = op.get_bind().execute(
        sa.text(
            f"SELECT person_id, reference FROM referral WHERE person_id IS NOT NULL "
            f"AND {OPEN_AUTOMATIC} AND person_id IN ("
            f"SELECT person_id FROM referral WHERE person_id IS NOT NULL AND {OPEN_AUTOMATIC} "
            "GROUP BY person_id HAVING COUNT(*) > 1) ORDER BY person_id, reference"
        )
    )
    found: dict[int, list[str]] = {}
    for person_id, reference in rows:
        found.setdefault(person_id, []).append(reference)
    return [f"person {pid}: {', '.join(refs)}" for pid, refs in found.items()]


def upgrade() -> None:
    duplicates = _duplicates()
    if duplicates:
        raise RuntimeError(
            "Migration 0010 needs at most one automatic referral waiting to be heard per "
            "person, but these people have more than one: "
            + "; ".join(duplicates)
            + ". Decline the duplicates (keep the one the panel should hear) and run "
            "`marac db upgrade` again. Nothing was changed."
        )
    op.create_index(
        "uq_referral_person_open",
        "referral",
        ["person_id"],
        unique=True,
        postgresql_where=sa.text(OPEN_AUTOMATIC),
        sqlite_where=sa.text(OPEN_AUTOMATIC),
    )


def downgrade() -> None:
    op.drop_index("uq_referral_person_open", table_name="referral")
