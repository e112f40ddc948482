"""Where the minutes get the repeat flags of the referrals they list.

Repeat flags compose people, incidents and referrals and rank above the minutes, so
the minutes do not import them: `marac.repeats.receivers` (imported by `create_app`)
connects the flagging function here. A minutes document must never go out silently
without its flags, so asking before it is connected is an error, not an empty answer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

FlagsFor = Callable[[Session, list[int], date], dict[int, list[Any]]]

_connected: list[FlagsFor] = []


def connect_repeat_flags(flags_for: FlagsFor) -> None:
    """Use `flags_for(session, referral_ids, on)` for the minutes' repeat flags."""
    _connected[:] = [flags_for]


def flags_for_referrals(
    session: Session, referral_ids: list[int], on: date
) -> dict[int, list[Any]]:
    """The repeat flags of each referral as they stood on `on` (the meeting date)."""
    if not _connected:
        raise RuntimeError("Repeat flags are not connected: create the app first")
    return _connected[0](session, referral_ids, on)
