"""The fictional demo borough's places, shared by the demo loaders of every capability."""

from __future__ import annotations

DEMO_DOMAIN = "ashbrook.example"  # .example is reserved: no real mailbox can match

AREAS: list[tuple[str, list[str], str]] = [
    ("Ashbrook North", ["Millfield", "Thornbury Heath", "Kestrel Park"], "AK1 AK2 AK3"),
    ("Ashbrook Central", ["Market Cross", "Riverside", "St Aldhelm's"], "AK4 AK5"),
    ("Ashbrook South", ["Southmoor", "Copper Lane", "Wrenfield"], "AK6 AK7 AK8"),
]
