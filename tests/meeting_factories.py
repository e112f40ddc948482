"""Builders for panels, meetings, agenda items and actions, made directly with the models."""

from __future__ import annotations

import itertools
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from marac.accounts.models import Agency, Area, User
from marac.actions.models import Action
from marac.meetings.models import AgendaItem, ItemKind
from marac.panels.models import Meeting, Panel
from marac.referrals.models import Referral

_seq = itertools.count(1)


def make_panel(
    db: Session,
    areas: list[Area],
    agencies: list[Agency],
    chair: User | None = None,
    **kw: Any,
) -> Panel:
    panel = Panel(
        name=kw.pop("name", f"Test Community MARAC {next(_seq)}"),
        venue=kw.pop("venue", "Committee Room 2, Civic Centre"),
        chair_id=chair.id if chair else None,
        **kw,
    )
    panel.areas = list(areas)
    panel.agencies = list(agencies)
    db.add(panel)
    db.commit()
    return panel


def make_meeting(db: Session, panel: Panel, meeting_date: date | None = None, **kw: Any) -> Meeting:
    meeting = Meeting(
        panel_id=panel.id,
        meeting_date=meeting_date or date.today() + timedelta(days=14),
        start_time=kw.pop("start_time", time(10, 0)),
        venue=kw.pop("venue", panel.venue),
        **kw,
    )
    db.add(meeting)
    db.commit()
    return meeting


def make_agenda_item(
    db: Session, meeting: Meeting, referral: Referral, position: int = 1, **kw: Any
) -> AgendaItem:
    item = AgendaItem(
        meeting_id=meeting.id,
        referral_id=referral.id,
        kind=kw.pop("kind", ItemKind.NEW.value),
        position=position,
        risk_level_before=kw.pop("risk_level_before", referral.risk_level),
        **kw,
    )
    db.add(item)
    db.commit()
    return item


def make_action(
    db: Session, referral: Referral, agency: Agency, meeting: Meeting | None = None, **kw: Any
) -> Action:
    action = Action(
        referral_id=referral.id,
        meeting_id=meeting.id if meeting else None,
        description=kw.pop("description", "Visit the victim and review home security"),
        kind=kw.pop("kind", "victim_safety"),
        rara=kw.pop("rara", "reduce"),
        agency_id=agency.id,
        due_date=kw.pop("due_date", date.today() + timedelta(days=28)),
        **kw,
    )
    db.add(action)
    db.commit()
    return action
