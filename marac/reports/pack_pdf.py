"""The partnership pack as a PDF: the HTML it is rendered from, and its fingerprint.

The worker renders the PDF (WeasyPrint is slow); the HTML is cheap, so the page asking
for the pack renders it too and hashes it: a stored PDF with the same fingerprint is the
pack as it stands now, and is served; anything else is rendered again on request.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from marac.pdfs import write_pdf
from marac.reports.queries import Scope, dashboard
from marac.reports.tables import published, tables


def pack_html(session: Session, scope: Scope) -> str:
    """The pack's HTML, rendered without a request (the job has none)."""
    template = current_app.jinja_env.get_template("reports/pack.html")
    return template.render(scope=scope, tables=published(tables(dashboard(session, scope))))


def fingerprint(html: str) -> str:
    return hashlib.sha256(html.encode()).hexdigest()


def scope_params(scope: Scope) -> dict[str, Any]:
    """The scope as plain values for the job's parameters."""
    values = asdict(scope)
    return {
        **values,
        "start": scope.start.isoformat(),
        "end": scope.end.isoformat(),
        "today": scope.today.isoformat(),
        "area_ids": list(scope.area_ids),
    }


def scope_from(params: dict[str, Any]) -> Scope:
    return Scope(
        start=date.fromisoformat(params["start"]),
        end=date.fromisoformat(params["end"]),
        area_ids=tuple(params["area_ids"]),
        area_label=params["area_label"],
        today=date.fromisoformat(params["today"]),
    )


def html_to_pdf(html: str) -> tuple[bytes, int]:
    """The PDF and its page count; the pack loads nothing from outside (no base URL)."""
    from weasyprint import HTML

    document = HTML(string=html).render()
    return write_pdf(document), len(document.pages)
