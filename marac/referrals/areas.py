"""Which area (and so which panel) a postcode belongs to.

The rule is the incident's (`marac.incidents.placing`): an incident is placed in an area
before any referral exists, and a referral is placed by the same rule.
"""

from __future__ import annotations

from marac.incidents.placing import area_for_postcode

__all__ = ["area_for_postcode"]
