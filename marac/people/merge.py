"""Kept so `marac.people.merge.queue_possible_matches` still imports (incidents' intake).

Queuing a possible match is identity work and lives in `marac.people.matching`; merging
two people composes several capabilities and lives in `marac.repeats.merge`.
"""

from __future__ import annotations

from marac.people.matching import ordered, queue_possible_matches

__all__ = ["ordered", "queue_possible_matches"]
