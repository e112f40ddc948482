"""The intake endpoints: incidents (and their read-back) sent by a records system.

Each create is idempotent on the `Idempotency-Key` header and on the sender's own
reference (`marac.api.operations.intake`); the record itself is made by the same
operation the page calls, acting as the client's service user, with person matching in
"queue" mode: similar people are never disclosed, a coordinator checks them.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import request
from flask_smorest import Blueprint

from marac.api.auth import current_client, require_scope
from marac.api.models import IntakeKind, Scope
from marac.api.operations import intake
from marac.api.queries import incident_receipt
from marac.api.schemas import IdempotencyHeaderSchema, IncidentInSchema, IncidentReceiptSchema
from marac.db import db_session
from marac.incidents.operations import (
    IncidentDetails,
    PerpetratorDetails,
    VictimDetails,
    record_incident,
)

TAG = "Incidents"


def body_hash() -> str:
    """SHA-256 of the body as canonical JSON: key order and spacing do not matter."""
    data = request.get_json(silent=True)
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def incident_details(data: dict[str, Any]) -> IncidentDetails:
    victim = data["victim"]
    return IncidentDetails(
        occurred_on=data["occurred_on"],
        occurred_time=data["occurred_time"],
        online=bool(data["online"]),
        incident_type=data["incident_type"],
        recorded_as=data["recorded_as"],
        reported_via=data["reported_via"],
        perceived_by=tuple(data["perceived_by"]),
        description=data["description"],
        place=data["place"],
        postcode=data["postcode"],
        aggravated_offence=data["aggravated_offence"],
        crime_reference=data["crime_reference"],
        strands=tuple(data["strands"]),
        subcategories=tuple(data["subcategories"]),
        local_strands=tuple(data["local_strands"]),
        victim=VictimDetails(**victim),
        perpetrators=tuple(PerpetratorDetails(**p) for p in data["perpetrators"]),
    )


def add_routes(blp: Blueprint) -> None:
    @blp.route("/incidents", endpoint="create_incident", methods=["POST"])
    @blp.doc(
        tags=[TAG],
        summary="Record an incident with its victim, strands and perpetrators",
        description="201 when recorded; 200 with the same body for a retry (same "
        "Idempotency-Key and body, or the same sender_reference and body). The same key "
        "with another body is 422; the same sender_reference with another body is 409.",
    )
    @blp.arguments(IdempotencyHeaderSchema, location="headers")
    @blp.arguments(IncidentInSchema)
    @blp.response(201, IncidentReceiptSchema)
    @blp.alt_response(200, schema=IncidentReceiptSchema, description="A retry: the first result")
    @require_scope(Scope.INCIDENTS_WRITE)
    def create_incident(headers: dict[str, Any], data: dict[str, Any]) -> Any:
        client = current_client()
        db = db_session()
        details = incident_details(data)

        def create(session: Any, actor: Any) -> int:
            made = record_incident(session, actor, details, similar="queue")
            return made.incident.id

        done = intake(
            db,
            client,
            kind=IntakeKind.INCIDENT,
            key=headers["idempotency_key"],
            body_hash=body_hash(),
            reference=data["sender_reference"],
            create=create,
        )
        return incident_receipt(db, done.row), 201 if done.created else 200

    @blp.route("/incidents/<path:sender_reference>", endpoint="incident_status", methods=["GET"])
    @blp.doc(tags=[TAG], summary="What became of an incident you sent, by your reference")
    @blp.response(200, IncidentReceiptSchema)
    @require_scope(Scope.REFERRALS_READ)
    def incident_status(sender_reference: str) -> Any:
        from marac.api.queries import sent_by

        db = db_session()
        row = sent_by(db, current_client(), IntakeKind.INCIDENT, sender_reference)
        return incident_receipt(db, row)
