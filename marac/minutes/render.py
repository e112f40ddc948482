"""HTML to PDF with WeasyPrint, from the templates under templates/minutes/.

Rendering needs no request: a plain Jinja environment (autoescaped) and a URL fetcher
that only opens the embedded font files, so nothing typed into a case record can make
WeasyPrint read a local file or reach the network.

Every document rendered in one thread shares one WeasyPrint `FontConfiguration`: building
it loads Fontconfig's whole font list, a large share of a short document's time, and an
issue renders the minutes and every extract one after the other. It is kept per thread,
not per process, because it wraps a Pango font map and caches that WeasyPrint does not
document as safe to share between threads (the worker runs jobs on threads).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from marac.config import PROJECT_ROOT
from marac.formatting import clock, format_date
from marac.minutes.content import CONFIDENTIALITY_STATEMENT
from marac.pdfs import write_pdf

# Debian's fonts-dejavu-core (installed by `make fonts`), embedded in every PDF.
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = {"regular": FONT_DIR / "DejaVuSans.ttf", "bold": FONT_DIR / "DejaVuSans-Bold.ttf"}
MARKING = "OFFICIAL-SENSITIVE"


@dataclass(frozen=True)
class RenderedPdf:
    pdf: bytes
    sha256: str
    page_count: int


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(PROJECT_ROOT / "templates" / "minutes"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date"] = lambda d: format_date(d) if d else "Not set"
    env.filters["clock"] = clock  # the same "1:30pm" as the pages and emails
    env.globals.update(
        marking=MARKING,
        statement=CONFIDENTIALITY_STATEMENT,
        font_regular=FONT_FILES["regular"].as_uri(),
        font_bold=FONT_FILES["bold"].as_uri(),
    )
    return env


def render_html(template: str, **context: Any) -> str:
    return _environment().get_template(template).render(**context)


def _font_bytes(url: str) -> bytes:
    """Only the font files may be loaded; anything else is refused."""
    allowed = {p.as_uri(): p for p in FONT_FILES.values()}
    if url not in allowed:
        raise ValueError(f"refused to load {url!r} into a PDF")
    return allowed[url].read_bytes()


@cache
def _url_fetcher() -> Any:
    """WeasyPrint 70 takes a URLFetcher object; earlier releases a function returning a dict."""
    from weasyprint import urls

    if hasattr(urls, "URLFetcherResponse"):

        class FontsOnly(urls.URLFetcher):  # type: ignore[misc,name-defined]
            def fetch(self, url: str, headers: Any = None) -> Any:
                body = _font_bytes(url)
                return urls.URLFetcherResponse(url, body, {"Content-Type": "font/ttf"})

        return FontsOnly()

    def fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return {"string": _font_bytes(url), "mime_type": "font/ttf"}

    return fetch


_thread_fonts = threading.local()


def font_configuration() -> Any:
    """This thread's FontConfiguration, made on first use and then reused.

    WeasyPrint loads each @font-face file into it once (it keys them by their rule), so
    the embedded DejaVu files are read once per thread, not once per document.
    """
    config = getattr(_thread_fonts, "config", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _thread_fonts.config = FontConfiguration()
    return config


def layout(html: str, *, font_config: Any = None) -> Any:
    """WeasyPrint's laid-out Document (pages of boxes), before the PDF is written.

    WeasyPrint is imported late (it is slow to import). `font_config` defaults to this
    thread's shared one; the benchmark passes a fresh one to measure the difference.
    """
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=_url_fetcher(), base_url=str(FONT_DIR)).render(
        font_config=font_config or font_configuration()
    )


def html_to_pdf(html: str, *, font_config: Any = None) -> RenderedPdf:
    """Lay out and write the PDF."""
    document = layout(html, font_config=font_config)
    pdf = write_pdf(document)
    return RenderedPdf(
        pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest(), page_count=len(document.pages)
    )


def render_full_minutes(
    content: Any, version: int | None, issued_on: date | None, *, font_config: Any = None
) -> RenderedPdf:
    """The full minutes; `version` None marks a draft preview."""
    return html_to_pdf(
        render_html("full.html", m=content, version=version, issued_on=issued_on),
        font_config=font_config,
    )


def render_extract(
    content: Any,
    agency_id: int,
    version: int | None,
    issued_on: date | None,
    *,
    font_config: Any = None,
) -> RenderedPdf:
    from marac.minutes.content import extract_for

    cases, review = extract_for(content, agency_id)
    return html_to_pdf(
        render_html(
            "extract.html",
            m=content,
            agency=content.agency_names.get(agency_id, ""),
            cases=cases,
            review=review,
            version=version,
            issued_on=issued_on,
        ),
        font_config=font_config,
    )


def render_agenda(meeting: Any, lines: list[Any], *, font_config: Any = None) -> RenderedPdf:
    chair = meeting.panel.chair
    return html_to_pdf(
        render_html(
            "agenda.html",
            meeting=meeting,
            panel_name=meeting.panel.name,
            chair=chair.name if chair else "Not recorded",
            lines=lines,
        ),
        font_config=font_config,
    )
