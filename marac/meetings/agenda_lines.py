"""The agenda table's rows with their links and research figures worked out before rendering.

A 40-case agenda links each case six ways and lists, for each, which of the panel's
agencies have responded: done per row in Jinja that is hundreds of router calls and
filters over every agency. Here it is one URL build per kind of link and set lookups.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from marac.accounts.models import Agency
from marac.meetings.agenda import AgendaRow
from marac.meetings.models import AgendaItem
from marac.meetings.restricted import placeholder
from marac.navigation import url_maker
from marac.people.models import Person
from marac.referrals.models import Referral, ReferralStatus


@dataclass(frozen=True)
class AgendaLine:
    """One agenda row as the meeting page shows it."""

    item: AgendaItem
    referral: Referral
    person: Person | None
    start: time | None
    open_case: bool
    referral_url: str
    record_url: str
    move_url: str
    defer_url: str
    remove_url: str
    research_url: str
    responded_count: int  # of the panel's agencies
    own_research_done: bool  # the viewer's agency has added its research
    responded_names: str  # "" when none
    waiting_names: str  # "" when all have responded
    received: tuple[bool, ...]  # one per agency, in the order given: the research grid
    joined: tuple[Referral, ...]  # the same person's other referrals, heard with this one
    restricted: str = ""  # "Restricted record R-<n>" when the viewer sees only a placeholder
    ask_url: str = ""  # where the viewer asks the restricting coordinator for access


def agenda_lines(
    rows: list[AgendaRow],
    meeting_id: int,
    responded: dict[int, set[int]],
    agencies: list[Agency],
    viewer_agency_id: int | None,
    joined: dict[int, list[Referral]] | None = None,
) -> list[AgendaLine]:
    """`rows` with everything the table needs; `agencies` in the order they are named."""
    referral_url = url_maker("referrals.view", "referral_id")
    research_url = url_maker("meetings.research", "referral_id", meeting_id=meeting_id)
    record_url = url_maker("meetings.record_case", "item_id", meeting_id=meeting_id)
    move_url = url_maker("meetings.move", "item_id", meeting_id=meeting_id)
    defer_url = url_maker("meetings.defer", "item_id", meeting_id=meeting_id)
    remove_url = url_maker("meetings.remove", "item_id", meeting_id=meeting_id)
    ask_url = url_maker("restrictions.ask", "person_id")
    lines = []
    for row in rows:
        if row.restricted is not None:
            lines.append(_placeholder_line(row, ask_url(row.referral.person_id)))
            continue
        done = responded.get(row.referral.id, set())
        item_id = row.item.id
        lines.append(
            AgendaLine(
                item=row.item,
                referral=row.referral,
                person=row.person,
                start=row.start,
                open_case=row.referral.status != ReferralStatus.CLOSED.value,
                referral_url=referral_url(row.referral.id),
                record_url=record_url(item_id),
                move_url=move_url(item_id),
                defer_url=defer_url(item_id),
                remove_url=remove_url(item_id),
                research_url=research_url(row.referral.id),
                responded_count=len(done),
                own_research_done=viewer_agency_id in done,
                responded_names=", ".join(a.name for a in agencies if a.id in done),
                waiting_names=", ".join(a.name for a in agencies if a.id not in done),
                received=tuple(a.id in done for a in agencies),
                joined=tuple((joined or {}).get(row.referral.id, [])),
            )
        )
    return lines


def _placeholder_line(row: AgendaRow, ask_url: str) -> AgendaLine:
    """A restricted case's slot: its position and start time, nothing of the case."""
    assert row.restricted is not None
    return AgendaLine(
        item=row.item,
        referral=row.referral,
        person=None,
        start=row.start,
        open_case=False,
        referral_url="",
        record_url="",
        move_url="",
        defer_url="",
        remove_url="",
        research_url="",
        responded_count=0,
        own_research_done=False,
        responded_names="",
        waiting_names="",
        received=(),
        joined=(),
        restricted=placeholder(row.restricted),
        ask_url=ask_url,
    )
