"""The intake endpoints: incidents and assessments (and their read-back) from a records system.

Each create is idempotent on the `Idempotency-Key` header and on the sender's own
reference (`marac.api.operations.intake`); the record itself is made by the same
operation the page calls, acting as the client's service user, with person matching in
"queue" mode: similar people are never disclosed, a coordinator checks them. An
assessment is made, checked and submitted by `create_assessment` against an incident this
client sent; an endorsement block (scope assessments:endorse) is recorded by
`record_external_endorsement`, which fires the referral trigger rules.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import request
from flask_smorest import Blueprint

from marac.api.auth import ApiRefusal, current_client, require_scope
from marac.api.models import IntakeKind, Scope
from marac.api.operations import intake
from marac.api.problems import problem
from marac.api.queries import assessment_receipt, incident_receipt, sent_by
from marac.api.schemas import (
    AssessmentInSchema,
    AssessmentReceiptSchema,
    IdempotencyHeaderSchema,
    IncidentInSchema,
    IncidentReceiptSchema,
)
from marac.assessments.operations import (
    MeasureInput,
    create_assessment,
    record_external_endorsement,
)
from marac.db import db_session
from marac.incidents.operations import (
    IncidentDetails,
    PerpetratorDetails,
    VictimDetails,
    record_incident,
)
from marac.operations import Invalid, NotFound

TAG = "Incidents"
ASSESSMENT_TAG = "Assessments"
# The operations' field names, as the API's body names them.
JUDGEMENT_FIELDS = {
    "judgement_level": "judgement.level",
    "judgement_rationale": "judgement.rationale",
    "below_suggested_reason": "judgement.below_suggested_reason",
}
ENDORSEMENT_PREFIX = "endorsement."


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
        db = db_session()
        row = sent_by(db, current_client(), IntakeKind.INCIDENT, sender_reference)
        return incident_receipt(db, row)

    @blp.route("/assessments", endpoint="create_assessment", methods=["POST"])
    @blp.doc(
        tags=[ASSESSMENT_TAG],
        summary="Send a complete risk assessment, optionally with its endorsement",
        description="The answers are checked against the named instrument version and the "
        "judgement and plan rules of the pages; the assessment is submitted. With an "
        "`endorsement` (scope assessments:endorse) it is endorsed too, and the referral "
        "rules run: an endorsed high assessment becomes a referral for the area's "
        "coordinator. 201 when made; 200 with the same body for a retry. The same key with "
        "another body is 422; the same sender_reference with another body is 409, and so is "
        "an assessment of an incident whose assessment is under way or endorsed (an incident "
        "is assessed once).",
    )
    @blp.arguments(IdempotencyHeaderSchema, location="headers")
    @blp.arguments(AssessmentInSchema)
    @blp.response(201, AssessmentReceiptSchema)
    @blp.alt_response(200, schema=AssessmentReceiptSchema, description="A retry: the first result")
    @require_scope(Scope.ASSESSMENTS_WRITE)
    def create_assessment_view(headers: dict[str, Any], data: dict[str, Any]) -> Any:
        client = current_client()
        endorsement = data.get("endorsement")
        if endorsement is not None and Scope.ASSESSMENTS_ENDORSE.value not in client.scope_set:
            raise ApiRefusal(problem(403, "An endorsement needs the assessments:endorse scope."))
        db = db_session()
        incident_id = _incident_sent(db, client, data["incident_reference"])
        judgement = data["judgement"]
        measures = tuple(MeasureInput(**m) for m in data["measures"])

        def create(session: Any, actor: Any) -> int:
            with _fields_renamed(JUDGEMENT_FIELDS):
                assessment = create_assessment(
                    session,
                    actor,
                    incident_id=incident_id,
                    instrument_version=data["instrument_version"],
                    answers=data["answers"],
                    judgement_level=judgement["level"],
                    judgement_rationale=judgement["rationale"],
                    below_suggested_reason=judgement["below_suggested_reason"],
                    measures=measures,
                    submit=True,
                )
            if endorsement is not None:
                with _fields_renamed(prefix=ENDORSEMENT_PREFIX):
                    record_external_endorsement(
                        session,
                        actor,
                        assessment.id,
                        endorser_name=endorsement["endorser_name"],
                        endorser_reference=endorsement["endorser_reference"],
                        endorsed_at=endorsement["endorsed_at"],
                        final_level=endorsement["final_level"],
                        reason=endorsement["reason"],
                    )
            return assessment.id

        done = intake(
            db,
            client,
            kind=IntakeKind.ASSESSMENT,
            key=headers["idempotency_key"],
            body_hash=body_hash(),
            reference=data["sender_reference"],
            create=create,
        )
        return assessment_receipt(db, done.row), 201 if done.created else 200

    @blp.route(
        "/assessments/<path:sender_reference>", endpoint="assessment_status", methods=["GET"]
    )
    @blp.doc(tags=[ASSESSMENT_TAG], summary="What became of an assessment you sent")
    @blp.response(200, AssessmentReceiptSchema)
    @require_scope(Scope.REFERRALS_READ)
    def assessment_status(sender_reference: str) -> Any:
        db = db_session()
        row = sent_by(db, current_client(), IntakeKind.ASSESSMENT, sender_reference)
        return assessment_receipt(db, row)


def _incident_sent(db: Any, client: Any, reference: str) -> int:
    """The incident this client sent with `reference`; never another client's."""
    try:
        row = sent_by(db, client, IntakeKind.INCIDENT, reference)
    except NotFound:
        raise Invalid(
            {"incident_reference": "No incident was sent by this client with this reference"}
        ) from None
    assert row.resource_id is not None  # sent_by finds only rows that made something
    return row.resource_id


@contextmanager
def _fields_renamed(names: dict[str, str] | None = None, prefix: str = "") -> Iterator[None]:
    """An operation's `Invalid`, its fields named as the API's body names them."""
    try:
        yield
    except Invalid as error:
        renamed = {
            (names or {}).get(field) or f"{prefix}{field}": problems
            for field, problems in error.errors.items()
        }
        raise Invalid(renamed, str(error)) from error
