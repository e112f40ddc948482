"""What accounts tells the capabilities above it, without importing them (blinker)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent inside the operation that created an area, with `db=` and `actor=`; receivers set up
# what a new area needs (incidents: the default local strands) and return the rows they
# added, each with a `name`, so the audit row can list them. Same transaction.
area_created = _signals.signal("area-created")
