"""Bodies a records system would send."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from marac.assessments.instrument import CURRENT_VERSION
from marac.db import utcnow
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


def assessment_body(
    reference: str = "RA/777/26",
    incident_reference: str = "AK/12345/26",
    *,
    level: str = "high",
    endorsed: bool = True,
    **changes: Any,
) -> dict[str, Any]:
    """A complete assessment in the current instrument; endorsed at `level` by default."""
    from tests.assessments.helpers import all_answers

    body: dict[str, Any] = {
        "sender_reference": reference,
        "incident_reference": incident_reference,
        "instrument_version": CURRENT_VERSION,
        "answers": all_answers(),
        "judgement": {
            "level": level,
            "rationale": "Repeated targeting near her home; she is frightened to go out.",
        },
        "measures": [
            {
                "description": "Neighbourhood team patrols past the address",
                "rara": "reduce",
                "responsible": "North neighbourhood team",
            }
        ],
    }
    if endorsed:
        body["endorsement"] = {
            "endorser_name": "Sgt K. Osei",
            "endorser_reference": f"END/{reference}",
            "endorsed_at": (utcnow() - timedelta(hours=1)).isoformat(),
            "final_level": level,
        }
    body.update(changes)
    return body
