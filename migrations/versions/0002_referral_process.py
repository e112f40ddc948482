"""people, incidents, risk assessments, referrals

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 02:45:41.109160
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marac.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "local_strand",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"], ["area.id"], name=op.f("fk_local_strand_area_id_area")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_local_strand")),
        sa.UniqueConstraint("area_id", "name", name="uq_local_strand_area_name"),
    )
    with op.batch_alter_table("local_strand", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_local_strand_area_id"), ["area_id"], unique=False)

    op.create_table(
        "trigger_settings",
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("high_risk_enabled", sa.Boolean(), nullable=False),
        sa.Column("repeat_window_days", sa.Integer(), nullable=False),
        sa.Column("escalation_incidents", sa.Integer(), nullable=False),
        sa.Column("escalation_window_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", marac.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"], ["area.id"], name=op.f("fk_trigger_settings_area_id_area")
        ),
        sa.PrimaryKeyConstraint("area_id", name=op.f("pk_trigger_settings")),
    )
    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("normalised_name", sa.String(length=200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("gender_identity", sa.String(length=100), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("postcode", sa.String(length=10), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("safe_contact_notes", sa.Text(), nullable=False),
        sa.Column("communication_needs", sa.Text(), nullable=False),
        sa.Column("interpreter_language", sa.String(length=80), nullable=False),
        sa.Column("disability_adjustments", sa.Text(), nullable=False),
        sa.Column("created_at", marac.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["app_user.id"], name=op.f("fk_person_created_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index("ix_person_match", ["normalised_name", "date_of_birth"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_postcode"), ["postcode"], unique=False)

    op.create_table(
        "user_area",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"], ["area.id"], name=op.f("fk_user_area_area_id_area"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_user_area_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "area_id", name=op.f("pk_user_area")),
    )
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("occurred_at", marac.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("place", sa.Text(), nullable=False),
        sa.Column("postcode", sa.String(length=10), nullable=False),
        sa.Column("incident_type", sa.String(length=30), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("recorded_as", sa.String(length=20), nullable=False),
        sa.Column("aggravated_offence", sa.Boolean(), nullable=False),
        sa.Column("crime_reference", sa.String(length=40), nullable=False),
        sa.Column("reported_via", sa.String(length=20), nullable=False),
        sa.Column("perceived_by", sa.String(length=80), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", marac.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_incident_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"], name=op.f("fk_incident_area_id_area")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["app_user.id"], name=op.f("fk_incident_created_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_incident_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
    )
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_area_id"), ["area_id"], unique=False)
        batch_op.create_index(
            "ix_incident_person_occurred", ["person_id", "occurred_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_incident_postcode"), ["postcode"], unique=False)

    op.create_table(
        "incident_strand",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("subcategory", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_incident_strand_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_strand")),
        sa.UniqueConstraint("incident_id", "code", "subcategory", name="uq_incident_strand"),
    )
    with op.batch_alter_table("incident_strand", schema=None) as batch_op:
        batch_op.create_index("ix_incident_strand_code", ["code"], unique=False)

    op.create_table(
        "perpetrator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("known", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("relationship_to_victim", sa.String(length=20), nullable=False),
        sa.Column("age_band", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_perpetrator_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_perpetrator_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_perpetrator")),
    )
    with op.batch_alter_table("perpetrator", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_perpetrator_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_perpetrator_person_id"), ["person_id"], unique=False)

    op.create_table(
        "risk_assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("assessor_id", sa.Integer(), nullable=False),
        sa.Column("instrument_version", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("completed_sections", sa.JSON(), nullable=False),
        sa.Column("suggested_level", sa.String(length=10), nullable=True),
        sa.Column("judgement_level", sa.String(length=10), nullable=True),
        sa.Column("judgement_rationale", sa.Text(), nullable=False),
        sa.Column("below_suggested_reason", sa.Text(), nullable=False),
        sa.Column("submitted_at", marac.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("endorsed_by_id", sa.Integer(), nullable=True),
        sa.Column("endorsed_at", marac.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("final_level", sa.String(length=10), nullable=True),
        sa.Column("endorsement_reason", sa.Text(), nullable=False),
        sa.Column("created_at", marac.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", marac.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_risk_assessment_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["assessor_id"], ["app_user.id"], name=op.f("fk_risk_assessment_assessor_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["endorsed_by_id"],
            ["app_user.id"],
            name=op.f("fk_risk_assessment_endorsed_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_risk_assessment_incident_id_incident")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_risk_assessment_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_assessment")),
    )
    with op.batch_alter_table("risk_assessment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_risk_assessment_agency_status", ["agency_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_risk_assessment_assessor_id"), ["assessor_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_risk_assessment_final_level"), ["final_level"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_risk_assessment_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_risk_assessment_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "referral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("subject_type", sa.String(length=20), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("location_postcode", sa.String(length=10), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("risk_level", sa.String(length=10), nullable=True),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.Column("trigger_incident_id", sa.Integer(), nullable=True),
        sa.Column("previous_referral_id", sa.Integer(), nullable=True),
        sa.Column("is_repeat", sa.Boolean(), nullable=False),
        sa.Column("trigger_reasons", sa.JSON(), nullable=False),
        sa.Column("referrer_id", sa.Integer(), nullable=True),
        sa.Column("referring_agency_id", sa.Integer(), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("victim_views", sa.Text(), nullable=False),
        sa.Column("consent", sa.String(length=20), nullable=False),
        sa.Column("lawful_basis", sa.Text(), nullable=False),
        sa.Column("needs", sa.Text(), nullable=False),
        sa.Column("support_status", sa.String(length=20), nullable=False),
        sa.Column("support_service", sa.String(length=200), nullable=False),
        sa.Column("screened_by_id", sa.Integer(), nullable=True),
        sa.Column("screened_at", marac.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("screening_note", sa.Text(), nullable=False),
        sa.Column("created_at", marac.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", marac.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"], name=op.f("fk_referral_area_id_area")),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["risk_assessment.id"],
            name=op.f("fk_referral_assessment_id_risk_assessment"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_referral_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["previous_referral_id"],
            ["referral.id"],
            name=op.f("fk_referral_previous_referral_id_referral"),
        ),
        sa.ForeignKeyConstraint(
            ["referrer_id"], ["app_user.id"], name=op.f("fk_referral_referrer_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["referring_agency_id"],
            ["agency.id"],
            name=op.f("fk_referral_referring_agency_id_agency"),
        ),
        sa.ForeignKeyConstraint(
            ["screened_by_id"], ["app_user.id"], name=op.f("fk_referral_screened_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["trigger_incident_id"],
            ["incident.id"],
            name=op.f("fk_referral_trigger_incident_id_incident"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
        sa.UniqueConstraint("assessment_id", name=op.f("uq_referral_assessment_id")),
        sa.UniqueConstraint("reference", name=op.f("uq_referral_reference")),
        sa.UniqueConstraint("trigger_incident_id", name=op.f("uq_referral_trigger_incident_id")),
    )
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.create_index("ix_referral_area_status", ["area_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            "ix_referral_person_created", ["person_id", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_referral_referrer_id"), ["referrer_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_referral_referring_agency_id"), ["referring_agency_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_referral_source"), ["source"], unique=False)

    op.create_table(
        "risk_measure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("rara", sa.String(length=10), nullable=False),
        sa.Column("responsible", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["risk_assessment.id"],
            name=op.f("fk_risk_measure_assessment_id_risk_assessment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_measure")),
    )
    with op.batch_alter_table("risk_measure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_risk_measure_assessment_id"), ["assessment_id"], unique=False
        )

    op.create_table(
        "referral_incident",
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_referral_incident_incident_id_incident")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
            name=op.f("fk_referral_incident_referral_id_referral"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("referral_id", "incident_id", name=op.f("pk_referral_incident")),
    )


def downgrade() -> None:

    op.drop_table("referral_incident")
    with op.batch_alter_table("risk_measure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_measure_assessment_id"))

    op.drop_table("risk_measure")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_source"))
        batch_op.drop_index(batch_op.f("ix_referral_referring_agency_id"))
        batch_op.drop_index(batch_op.f("ix_referral_referrer_id"))
        batch_op.drop_index("ix_referral_person_created")
        batch_op.drop_index(batch_op.f("ix_referral_created_at"))
        batch_op.drop_index("ix_referral_area_status")

    op.drop_table("referral")
    with op.batch_alter_table("risk_assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_assessment_person_id"))
        batch_op.drop_index(batch_op.f("ix_risk_assessment_incident_id"))
        batch_op.drop_index(batch_op.f("ix_risk_assessment_final_level"))
        batch_op.drop_index(batch_op.f("ix_risk_assessment_assessor_id"))
        batch_op.drop_index("ix_risk_assessment_agency_status")

    op.drop_table("risk_assessment")
    with op.batch_alter_table("perpetrator", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_perpetrator_person_id"))
        batch_op.drop_index(batch_op.f("ix_perpetrator_incident_id"))

    op.drop_table("perpetrator")
    with op.batch_alter_table("incident_strand", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_strand_code")

    op.drop_table("incident_strand")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_postcode"))
        batch_op.drop_index("ix_incident_person_occurred")
        batch_op.drop_index(batch_op.f("ix_incident_area_id"))

    op.drop_table("incident")
    op.drop_table("user_area")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_postcode"))
        batch_op.drop_index("ix_person_match")

    op.drop_table("person")
    op.drop_table("trigger_settings")
    with op.batch_alter_table("local_strand", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_local_strand_area_id"))

    op.drop_table("local_strand")
