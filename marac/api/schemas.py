"""Marshmallow schemas: the API's bodies, and the source of its OpenAPI document."""

from __future__ import annotations

from marshmallow import Schema, fields


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
