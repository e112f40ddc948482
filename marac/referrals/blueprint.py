"""The referrals blueprint, shared by the referral lists and forms and by the case page.

The case page (`marac.cases.views`) composes referrals with the panel's hearings and
actions, so it sits above them, yet it keeps its endpoints (`referrals.view`, the
screening actions): both view modules attach routes to this one blueprint.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("referrals", __name__, url_prefix="/referrals")
