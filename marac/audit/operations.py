"""Writes of the audit capability: reading the log is itself recorded."""

from __future__ import annotations

from sqlalchemy.orm import Session

from marac.accounts.models import User
from marac.audit.log import record
from marac.audit.queries import LogPage, log_page
from marac.operations import operation


@operation
def view_log(db: Session, actor: User, filters: dict[str, str], page: int = 1) -> LogPage:
    """One page of the log for an admin, with an audit row saying which page was read."""
    found = log_page(db, actor, filters, page)
    record(
        db,
        "audit_viewed",
        "audit_log",
        None,
        f"Viewed audit log page {found.page.page}",
        user=actor,
    )
    return found
