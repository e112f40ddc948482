"""The demo panels: three panels, two years of meetings, coordinators with areas; idempotent."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac import demo, demo_cases
from marac.accounts.models import User
from marac.panels.demo import load_panel_demo
from marac.panels.models import Meeting, Panel
from marac.panels.schedule import bank_holiday


@pytest.fixture
def borough(db: Session, monkeypatch: pytest.MonkeyPatch) -> Session:
    """The demo areas, agencies and users only (no cases, no other extensions)."""
    monkeypatch.setattr(demo_cases, "load_case_demo", lambda _db: "no cases")
    monkeypatch.setattr(demo, "DEMO_EXTENSIONS", [])
    demo.load_demo_data(db)
    return db


def test_demo_panels_and_meetings(borough: Session) -> None:
    db = borough
    summary = load_panel_demo(db)
    db.commit()
    assert "added 3 panels" in summary
    panels = list(db.scalars(select(Panel).order_by(Panel.name)))
    assert [p.name for p in panels] == [
        "Ashbrook Central Community MARAC",
        "Ashbrook North Community MARAC",
        "Ashbrook South Community MARAC",
    ]
    assert len({p.weekday for p in panels}) == 3
    users = {u.email.split("@")[0]: u for u in db.scalars(select(User))}
    assert {p.chair_id for p in panels} == {users["coordinator"].id, users["chair"].id}
    for panel in panels:
        names = {a.name for a in panel.agencies}
        assert {"Ashbrook Police", "Brookside Homes", "Victim Support Ashbrook"} <= names
        assert len(panel.areas) == 1 and panel.cadence_weeks == 6
        dates = list(
            db.scalars(
                select(Meeting.meeting_date)
                .where(Meeting.panel_id == panel.id)
                .order_by(Meeting.meeting_date)
            )
        )
        today = date.today()
        assert dates[0] <= today - timedelta(days=700)
        assert today + timedelta(days=130) <= dates[-1] <= today + timedelta(days=190)
        assert all(bank_holiday(d) is None and d.weekday() < 5 for d in dates)
    # The demo coordinators run every panel.
    for local in ("coordinator", "chair"):
        assert len(users[local].areas) == 3


def test_demo_panels_are_idempotent(borough: Session) -> None:
    db = borough
    load_panel_demo(db)
    db.commit()
    meetings = db.scalar(select(func.count(Meeting.id)))
    second = load_panel_demo(db)
    db.commit()
    assert "added 0 panels and 0 meetings" in second
    assert db.scalar(select(func.count(Meeting.id))) == meetings
    assert db.scalar(select(func.count(Panel.id))) == 3


def test_without_the_demo_borough_nothing_is_added(db: Session) -> None:
    assert "nothing added" in load_panel_demo(db)
    assert db.scalar(select(func.count(Panel.id))) == 0
