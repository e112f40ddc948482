"""The PDFs themselves, read back with pypdf: marking, page numbers, content, extracts."""

from __future__ import annotations

import re
from io import BytesIO

from pypdf import PdfReader
from sqlalchemy.orm import Session

from marac.formatting import uk_today
from marac.minutes.content import extract_for, gather_agenda, gather_minutes
from marac.minutes.render import render_agenda, render_extract, render_full_minutes
from tests.minutes.helpers import (
    HOUSING_ACTION,
    HOUSING_INFO,
    POLICE_ACTION,
    POLICE_INFO,
    POLICE_OFFICER,
    RISKS,
    VS_ACTION,
    MinutesWorld,
    pdf_pages,
    pdf_text,
)

A4 = (595.28, 841.89)  # points


def _font_names(data: bytes) -> set[str]:
    names = set()
    for page in PdfReader(BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor, "the font must be embedded"
            names.add(str(font["/BaseFont"]).split("+", 1)[-1])
    return names


def test_full_minutes_hold_every_case_and_action_with_marking_on_every_page(db: Session) -> None:
    world = MinutesWorld(db, cases=14)  # enough for several pages
    content = gather_minutes(db, world.held)
    pdf = render_full_minutes(content, 1, uk_today())
    pages = pdf_pages(pdf.pdf)
    assert pdf.page_count == len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert text.count("OFFICIAL-SENSITIVE") >= 2, f"page {number} lacks the header/footer"
        assert f"Page {number} of {len(pages)}" in text
    text = re.sub(r"\s+", " ", "\n".join(pages))
    for referral in world.referrals:
        assert referral.reference in text
    for expected in (HOUSING_ACTION, POLICE_ACTION, VS_ACTION, POLICE_INFO, HOUSING_INFO, RISKS):
        assert expected in text
    assert world.panel.name in text and "Confidentiality" in text
    assert "Apologies" in text and "Inspector Hale" in text
    # A4, fonts embedded (DejaVu from the set-up), not whatever the machine has.
    for page in PdfReader(BytesIO(pdf.pdf)).pages:
        assert (round(float(page.mediabox.width), 2), round(float(page.mediabox.height), 2)) == A4
    assert _font_names(pdf.pdf) <= {"DejaVu-Sans", "DejaVu-Sans-Bold"}


def test_each_extract_holds_only_its_agencys_actions(db: Session) -> None:
    world = MinutesWorld(db)
    content = gather_minutes(db, world.held)
    assert set(content.agencies_with_actions()) == {
        world.police.id,
        world.housing.id,
        world.victim_support.id,
    }
    housing = pdf_text(render_extract(content, world.housing.id, 1, uk_today()).pdf)
    assert f"Extract of the minutes for {world.housing.name}" in housing
    assert HOUSING_ACTION in housing and world.referrals[0].reference in housing
    for other in (POLICE_ACTION, POLICE_INFO, POLICE_OFFICER, VS_ACTION, HOUSING_INFO, RISKS):
        assert other not in housing
    assert world.referrals[1].reference not in housing  # no housing action on that case
    assert "OFFICIAL-SENSITIVE" in housing and "Page 1 of" in housing

    police = pdf_text(render_extract(content, world.police.id, 1, uk_today()).pdf)
    assert POLICE_ACTION in police
    for other in (HOUSING_ACTION, HOUSING_INFO, VS_ACTION, RISKS):
        assert other not in police


def test_extract_content_leaves_out_other_agencies() -> None:
    """The rule itself, without rendering."""
    from marac.minutes.content import ActionLine, MinutesCase, MinutesContent

    def action(agency_id: int, text: str) -> ActionLine:
        return ActionLine("CM-1", text, agency_id, f"A{agency_id}", "", uk_today(), "Open")

    case = MinutesCase(1, 1, "CM-1", "X", None, "", [], "High", "High", [], [], "risk", "d")
    case.actions = [action(1, "mine"), action(2, "theirs")]
    content = MinutesContent(None, "p", "c", "v", [], [case], [action(2, "old")], None, {})  # type: ignore[arg-type]
    cases, review = extract_for(content, 1)
    assert [a.description for c in cases for a in c.actions] == ["mine"]
    assert review == []
    assert extract_for(content, 3) == ([], [])


def test_agenda_pdf_lists_the_cases(db: Session) -> None:
    world = MinutesWorld(db)
    pdf = render_agenda(world.held, gather_agenda(db, world.held))
    text = pdf_text(pdf.pdf)
    assert "Agenda of the" in text and "OFFICIAL-SENSITIVE" in text
    for referral in world.referrals:
        assert referral.reference in text
    assert POLICE_INFO not in text


def test_gathering_the_minutes_takes_constant_queries(db: Session, count_queries) -> None:  # type: ignore[no-untyped-def]
    counts = []
    for size in (2, 8):
        world = MinutesWorld(db, cases=size)
        meeting_id = world.held.id
        db.expire_all()
        from marac.panels.models import Meeting

        meeting = db.get(Meeting, meeting_id)
        with count_queries() as q:
            content = gather_minutes(db, meeting)
        assert len(content.cases) == size
        counts.append(q.count)
    assert counts[0] == counts[1]


def test_every_action_on_a_long_list_carries_its_labels_on_each_page(db: Session) -> None:
    """Actions are labelled lines (fewer layout boxes than table cells): each page with
    actions still says whose they are and when they are due, as a repeated header did."""
    from tests.meeting_factories import make_action

    world = MinutesWorld(db)
    for n in range(70):
        make_action(
            db,
            world.referrals[1],
            world.housing,
            world.held,
            description=f"Long table row LTR-{n:03d}",
            agenda_item_id=world.items[1].id,
        )
    pages = pdf_pages(render_full_minutes(gather_minutes(db, world.held), 1, uk_today()).pdf)
    with_rows = [p for p in pages if "LTR-" in p]
    assert len(with_rows) >= 2
    for text in with_rows:
        flat = re.sub(r"\s+", " ", text)
        for n in re.findall(r"LTR-(\d{3})", flat):
            assert re.search(rf"LTR-{n}\. Agency: .+?\. Officer: .+?\. Due date: ", flat), n


def test_one_font_configuration_per_thread_serves_every_document(db: Session) -> None:
    """The minutes and each extract reuse their thread's FontConfiguration; worker threads
    get their own, and documents rendered at once on two threads still embed DejaVu."""
    import threading

    from marac.minutes.render import font_configuration

    world = MinutesWorld(db)
    content = gather_minutes(db, world.held)
    shared = font_configuration()
    assert font_configuration() is shared
    first = render_full_minutes(content, 1, uk_today())
    assert font_configuration() is shared and _font_names(first.pdf) <= {
        "DejaVu-Sans",
        "DejaVu-Sans-Bold",
    }

    results: dict[int, tuple[object, bytes, bytes]] = {}

    def issue(agency_id: int) -> None:
        full = render_full_minutes(content, 1, uk_today())
        extract = render_extract(content, agency_id, 1, uk_today())
        results[agency_id] = (font_configuration(), full.pdf, extract.pdf)

    threads = [
        threading.Thread(target=issue, args=(agency.id,))
        for agency in (world.housing, world.police)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert set(results) == {world.housing.id, world.police.id}
    configs = {id(config) for config, _, _ in results.values()}
    assert len(configs) == 2 and id(shared) not in configs
    for _, full_pdf, extract_pdf in results.values():
        assert pdf_text(full_pdf) == pdf_text(first.pdf)  # same document whatever the thread
        assert _font_names(full_pdf) | _font_names(extract_pdf) == {
            "DejaVu-Sans",
            "DejaVu-Sans-Bold",
        }
    assert HOUSING_ACTION in pdf_text(results[world.housing.id][2])
    assert POLICE_ACTION in pdf_text(results[world.police.id][2])


def test_every_pdf_is_tagged_for_screen_readers(db: Session) -> None:
    """PDF/UA-1: a structure tree, marked content, the language and the title shown."""
    world = MinutesWorld(db)
    content = gather_minutes(db, world.held)
    for pdf in (
        render_full_minutes(content, 1, uk_today()).pdf,
        render_extract(content, world.housing.id, 1, uk_today()).pdf,
        render_agenda(world.held, gather_agenda(db, world.held)).pdf,
    ):
        catalog = PdfReader(BytesIO(pdf)).trailer["/Root"]
        assert "/StructTreeRoot" in catalog and catalog["/MarkInfo"]["/Marked"]
        assert catalog["/Lang"] == "en-GB"
        assert catalog["/ViewerPreferences"]["/DisplayDocTitle"]
        assert b"pdfuaid" in catalog["/Metadata"].get_object().get_data()


def test_the_marking_stays_on_one_line_beside_a_long_title(db: Session) -> None:
    from marac.minutes import render

    world = MinutesWorld(db)
    world.panel.name = "North and East Ashbrook Community Hate Crime MARAC"
    db.commit()
    html = render.render_html(
        "full.html", m=gather_minutes(db, world.held), version=1, issued_on=uk_today()
    )
    page = render.layout(html).pages[0]._page_box
    boxes = {b.at_keyword: b for b in page.children if type(b).__name__ == "MarginBox"}

    def lines(box: object) -> list[object]:
        found = []
        for child in getattr(box, "children", []):
            found += [child] if type(child).__name__ == "LineBox" else lines(child)
        return found

    assert len(lines(boxes["@top-center"])) == 1 and len(lines(boxes["@bottom-center"])) == 1
    centre, right = boxes["@top-center"], boxes["@top-right"]
    assert centre.position_x + centre.width <= right.position_x  # side by side, no overlap
