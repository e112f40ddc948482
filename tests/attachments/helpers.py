"""Files to upload and the calls a test makes with them."""

from __future__ import annotations

import io
from typing import Any

from tests.conftest import Client

# A small real PDF (libmagic reads "%PDF-"), and an executable whose name says PDF.
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + b"\x00" * 200


def upload(
    client: Client, kind: str, record_id: int, data: bytes, filename: str, **fields: str
) -> Any:
    """Post the upload form as the browser does (multipart, CSRF token)."""
    return client.submit(
        f"/attachments/{kind}/{record_id}/new",
        {
            "attachment-file": (io.BytesIO(data), filename),
            "attachment-description": fields.get("description", ""),
        },
        content_type="multipart/form-data",
    )
