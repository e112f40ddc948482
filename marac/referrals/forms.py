"""The partner referral form and the coordinator's screening forms."""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from marac.forms import STRIP, WholeNumberField, choices_from
from marac.forms import VersionedForm as SharedVersionedForm
from marac.people.models import normalise_postcode
from marac.referrals.consent import LAWFUL_BASIS_LABELS, NO_CONSENT, OTHER
from marac.referrals.models import CONSENT_LABELS, SUPPORT_STATUS_LABELS, SubjectType
from marac.referrals.operations import DECLINE_REASONS

SUBJECT_LABELS: dict[str, str] = {
    SubjectType.VICTIM: "A victim",
    SubjectType.PERPETRATOR: "A perpetrator (a perpetrator-focused referral)",
    SubjectType.LOCATION: "A location (for example a street, an estate or a shop)",
}

SUBJECT_SHORT_LABELS: dict[str, str] = {
    SubjectType.VICTIM: "Victim",
    SubjectType.PERPETRATOR: "Perpetrator-focused",
    SubjectType.LOCATION: "Location",
}


CONFLICT_MESSAGE = (
    "Someone else changed this referral while you were looking at it. "
    "Check the latest details on this page and try again"
)

POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]? [0-9][A-Z]{2}$")


class VersionedForm(SharedVersionedForm):
    """Screening forms: a stale decision is refused with the referral's message."""

    conflict_message = CONFLICT_MESSAGE


CONSENT_REASON_HINT = (
    "If consent was given, say how and when (optional). If it was refused, say what the "
    "victim said. If it was not sought, say why, for example it would put them at risk."
)
LAWFUL_BASIS_HINT = (
    "Sharing without consent needs a lawful basis. Most referrals to the panel rely on the "
    "safeguarding condition."
)


class SharingBasisFields:
    """The consent fields the partner form and the coordinator's screening page share."""

    consent = RadioField(
        "Has the victim consented to their information being shared with the panel?",
        widget=GovRadioInput(),
        choices=choices_from(CONSENT_LABELS),
        validators=[InputRequired("Select whether the victim consented to sharing")],
    )
    consent_reason = TextAreaField(
        "What the victim said, or why consent was not sought",
        description=CONSENT_REASON_HINT,
        widget=GovTextArea(),
        filters=STRIP,
        validators=[Length(max=5000)],
    )
    lawful_basis_code = RadioField(
        "Lawful basis for sharing without consent",
        description=LAWFUL_BASIS_HINT,
        widget=GovRadioInput(),
        choices=choices_from(LAWFUL_BASIS_LABELS),
        # Checked below: only needed without consent, so never refused when left empty.
        validate_choice=False,
    )
    lawful_basis = TextAreaField(
        "The other lawful basis",
        description="Name the law or condition, for example UK GDPR Article 6(1)(d) "
        "vital interests.",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[Length(max=5000)],
    )

    def validate_consent_reason(self, field: Any) -> None:
        if self.consent.data == "refused" and not field.data:  # type: ignore[attr-defined]
            raise ValidationError("Enter what the victim said when they refused")
        if self.consent.data == "not_sought" and not field.data:  # type: ignore[attr-defined]
            raise ValidationError("Enter why consent was not sought")

    def validate_lawful_basis_code(self, field: Any) -> None:
        if field.data and field.data not in LAWFUL_BASIS_LABELS:
            raise ValidationError("Select the lawful basis for sharing without consent")
        if self.consent.data in NO_CONSENT and not field.data:  # type: ignore[attr-defined]
            raise ValidationError("Select the lawful basis for sharing without consent")

    def validate_lawful_basis(self, field: Any) -> None:
        chosen = self.lawful_basis_code.data  # type: ignore[attr-defined]
        if self.consent.data in NO_CONSENT and chosen == OTHER and not field.data:  # type: ignore[attr-defined]
            raise ValidationError("Enter the other lawful basis for sharing")


class SharingBasisForm(SharingBasisFields, VersionedForm):
    """The coordinator records the victim's views, consent and lawful basis at screening."""

    victim_views = TextAreaField(
        "The victim's views and wishes",
        description="What the victim wants to happen, in their own words if possible. If "
        "they could not be asked, say why.",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[
            InputRequired("Enter the victim's views and wishes, or why they are not known"),
            Length(max=10000),
        ],
    )
    submit = SubmitField("Save views, consent and lawful basis", widget=GovSubmitInput())


class MergeForm(VersionedForm):
    """Fold this referral into the person's other open referral (named by the page)."""

    into_id = HiddenField()

    submit = SubmitField("Merge into the open referral", widget=GovSubmitInput())


