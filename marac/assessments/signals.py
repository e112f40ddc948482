"""Signals the assessments capability sends; higher capabilities connect to them.

`assessment_endorsed` is sent (inside the endorsing transaction, before commit) with
`session`, `assessment` and `now`; a receiver may return the referral it created.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

assessment_endorsed = _signals.signal("assessment-endorsed")
