"""Marshmallow schemas: the API's bodies, and the source of its OpenAPI document."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class FieldErrorSchema(Schema):
    field = fields.String(required=True, metadata={"example": "victim.postcode"})
    detail = fields.String(required=True)


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String(required=True)
    errors = fields.List(fields.Nested(FieldErrorSchema))


class ChoiceSchema(Schema):
    value = fields.String(required=True)
    label = fields.String(required=True)
    points = fields.Integer(required=True)


class QuestionSchema(Schema):
    id = fields.String(required=True)
    text = fields.String(required=True)
    hint = fields.String(required=True)
    choices = fields.List(fields.Nested(ChoiceSchema), required=True)


class SectionSchema(Schema):
    key = fields.String(required=True)
    title = fields.String(required=True)
    intro = fields.String(required=True)
    questions = fields.List(fields.Nested(QuestionSchema), required=True)


class DiagnosticSchema(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    hint = fields.String(required=True)
    answer_key = fields.String(required=True, metadata={"description": "key for the rating"})
    note_key = fields.String(required=True, metadata={"description": "key for the note"})
    ratings = fields.List(fields.Nested(ChoiceSchema), required=True)


class CriticalRuleSchema(Schema):
    label = fields.String(required=True)
    conditions = fields.List(
        fields.Dict(keys=fields.String(), values=fields.String()),
        required=True,
        metadata={"description": "every {question, answer} pair must hold"},
    )


class InstrumentSummarySchema(Schema):
    version = fields.String(required=True, metadata={"example": "2026.1"})
    title = fields.String(required=True)
    current = fields.Boolean(required=True)


class InstrumentListSchema(Schema):
    items = fields.List(fields.Nested(InstrumentSummarySchema), required=True)


class InstrumentSchema(Schema):
    """A published version of the risk assessment: every question and answer code."""

    version = fields.String(required=True)
    title = fields.String(required=True)
    current = fields.Boolean(required=True)
    basis = fields.String(required=True)
    sections = fields.List(fields.Nested(SectionSchema), required=True)
    diagnostics = fields.List(fields.Nested(DiagnosticSchema), required=True)
    critical_rules = fields.List(fields.Nested(CriticalRuleSchema), required=True)
    perception = fields.Nested(QuestionSchema, required=True)
    perceived_by = fields.List(fields.Nested(ChoiceSchema), required=True)


class CodeLabelSchema(Schema):
    code = fields.String(required=True)
    label = fields.String(required=True)


class StrandSchema(Schema):
    code = fields.String(required=True, metadata={"example": "religion"})
    label = fields.String(required=True)
    subcategories = fields.List(fields.Nested(CodeLabelSchema), required=True)


class LocalStrandSchema(Schema):
    code = fields.String(required=True, metadata={"example": "local:3"})
    label = fields.String(required=True)
    area = fields.String(required=True)


class StrandListSchema(Schema):
    monitored = fields.List(fields.Nested(StrandSchema), required=True)
    local = fields.List(fields.Nested(LocalStrandSchema), required=True)
    aggravation_strands = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "an aggravated offence must carry one of these strands"},
    )


# ---- intake ------------------------------------------------------------------------------
# Types and shapes only: every rule (required answers, codes, lengths, postcodes, the
# aggravated offence's strand) is the operation's, exactly as for the page's form, and
# comes back as 422 naming the field.

TEXT = validate.Length(max=20000)
SHORT = validate.Length(max=400)
CODES = validate.Length(max=40)


class VictimSchema(Schema):
    full_name = fields.String(required=True, validate=SHORT)
    date_of_birth = fields.Date(load_default=None, allow_none=True)
    gender_identity = fields.String(load_default="", validate=SHORT)
    address = fields.String(load_default="", validate=TEXT)
    postcode = fields.String(load_default="", validate=SHORT)
    phone = fields.String(load_default="", validate=SHORT)
    safe_contact_notes = fields.String(load_default="", validate=TEXT)
    communication_needs = fields.String(load_default="", validate=TEXT)
    interpreter_language = fields.String(load_default="", validate=SHORT)
    disability_adjustments = fields.String(load_default="", validate=TEXT)


class PerpetratorSchema(Schema):
    known = fields.Boolean(load_default=None, allow_none=True)
    name = fields.String(load_default="", validate=SHORT)
    relationship = fields.String(load_default="", validate=SHORT)
    age_band = fields.String(load_default="unknown", validate=SHORT)
    description = fields.String(load_default="", validate=TEXT)
    date_of_birth = fields.Date(load_default=None, allow_none=True)


class IncidentInSchema(Schema):
    """An incident with its victim, strands and up to three perpetrators."""

    sender_reference = fields.String(
        required=True,
        validate=validate.Length(min=1, max=80),
        metadata={"description": "your crime or occurrence reference; unique per client"},
    )
    occurred_on = fields.Date(required=True)
    occurred_time = fields.Time(required=True, metadata={"example": "21:30"})
    online = fields.Boolean(load_default=False)
    incident_type = fields.String(required=True, validate=CODES)
    recorded_as = fields.String(required=True, validate=CODES)
    reported_via = fields.String(required=True, validate=CODES)
    perceived_by = fields.List(fields.String(validate=CODES), load_default=list)
    description = fields.String(required=True, validate=TEXT)
    place = fields.String(load_default="", validate=TEXT)
    postcode = fields.String(load_default="", validate=SHORT)
    aggravated_offence = fields.Boolean(load_default=None, allow_none=True)
    crime_reference = fields.String(load_default="", validate=SHORT)
    strands = fields.List(fields.String(validate=CODES), load_default=list)
    subcategories = fields.List(fields.String(validate=CODES), load_default=list)
    local_strands = fields.List(fields.String(validate=CODES), load_default=list)
    victim = fields.Nested(VictimSchema, required=True)
    perpetrators = fields.List(
        fields.Nested(PerpetratorSchema), load_default=list, validate=validate.Length(max=10)
    )


class IdempotencyHeaderSchema(Schema):
    idempotency_key = fields.String(
        data_key="Idempotency-Key",
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "a unique key per create; a retry sends the same one"},
    )


class ReferralStatusSchema(Schema):
    reference = fields.String(required=True)
    status = fields.String(required=True)
    meeting_date = fields.Date(
        required=True, allow_none=True, metadata={"description": "the meeting that will hear it"}
    )


class IncidentReceiptSchema(Schema):
    sender_reference = fields.String(required=True)
    incident_id = fields.Integer(required=True)
    recorded_at = fields.DateTime(required=True)
    referral = fields.Nested(ReferralStatusSchema, required=True, allow_none=True)


class JudgementSchema(Schema):
    level = fields.String(required=True, validate=CODES, metadata={"example": "high"})
    rationale = fields.String(required=True, validate=TEXT)
    below_suggested_reason = fields.String(
        load_default="",
        validate=TEXT,
        metadata={"description": "needed when the level is below the suggested one"},
    )


class MeasureSchema(Schema):
    description = fields.String(required=True, validate=TEXT)
    rara = fields.String(
        required=True, validate=CODES, metadata={"description": "remove, avoid, reduce or accept"}
    )
    responsible = fields.String(required=True, validate=SHORT)


class EndorsementSchema(Schema):
    """A supervisor's endorsement made in the sender's own system (scope assessments:endorse)."""

    endorser_name = fields.String(required=True, validate=SHORT)
    endorser_reference = fields.String(
        required=True, validate=SHORT, metadata={"description": "the endorsement's reference"}
    )
    endorsed_at = fields.AwareDateTime(
        required=True, metadata={"description": "when it was endorsed, with its time zone"}
    )
    final_level = fields.String(required=True, validate=CODES, metadata={"example": "high"})
    reason = fields.String(
        load_default="",
        validate=TEXT,
        metadata={"description": "needed when the final level differs from the judgement"},
    )


class AssessmentInSchema(Schema):
    """A complete risk assessment in one instrument version, optionally endorsed."""

    sender_reference = fields.String(
        required=True,
        validate=validate.Length(min=1, max=80),
        metadata={"description": "your assessment reference; unique per client"},
    )
    incident_reference = fields.String(
        required=True,
        validate=validate.Length(min=1, max=80),
        metadata={"description": "the sender_reference of an incident this client sent"},
    )
    instrument_version = fields.String(
        required=True, validate=CODES, metadata={"example": "2026.1"}
    )
    answers = fields.Dict(
        keys=fields.String(validate=CODES),
        values=fields.Raw(),
        required=True,
        metadata={"description": "question id to answer code (see /instruments/{version})"},
    )
    judgement = fields.Nested(JudgementSchema, required=True)
    measures = fields.List(
        fields.Nested(MeasureSchema), load_default=list, validate=validate.Length(max=50)
    )
    endorsement = fields.Nested(EndorsementSchema, load_default=None, allow_none=True)


class AssessmentReceiptSchema(Schema):
    sender_reference = fields.String(required=True)
    assessment_id = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"example": "endorsed"})
    final_level = fields.String(required=True, allow_none=True)
    referral = fields.Nested(ReferralStatusSchema, required=True, allow_none=True)
