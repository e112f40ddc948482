"""Small-number disclosure control for figures that leave the system (the partnership pack).

Hiding the counts from 1 to 4 is not enough on its own: a hidden count can be worked back
from a total and the other counts beside it ("12 in all, 9 and 0 shown: the third is 3"),
from a percentage of a published whole ("22% of 9": 2), or from a complement ("9
referrals, 7 repeats": 2 were not). So the published figures are described as sums
(`Sheet.group`: a total and its parts, some parts never printed), and `protect`:

1. hides every count from 1 to 4 (*primary*, printed "fewer than 5");
2. works out, as a reader could, the range each hidden or unprinted count must lie in,
   from every printed total, part and label ("fewer than 5" means 1 to 4; "withheld"
   means at least 1);
3. while any count from 1 to 4, or the sum of a group's hidden counts, is pinned to one
   value, withholds the smallest printed non-zero count of that group too (*secondary*).

A percentage is printed only when both its part and its whole are printed, so it tells
nothing the counts do not. Plain functions, no Flask.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

THRESHOLD = 5
PRIMARY = "fewer than 5"
SECONDARY = "withheld"

INF = math.inf


@dataclass
class Sheet:
    """Counts (by key), which of them are printed, and the sums that tie them together."""

    values: dict[str, int] = field(default_factory=dict)
    printed: set[str] = field(default_factory=set)
    groups: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def count(self, key: str, value: int, *, printed: bool = True) -> str:
        """Add a count; the same key in two places must be the same count."""
        known = self.values.setdefault(key, value)
        if known != value:
            raise ValueError(f"{key} is {known} in one place and {value} in another")
        if printed:
            self.printed.add(key)
        return key

    def group(self, total: str, parts: Iterable[str]) -> None:
        """`total` is the sum of `parts`; a sum that does not hold is no use to anyone."""
        parts = tuple(parts)
        if parts and sum(self.values[p] for p in parts) == self.values[total]:
            self.groups.append((total, parts))


def _bounds(sheet: Sheet, hidden: Mapping[str, str]) -> dict[str, tuple[float, float]]:
    """The range a reader can put each count in from what is printed, to a fixed point."""
    bounds: dict[str, tuple[float, float]] = {}
    for key, value in sheet.values.items():
        if key in sheet.printed and key not in hidden:
            bounds[key] = (value, value)
        elif hidden.get(key) == PRIMARY:
            bounds[key] = (1, THRESHOLD - 1)
        elif hidden.get(key) == SECONDARY:  # 5 or more, or a loosened "fewer than 5"
            bounds[key] = (1, INF)
        else:  # never printed: a count of zero or more
            bounds[key] = (0, INF)
    for _ in range(4 * len(sheet.groups) + 4):
        changed = False
        for total, parts in sheet.groups:
            t_lo = max(bounds[total][0], sum(bounds[p][0] for p in parts))
            t_hi = min(bounds[total][1], sum(bounds[p][1] for p in parts))
            changed |= (t_lo, t_hi) != bounds[total]
            bounds[total] = (t_lo, t_hi)
            for p in parts:
                others_lo = sum(bounds[q][0] for q in parts if q != p)
                others_hi = sum(bounds[q][1] for q in parts if q != p)
                lo = max(bounds[p][0], t_lo - others_hi)  # -inf when the others are open
                hi = min(bounds[p][1], t_hi - others_lo)
                changed |= (lo, hi) != bounds[p]
                bounds[p] = (lo, hi)
        if not changed:
            break
    return bounds


def _small(value: float) -> bool:
    return 0 < value < THRESHOLD


def _secret(sheet: Sheet, hidden: Mapping[str, str], key: str) -> bool:
    return key in hidden or key not in sheet.printed


def disclosures(sheet: Sheet, hidden: Mapping[str, str]) -> list[int]:
    """Indexes of the groups through which a count under 5 can be worked back."""
    bounds = _bounds(sheet, hidden)

    def pinned(key: str) -> bool:
        return bounds[key][0] == bounds[key][1]

    found: list[int] = []
    for index, (total, parts) in enumerate(sheet.groups):
        members = (total, *parts)
        pinned_small = any(
            _secret(sheet, hidden, k) and pinned(k) and _small(sheet.values[k]) for k in members
        )
        # With the total known, the parts not yet pinned add up to a known sum.
        open_parts = [p for p in parts if not pinned(p)]
        summed = sum(sheet.values[p] for p in open_parts)
        small_sum = pinned(total) and len(open_parts) > 1 and _small(summed)
        if pinned_small or small_sum:
            found.append(index)
    return found


def _remedy(sheet: Sheet, hidden: dict[str, str], total: str, parts: tuple[str, ...]) -> bool:
    """Hide one more count of a leaking group; False when nothing in it is left to hide."""
    printed = [k for k in (total, *parts) if k in sheet.printed]
    # The smallest printed non-zero part, else the total.
    parts_printed = [k for k in parts if k in sheet.printed]
    for pool in (parts_printed, [total] if total in printed else []):
        visible = [k for k in pool if k not in hidden and sheet.values[k] > 0]
        if visible:
            hidden[min(visible, key=lambda k: (sheet.values[k], k))] = SECONDARY
            return True
    # Every printed count here is hidden already and the labels themselves give it away
    # (four "fewer than 5" parts of a "fewer than 5" total are all 1): loosen a label.
    for key in (total, *parts):
        if hidden.get(key) == PRIMARY:
            hidden[key] = SECONDARY
            return True
    return False


def protect(sheet: Sheet) -> dict[str, str]:
    """Printed counts to hide, each with the words printed in its place."""
    hidden: dict[str, str] = {key: PRIMARY for key in sheet.printed if _small(sheet.values[key])}
    while leaks := disclosures(sheet, hidden):
        if not any(_remedy(sheet, hidden, *sheet.groups[index]) for index in leaks):
            # Nothing left to hide in any leaking group: publish no count at all.
            return {key: SECONDARY for key in sheet.printed if sheet.values[key] > 0}
    return hidden


def shown(hidden: Mapping[str, str], sheet: Sheet, key: str) -> str:
    """A printed count as it goes out: its value, or the words in its place."""
    return hidden.get(key) or str(sheet.values[key])


def share_shown(hidden: Mapping[str, str], part: str, whole: str, text: str) -> str:
    """A percentage goes out only when its part and its whole do."""
    if part in hidden or whole in hidden:
        return SECONDARY
    return text
