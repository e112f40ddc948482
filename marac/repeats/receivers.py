"""Connects the repeat flags to the lower capabilities that show them (imported by create_app)."""

from __future__ import annotations

from marac.minutes.flagging import connect_repeat_flags
from marac.repeats.flags import flags_for_referrals

connect_repeat_flags(flags_for_referrals)
