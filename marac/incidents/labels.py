"""Readable names for the strand codes stored on incidents, local strands included."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.incidents.models import Incident, LocalStrand
from marac.incidents.strands import STRAND_LABELS, SUBCATEGORY_LABELS

LOCAL_PREFIX = "local:"


def local_strand_names(session: Session, incidents: Iterable[Incident]) -> dict[str, str]:
    """`local:<id>` -> name for every local strand on `incidents`, in one query."""
    ids = {
        int(s.code[len(LOCAL_PREFIX) :])
        for incident in incidents
        for s in incident.strands
        if s.code.startswith(LOCAL_PREFIX) and s.code[len(LOCAL_PREFIX) :].isdigit()
    }
    if not ids:
        return {}
    rows = session.execute(select(LocalStrand.id, LocalStrand.name).where(LocalStrand.id.in_(ids)))
    return {f"{LOCAL_PREFIX}{row.id}": row.name for row in rows}


def strand_summary(incident: Incident, local_names: dict[str, str]) -> list[str]:
    """One line per strand with its sub-categories: "Religion or belief: Antisemitic"."""
    subs: dict[str, list[str]] = {}
    strands: list[str] = []
    for s in incident.strands:
        if s.subcategory:
            subs.setdefault(s.code, []).append(SUBCATEGORY_LABELS.get(s.subcategory, s.subcategory))
        else:
            strands.append(s.code)
    lines = []
    for code in sorted(strands, key=_order):
        label = label_for(code, local_names)
        if code.startswith(LOCAL_PREFIX):
            label += " (local strand)"
        if subs.get(code):
            label += ": " + ", ".join(sorted(subs[code]))
        lines.append(label)
    return lines


def label_for(code: str, local_names: dict[str, str]) -> str:
    return STRAND_LABELS.get(code) or local_names.get(code) or code


def _order(code: str) -> tuple[int, str]:
    keys = list(STRAND_LABELS)
    return (keys.index(code), "") if code in STRAND_LABELS else (len(keys), code)
