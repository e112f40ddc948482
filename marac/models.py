"""Imports every model so Alembic and the tests see the whole schema."""

from marac.accounts.models import Agency, Area, User
from marac.audit.models import AuditEvent

__all__ = ["Agency", "Area", "AuditEvent", "User"]
