"""Benchmark of the PDF minutes (issue 6): not a test, a measurement.

Builds a throwaway SQLite database, migrates it, records a meeting with 40 cases and
200 actions (five agencies' information on each case), then times

* gathering the minutes from the database;
* rendering the full minutes with our templates (WeasyPrint);
* rendering a plain document of the same page count (one paragraph per page, no
  tables), so the cost of our templates over WeasyPrint's own is visible: the ratio
  (issue 16 asks for 1.5 or less), and the layout boxes of both documents;
* everything one issue renders (the minutes and each extract) with the shared
  FontConfiguration and with a new one per document.

Run:  .venv/bin/python -m benchmarks.minutes [--cases 40] [--actions 200] [--runs 3]

Figures go in docs/performance.md.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

import marac.repeats.receivers  # noqa: F401  (connects the repeat flags, as create_app does)
from marac import migrate
from marac.accounts.models import Agency, Area, Role, User
from marac.actions.models import Action
from marac.db import make_engine
from marac.meetings.models import AgendaItem, CaseInformation
from marac.minutes.content import gather_minutes
from marac.minutes.render import (
    html_to_pdf,
    layout,
    render_extract,
    render_full_minutes,
    render_html,
)
from marac.panels.models import AgendaStatus, Meeting, MeetingStatus, Panel
from marac.people.models import Person
from marac.referrals.models import Referral, ReferralStatus

AGENCIES = ["Police", "Housing", "ASB team", "Victim Support", "Adult social care"]
INFO = (
    "Known to us since last spring. Two reports of verbal abuse at the front door and one "
    "of damage to the car; the victim is anxious and has asked for a change of contact "
    "officer. We will share the log of calls with the panel's coordinator."
)


def build(session: Session, cases: int, actions: int) -> Meeting:
    """One held meeting with `cases` listed cases and `actions` actions spread over them."""
    area = Area(name="Bench area", postcode_districts="BE1")
    agencies = [Agency(name=name, type="other") for name in AGENCIES]
    session.add_all([area, *agencies])
    session.flush()
    chair = User(
        name="Chair Person",
        email="chair@bench.example",
        password_hash="x",
        agency_id=agencies[0].id,
        role=Role.COORDINATOR.value,
    )
    session.add(chair)
    session.flush()
    panel = Panel(name="Bench Community MARAC", venue="Civic Centre", chair_id=chair.id)
    panel.areas = [area]
    panel.agencies = agencies
    session.add(panel)
    session.flush()
    day = date(2026, 3, 2)
    meeting = Meeting(
        panel_id=panel.id,
        meeting_date=day,
        start_time=clock(10, 0),
        venue=panel.venue,
        status=MeetingStatus.HELD.value,
        agenda_status=AgendaStatus.PUBLISHED.value,
    )
    session.add(meeting)
    session.add(
        Meeting(panel_id=panel.id, meeting_date=day + timedelta(days=42), start_time=clock(10, 0))
    )
    session.flush()
    items = []
    for n in range(cases):
        person = Person()
        person.set_identity(f"Bench Victim {n:03d}", "BE1 1AA")
        person.date_of_birth = date(1970 + n % 40, 1 + n % 12, 1 + n % 28)
        session.add(person)
        session.flush()
        referral = Referral(
            reference=f"CM-BENCH-{n:04d}",
            person_id=person.id,
            area_id=area.id,
            source="partner",
            status=ReferralStatus.ACCEPTED.value,
            risk_level="high",
        )
        session.add(referral)
        session.flush()
        item = AgendaItem(
            meeting_id=meeting.id,
            referral_id=referral.id,
            kind="new",
            position=n + 1,
            risk_level_before="high",
            risk_level_after="medium",
            risks_identified="Targeting at home continues; the perpetrator lives next door.",
            decision="review",
        )
        session.add(item)
        items.append((item, referral))
    session.flush()
    for item, _ in items:
        session.add_all(
            CaseInformation(agenda_item_id=item.id, agency_id=a.id, information=INFO)
            for a in agencies
        )
    for n in range(actions):
        item, referral = items[n % len(items)]
        session.add(
            Action(
                referral_id=referral.id,
                meeting_id=meeting.id,
                agenda_item_id=item.id,
                description=f"Action {n + 1}: visit, review home security and report back",
                kind="victim_safety",
                rara="reduce",
                agency_id=agencies[n % len(agencies)].id,
                due_date=day + timedelta(days=28),
            )
        )
    session.commit()
    return meeting


def plain_html(pages: int) -> str:
    """A document of about `pages` A4 pages with the same font and no tables."""
    para = "<p>" + ("Plain text for the comparison. " * 120) + "</p>"
    return (
        "<html><head><style>@page { size: A4; margin: 22mm 16mm }"
        " html { font: 9.5pt/1.35 sans-serif }"
        " p { break-after: page; }</style></head><body>" + para * pages + "</body></html>"
    )


def box_count(document: Any) -> int:
    """Layout boxes over every page: the tree under each page's box (how issue 16 counted)."""

    def walk(box: Any) -> int:
        return 1 + sum(walk(child) for child in getattr(box, "children", ()))

    return sum(walk(page._page_box) for page in document.pages)


