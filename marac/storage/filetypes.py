"""What a file really is, read from its content with libmagic (never from its name).

Only the types a MARAC case needs are accepted: documents, images and email. A name
ending ".pdf" on an executable is refused because libmagic says what it is.
"""

from __future__ import annotations

import magic

# The type libmagic reports -> how we label it.
ACCEPTED = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG image",
    "image/png": "PNG image",
    "image/gif": "GIF image",
    "image/heic": "HEIC image",
    "image/webp": "WebP image",
    "text/plain": "Text",
    "text/csv": "CSV",
    "message/rfc822": "Email",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel spreadsheet",
    "application/vnd.oasis.opendocument.text": "OpenDocument text",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument spreadsheet",
    "application/msword": "Word document",
    "application/vnd.ms-excel": "Excel spreadsheet",
}


def detect(data: bytes) -> str:
    """The MIME type libmagic reads from the first bytes of `data`."""
    return magic.from_buffer(data[: 256 * 1024], mime=True)


def label(mime: str) -> str | None:
    """How the page names an accepted type; None for one we refuse."""
    return ACCEPTED.get(mime)
