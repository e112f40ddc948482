"""Bodies a records system would send."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from marac.formatting import uk_today


def incident_body(reference: str = "AK/12345/26", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sender_reference": reference,
        "occurred_on": (uk_today() - timedelta(days=3)).isoformat(),
        "occurred_time": "21:15",
        "online": False,
        "incident_type": "verbal_abuse",
        "recorded_as": "crime",
        "reported_via": "police",
        "perceived_by": ["victim", "witness"],
        "description": "Two men shouted abuse about her headscarf.",
        "place": "Bus stop outside the library",
        "postcode": "AK1 3CD",
        "aggravated_offence": True,
        "crime_reference": reference,
        "strands": ["religion", "race"],
        "subcategories": ["anti_muslim"],
        "victim": {
            "full_name": "Amira Haddad",
            "date_of_birth": "1987-02-14",
            "postcode": "AK1 2BX",
            "phone": "07700 900123",
        },
        "perpetrators": [{"known": False, "relationship": "stranger", "age_band": "18_24"}],
    }
    body.update(changes)
    return body