def median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--actions", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--no-extracts",
        action="store_true",
        help="skip timing the whole issue (minutes + extracts)",
    )
    args = parser.parse_args()
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        migrate.upgrade(url)
        engine = make_engine(url)
        with Session(engine) as session:
            meeting = build(session, args.cases, args.actions)
            gather, ours, plain, ours_fresh, default = [], [], [], [], []
            shared_issue, fresh_issue = [], []
            html_to_pdf(plain_html(1))  # warm up WeasyPrint's imports and this thread's fonts
            content = gather_minutes(session, meeting)
            minutes_html = render_html("full.html", m=content, version=1, issued_on=date.today())
            pages = len(layout(minutes_html).pages)
            boxes = box_count(layout(minutes_html)), box_count(layout(plain_html(pages)))
            agencies = content.agencies_with_actions()

            def issue(fresh: bool) -> None:
                """The documents one issue renders: the minutes and every extract."""
                config = FontConfiguration() if fresh else None
                render_full_minutes(content, 1, date.today(), font_config=config)
                for agency_id in agencies:
                    config = FontConfiguration() if fresh else None
                    render_extract(content, agency_id, 1, date.today(), font_config=config)

            for _ in range(args.runs):  # interleaved, so a busy spell hits every figure
                session.expire_all()
                start = time.perf_counter()
                content = gather_minutes(session, meeting)
                gather.append(time.perf_counter() - start)
                start = time.perf_counter()
                pdf = render_full_minutes(content, 1, date.today())
                ours.append(time.perf_counter() - start)
                assert pdf.page_count == pages
                start = time.perf_counter()
                baseline = html_to_pdf(plain_html(pages))
                plain.append(time.perf_counter() - start)
                start = time.perf_counter()
                render_full_minutes(content, 1, date.today(), font_config=FontConfiguration())
                ours_fresh.append(time.perf_counter() - start)
                start = time.perf_counter()
                HTML(string=plain_html(pages)).write_pdf()  # WeasyPrint's defaults
                default.append(time.perf_counter() - start)
                if not args.no_extracts:
                    for fresh, samples in ((False, shared_issue), (True, fresh_issue)):
                        start = time.perf_counter()
                        issue(fresh)
                        samples.append(time.perf_counter() - start)
        engine.dispose()
    ratio = statistics.median(ours) / statistics.median(plain)
    print(f"Minutes of {args.cases} cases and {args.actions} actions: {pages} pages")
    print(f"  gather from the database:          {median_ms(gather)} (median of {args.runs})")
    print(f"  render our minutes:                {median_ms(ours)}")
    print(f"  plain {baseline.page_count}-page document:           {median_ms(plain)}")
    print(f"  ratio minutes / plain:             {ratio:.2f} (goal: 1.5 or less)")
    print(f"  each with a new FontConfiguration: {median_ms(ours_fresh)} / {median_ms(default)}")
    fresh_ratio = statistics.median(ours_fresh) / statistics.median(default)
    print(f"  ratio with new FontConfigurations: {fresh_ratio:.2f}")
    print(f"  layout boxes, minutes / plain:     {boxes[0]:,} / {boxes[1]:,}")
    if not args.no_extracts:
        print(
            f"  issue (minutes + {len(agencies)} extracts), shared fonts: {median_ms(shared_issue)}"
        )
        print(f"  issue, a FontConfiguration each:   {median_ms(fresh_issue)}")


if __name__ == "__main__":
    main()
