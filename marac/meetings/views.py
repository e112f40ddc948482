"""Meeting pages: the agenda and research (agenda_views) and the record (record_views)."""

from __future__ import annotations

from marac.meetings import agenda_views, record_views  # noqa: F401  (they register routes)
from marac.meetings.blueprint import bp

__all__ = ["bp"]
