"""Which areas of the borough a user works in: the root of every coordinator's view."""

from __future__ import annotations

from typing import Any

from marac.accounts.models import Role


def covers_area(user: Any, area_id: int | None) -> bool:
    """A coordinator covers an area they are assigned to, and every unknown area."""
    if not user.has_role(Role.COORDINATOR):
        return False
    return area_id is None or area_id in {a.id for a in user.areas}
