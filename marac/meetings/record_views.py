"""The meeting record: attendance, each case's discussion and decision, action review."""

from __future__ import annotations

from marac.meetings.blueprint import bp  # noqa: F401
