"""Reference data integrators map their codes to: the instrument versions and the strands."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from marac.api.auth import current_client
from marac.api.queries import local_strands
from marac.api.schemas import InstrumentListSchema, InstrumentSchema, StrandListSchema
from marac.assessments.instrument import CURRENT_VERSION, INSTRUMENTS, RATINGS, Instrument
from marac.db import db_session
from marac.incidents.strands import (
    AGGRAVATION_STRANDS,
    STRAND_LABELS,
    SUBCATEGORIES,
    local_code,
)
from marac.operations import NotFound

TAG = "Reference data"


def _choices(choices: Any) -> list[dict[str, Any]]:
    return [{"value": c.value, "label": c.label, "points": c.points} for c in choices]


def _question(q: Any) -> dict[str, Any]:
    return {"id": q.id, "text": q.text, "hint": q.hint, "choices": _choices(q.choices)}


def instrument_data(instrument: Instrument) -> dict[str, Any]:
    return {
        "version": instrument.version,
        "title": instrument.title,
        "current": instrument.version == CURRENT_VERSION,
        "basis": instrument.basis,
        "sections": [
            {
                "key": s.key,
                "title": s.title,
                "intro": s.intro,
                "questions": [_question(q) for q in s.questions],
            }
            for s in instrument.sections
        ],
        "diagnostics": [
            {
                "id": d.id,
                "title": d.title,
                "hint": d.hint,
                "answer_key": d.rating_key,
                "note_key": d.note_key,
                "ratings": _choices(RATINGS),
            }
            for d in instrument.diagnostics
        ],
        "critical_rules": [
            {
                "label": r.label,
                "conditions": [{"question": q, "answer": a} for q, a in r.conditions],
            }
            for r in instrument.critical_rules
        ],
        "perception": _question(instrument.perception),
        "perceived_by": _choices(instrument.perceived_by),
    }


def add_routes(blp: Blueprint) -> None:
    """Add the reference endpoints to the API blueprint (any valid token may read them)."""

    @blp.route("/instruments", endpoint="instruments", methods=["GET"])
    @blp.doc(tags=[TAG], summary="List the risk assessment versions")
    @blp.response(200, InstrumentListSchema)
    def instruments() -> dict[str, Any]:
        current_client()
        return {
            "items": [
                {"version": i.version, "title": i.title, "current": i.version == CURRENT_VERSION}
                for i in INSTRUMENTS.values()
            ]
        }

    @blp.route("/instruments/<version>", endpoint="instrument", methods=["GET"])
    @blp.doc(tags=[TAG], summary="One risk assessment version, every question and answer code")
    @blp.response(200, InstrumentSchema)
    def instrument(version: str) -> dict[str, Any]:
        current_client()
        found = INSTRUMENTS.get(version)
        if found is None:
            raise NotFound("There is no instrument with this version.")
        return instrument_data(found)

    @blp.route("/strands", endpoint="strands", methods=["GET"])
    @blp.doc(tags=[TAG], summary="The hate strands, their sub-categories and local strands")
    @blp.response(200, StrandListSchema)
    def strands() -> dict[str, Any]:
        current_client()
        rows = local_strands(db_session())
        return {
            "monitored": [
                {
                    "code": str(code),
                    "label": label,
                    "subcategories": [
                        {"code": c, "label": lab} for c, lab in SUBCATEGORIES.get(code, [])
                    ],
                }
                for code, label in STRAND_LABELS.items()
            ],
            "local": [{"code": local_code(r.id), "label": r.name, "area": r.area} for r in rows],
            "aggravation_strands": sorted(AGGRAVATION_STRANDS),
        }
