"""How every PDF the service writes is finished: tagged for assistive technology.

PDF/UA-1 gives the PDF a structure tree (headings, paragraphs, tables, reading order),
the document's language and its title, so a screen reader can read the minutes, the
partnership pack and a subject access pack as it reads the pages. One place, so no
document is left untagged.
"""

from __future__ import annotations

from typing import Any

PDF_VARIANT = "pdf/ua-1"


def write_pdf(document: Any) -> bytes:
    """A rendered WeasyPrint document written as a tagged PDF/UA-1 file."""
    pdf = document.write_pdf(pdf_variant=PDF_VARIANT)
    assert pdf is not None
    return bytes(pdf)


def file_slug(text: str) -> str:
    """A name fit for a download: "North MARAC" -> "north-marac" (ASCII, no spaces)."""
    import re
    import unicodedata

    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") or "document"


def document_name(*parts: str) -> str:
    """A download's file name from its parts, each made a slug: the panel, the date, what."""
    return "-".join(file_slug(part) for part in parts if part) + ".pdf"
