"""Audit: the append-only log and the one `record(...)` helper every feature calls."""

from marac.audit.log import AuditError, record

__all__ = ["AuditError", "record"]
