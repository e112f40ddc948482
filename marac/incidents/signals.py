"""What incidents tell the capabilities above them, without importing them (blinker).

Receivers run synchronously, inside the transaction of the operation that sent the
signal, so whatever they write commits or rolls back with the incident.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent by `record_incident` once the incident is flushed (it has an id), before its audit
# row. Sender: the session. Keyword arguments: `incident`, `actor` (the recording user)
# and `now` (the time the operation runs at).
incident_recorded = _signals.signal("incident-recorded")