class PartnerReferralForm(SharingBasisFields, FlaskForm):
    """A referral on professional judgement (DESIGN.md §3.3)."""

    subject_type = RadioField(
        "Who or what is the referral about?",
        widget=GovRadioInput(),
        choices=choices_from(SUBJECT_LABELS),
        validators=[InputRequired("Select who or what the referral is about")],
    )
    location = TextAreaField(
        "Address or description of the location",
        description="Only for a referral about a location.",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[Length(max=2000)],
    )
    location_postcode = StringField(
        "Postcode of the location",
        description="Only for a referral about a location. It decides which panel hears it.",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[Length(max=10)],
    )
    incident_ids = SelectMultipleField(
        "Which incidents is the referral about?",
        description="Select all that apply. The panel sees their hate strands and details.",
        widget=GovCheckboxesInput(),
        coerce=int,
        choices=[],
        validators=[InputRequired("Select the incidents the referral is about")],
    )
    reasons = TextAreaField(
        "Why are you referring this case to the MARAC?",
        description="Say what worries you and why a multi-agency response is needed now.",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[
            InputRequired("Enter why you are referring this case to the MARAC"),
            Length(max=10000),
        ],
    )
    victim_views = TextAreaField(
        "The victim's views and wishes",
        description="What the victim wants to happen, in their own words if possible.",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[Length(max=10000)],
    )
    needs = TextAreaField(
        "Needs",
        description="Communication needs, interpreter and language, adjustments for a "
        "disability, and the safe way to contact the victim.",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[Length(max=5000)],
    )
    support_status = RadioField(
        "Referral to a support service",
        description="Leave blank if no support referral was discussed.",
        widget=GovRadioInput(),
        choices=choices_from(SUPPORT_STATUS_LABELS),
        validators=[Optional()],
    )
    support_service = StringField(
        "Which support service?",
        description="For example, Victim Support or a local hate crime charity.",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[Length(max=200)],
    )
    submit = SubmitField("Send referral", widget=GovSubmitInput())

    def validate_location(self, field: Any) -> None:
        if self.subject_type.data == SubjectType.LOCATION and not field.data:
            raise ValidationError("Enter the address or a description of the location")

    def validate_location_postcode(self, field: Any) -> None:
        if field.data:
            normal = normalise_postcode(field.data)
            if not POSTCODE.match(normal):
                raise ValidationError("Enter a real postcode, like AK1 2BX")
            field.data = normal

    def validate_support_service(self, field: Any) -> None:
        if self.support_status.data and not field.data:
            raise ValidationError("Enter the support service the victim was referred to")


class AcceptForm(VersionedForm):
    area_id = SelectField(
        "Area",
        description="The panel of this area hears the case. Change it if the referral was "
        "placed in the wrong area.",
        widget=GovSelect(),
        coerce=int,
        validators=[InputRequired("Select the area whose panel should hear the case")],
    )
    # Never rendered: it carries `NoSharingBasis` to the error summary (its anchor is the
    # page's "record the basis" message).
    sharing_basis = HiddenField()
    submit = SubmitField("Accept the referral", widget=GovSubmitInput())

    def validate_area_id(self, field: Any) -> None:
        if not field.data:
            raise ValidationError("Select the area whose panel should hear the case")


class DeclineForm(VersionedForm):
    reason = RadioField(
        "Why are you declining the referral?",
        description="The referrer sees the reason and your details.",
        widget=GovRadioInput(),
        choices=choices_from(DECLINE_REASONS),
        validators=[InputRequired("Select why you are declining the referral")],
    )
    details = TextAreaField(
        "Details for the referrer",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[
            InputRequired("Enter details of why the referral is declined"),
            Length(max=5000),
        ],
    )
    submit = SubmitField("Decline the referral", widget=GovSubmitInput())


class MoreInfoForm(VersionedForm):
    request_text = TextAreaField(
        "What do you need from the referrer?",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[
            InputRequired("Enter what more information you need from the referrer"),
            Length(max=5000),
        ],
    )
    submit = SubmitField("Ask for more information", widget=GovSubmitInput())


class ReplyForm(VersionedForm):
    information = TextAreaField(
        "The information the coordinator asked for",
        widget=GovTextArea(),
        filters=STRIP,
        validators=[
            InputRequired("Enter the information the coordinator asked for"),
            Length(max=10000),
        ],
    )
    submit = SubmitField("Send the information", widget=GovSubmitInput())


class TriggerSettingsForm(FlaskForm):
    """The thresholds of the automatic referral rules for one area."""

    high_risk_enabled = BooleanField(
        "Refer automatically when a supervisor endorses a high risk assessment",
        widget=GovCheckboxInput(),
    )
    repeat_window_days = WholeNumberField(
        "Repeat window (days)",
        "Enter the repeat window as a whole number of days, like 365",
        description="A new incident or high risk assessment is a repeat when the person had "
        "a MARAC referral within this many days. The default is 365.",
        validators=[
            InputRequired("Enter the repeat window in days"),
            NumberRange(1, 3650, "Enter a repeat window between 1 and 3650 days"),
        ],
    )
    escalation_incidents = WholeNumberField(
        "Escalation: number of incidents",
        "Enter the number of incidents as a whole number, like 3",
        description="Refer automatically when the person has this many incidents within the "
        "escalation window. The default is 3.",
        validators=[
            InputRequired("Enter the number of incidents for escalation"),
            NumberRange(2, 20, "Enter a number of incidents between 2 and 20"),
        ],
    )
    escalation_window_days = WholeNumberField(
        "Escalation window (days)",
        "Enter the escalation window as a whole number of days, like 365",
        description="The default is 365.",
        validators=[
            InputRequired("Enter the escalation window in days"),
            NumberRange(1, 3650, "Enter an escalation window between 1 and 3650 days"),
        ],
    )
    submit = SubmitField("Save trigger settings", widget=GovSubmitInput())
