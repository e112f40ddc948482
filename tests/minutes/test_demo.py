"""The minutes demo on top of the demo borough: issued once, never twice."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.demo import load_demo_data
from marac.minutes.demo import load_minutes_demo
from marac.minutes.models import IssuedDocument, Minutes, MinutesStatus
from marac.panels.models import Meeting, Panel


def test_demo_issues_the_latest_minutes_of_each_panel_once(app: Flask, db: Session) -> None:
    with app.app_context():  # the PDFs go into the app's document store
        summary = load_demo_data(db)  # the minutes demo is one of the demo's extensions
    assert "Demo minutes: issued the minutes of" in summary
    minutes = list(db.scalars(select(Minutes)))
    panels = db.scalar(select(func.count(Panel.id)))
    assert 0 < len(minutes) <= panels
    assert all(m.status == MinutesStatus.ISSUED.value for m in minutes)
    meetings = {db.get(Meeting, m.meeting_id).panel_id for m in minutes}  # type: ignore[union-attr]
    assert len(meetings) == len(minutes)  # one meeting per panel
    count = db.scalar(select(func.count(IssuedDocument.id)))
    assert count and count > len(minutes)  # the full minutes and extracts
    assert load_minutes_demo(db) == "Demo minutes: nothing new to issue."
    assert db.scalar(select(func.count(IssuedDocument.id))) == count
