"""The rules of an upload, as plain functions: its name, its size, its real type.

No Flask and no database, so pages, jobs and tests share them.
"""

from __future__ import annotations

import re
import unicodedata

from marac.storage.filetypes import ACCEPTED, detect, label

FILENAME_LIMIT = 120
DESCRIPTION_LIMIT = 500
OWNER_KINDS = ("incident", "referral", "action")

_UNSAFE = re.compile(r"[\x00-\x1f\x7f\"\\/:*?<>|;]+")


def clean_filename(name: str) -> str:
    """The name to show and offer on download: no folders, no control or quoting
    characters, at most `FILENAME_LIMIT` characters, keeping the extension."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # browsers on Windows send C:\...\x
    name = _UNSAFE.sub("_", name).strip(" .")
    if not name:
        return "document"
    if len(name) > FILENAME_LIMIT:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: FILENAME_LIMIT - len(ext) - 1].rstrip(" .") + "." + ext
        else:
            name = name[:FILENAME_LIMIT]
    return name


def size_text(size: int) -> str:
    """ "812 bytes", "34 KB", "2.4 MB": how the lists and the errors say a size."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size // 1024} KB"
    megabytes = size / (1024 * 1024)
    whole = megabytes >= 10 or megabytes.is_integer()
    return f"{megabytes:.0f} MB" if whole else f"{megabytes:.1f} MB"


def accepted_types_text() -> str:
    """ "PDF, JPEG image, ... or Email": the accepted types, each named once."""
    names = list(dict.fromkeys(ACCEPTED.values()))
    return ", ".join(names[:-1]) + " or " + names[-1]


def file_problem(data: bytes, max_bytes: int) -> tuple[str | None, str]:
    """(What is wrong with the file, or None; the type libmagic read from it)."""
    if not data:
        return "The selected file is empty", ""
    if len(data) > max_bytes:
        return f"The selected file must be smaller than {size_text(max_bytes)}", ""
    mime = detect(data)
    if label(mime) is None:
        return f"The selected file must be a {accepted_types_text()}", mime
    return None, mime


def description_problem(description: str) -> str | None:
    if len(description) > DESCRIPTION_LIMIT:
        return f"Description must be {DESCRIPTION_LIMIT} characters or fewer"
    return None
