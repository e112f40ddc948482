"""Every write on a referral: a partner's referral, and the coordinator's screening.

Pages, the API and tests call these; each checks the actor, applies the content rules
of DESIGN.md §3.3, writes the audit row and the notices, and commits once. A stale
version (or a concurrent save caught by the mapper's version counter) is a `Conflict`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from marac.accounts.models import Agency, Area, Role, User
from marac.assessments.models import AssessmentStatus, RiskAssessment
from marac.audit import record
from marac.db import utcnow
from marac.formatting import format_datetime, plural
from marac.incidents.access import viewable_incidents
from marac.incidents.models import Incident
from marac.operations import Conflict, Invalid, NotFound, allow, operation
from marac.people.access import can_view_person
from marac.people.models import Person, normalise_postcode
from marac.referrals import consent as consent_rules
from marac.referrals import notices
from marac.referrals.access import SCREENABLE_STATUSES, can_screen_referral
from marac.referrals.areas import area_for_postcode
from marac.referrals.models import (
    CONSENT_LABELS,
    OPEN_STATUSES,
    STATUS_LABELS,
    SUPPORT_STATUS_LABELS,
    Referral,
    ReferralIncident,
    ReferralSource,
    ReferralStatus,
    SubjectType,
    TriggerSettings,
)
from marac.referrals.triggers import (
    as_earlier,
    earlier_referrals_of,
    higher_level,
    repeat_of,
    repeat_reason,
    rules_for_area,
    save_with_reference,
)

OBJECT = "referral"
CASE_ROLES = (Role.REFERRER, Role.MEMBER, Role.COORDINATOR)
PARTNER_REASON = "Professional judgement: referred by {agency}"
POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]? [0-9][A-Z]{2}$")

DECLINE_REASONS: dict[str, str] = {
    "domestic_abuse_marac": "Already heard at the domestic abuse MARAC",
    "mappa": "Managed through MAPPA (multi-agency public protection arrangements)",
    "criteria": "Does not meet the criteria for this MARAC",
    "other": "Another reason",
}
NO_CONSENT = consent_rules.NO_CONSENT
# The longest each free-text answer may be (the form's limits too).
LIMITS: dict[str, int] = {
    "location": 2000,
    "location_postcode": 10,
    "reasons": 10000,
    "victim_views": 10000,
    "lawful_basis": 5000,
    "consent_reason": 5000,
    "needs": 5000,
    "support_service": 200,
}


class AlreadyScreened(Conflict):
    """The referral left the screening queue (someone screened it) before this decision."""

    def __init__(self, referral: Referral) -> None:
        super().__init__(
            f"{referral.reference} has already been screened: it is "
            f"{STATUS_LABELS[referral.status].lower()}."
        )


def needs_sharing_basis(referral: Referral) -> bool:
    """Acceptance waits for the victim's views, consent and basis to be recorded.

    A partner states consent when referring; an automatic referral arrives with none.
    """
    return referral.source != ReferralSource.PARTNER and not consent_rules.is_recorded(referral)


class NoSharingBasis(Invalid):
    """An automatic referral reached acceptance with no record of consent or lawful basis."""

    MESSAGE = (
        "Record the victim's views, their consent and, without consent, the lawful basis "
        "for sharing before you accept this referral"
    )

    def __init__(self) -> None:
        super().__init__({"sharing_basis": self.MESSAGE}, self.MESSAGE)


class NotWaitingForInformation(Conflict):
    """The referrer replied to a request that is no longer open."""

    def __init__(self, referral: Referral) -> None:
        super().__init__(f"{referral.reference} is not waiting for more information.")


@dataclass(frozen=True)
class PartnerReferral:
    """What a partner says when referring a case on professional judgement (§3.3)."""

    subject_type: str
    incident_ids: list[int]
    reasons: str
    consent: str
    location: str = ""
    location_postcode: str = ""
    victim_views: str = ""
    lawful_basis: str = ""
    needs: str = ""
    consent_reason: str = ""
    lawful_basis_code: str = ""
    support_status: str = ""
    support_service: str = ""


def _content_errors(details: PartnerReferral) -> tuple[dict[str, str], str]:
    """The §3.3 content rules, in the form's words; returns the errors and the postcode."""
    errors: dict[str, str] = {}
    for name, limit in LIMITS.items():
        if len(getattr(details, name) or "") > limit:
            errors[name] = f"Field cannot be longer than {limit} characters."
    if details.subject_type not in {s.value for s in SubjectType}:
        errors["subject_type"] = "Select who or what the referral is about"
    if not details.incident_ids:
        errors["incident_ids"] = "Select the incidents the referral is about"
    if not details.reasons.strip():
        errors["reasons"] = "Enter why you are referring this case to the MARAC"
    if details.consent not in CONSENT_LABELS:
        errors["consent"] = "Select whether the victim consented to sharing"
    elif details.consent in NO_CONSENT:
        code = details.lawful_basis_code
        if code and code not in consent_rules.LAWFUL_BASIS_LABELS:
            errors["lawful_basis_code"] = "Select the lawful basis for sharing without consent"
        elif code in ("", consent_rules.OTHER) and not details.lawful_basis.strip():
            # A sender (a spreadsheet, an older form) may give its basis in words only.
            errors["lawful_basis"] = (
                "Enter the lawful basis for sharing without the victim's consent"
            )
    is_location = details.subject_type == SubjectType.LOCATION
    if is_location and not details.location.strip():
        errors["location"] = "Enter the address or a description of the location"
    postcode = ""
    if details.location_postcode.strip():
        postcode = normalise_postcode(details.location_postcode)
        if not POSTCODE.match(postcode):
            errors["location_postcode"] = "Enter a real postcode, like AK1 2BX"
    if details.support_status and details.support_status not in SUPPORT_STATUS_LABELS:
        errors["support_status"] = "Select whether the victim was referred to a support service"
    if details.support_status and not details.support_service.strip():
        errors["support_service"] = "Enter the support service the victim was referred to"
    return errors, postcode


def _partner_area(
    db: Session, location_postcode: str, is_location: bool, chosen: list[Incident], person: Person
) -> Area | None:
    """The location's postcode for a location, else the newest chosen incident's area."""
    if is_location and location_postcode:
        area = area_for_postcode(db, location_postcode)
        if area is not None:
            return area
    for incident in sorted(chosen, key=lambda i: i.occurred_at, reverse=True):
        if incident.area_id is not None:
            return db.get(Area, incident.area_id)
    return area_for_postcode(db, person.postcode)


def _endorsed_level(db: Session, incidents: list[Incident]) -> str | None:
    """The highest endorsed level of the chosen incidents' assessments, if any (one query)."""
    if not incidents:
        return None
    levels = db.scalars(
        select(RiskAssessment.final_level).where(
            RiskAssessment.incident_id.in_([i.id for i in incidents]),
            RiskAssessment.status == AssessmentStatus.ENDORSED.value,
        )
    )
    level: str | None = None
    for value in levels:
        level = higher_level(level, value)
    return level


def _partner_basis_code(details: PartnerReferral) -> str:
    """The coded basis of a partner referral: words alone count as "another lawful basis"."""
    if details.consent not in NO_CONSENT:
        return ""
    return details.lawful_basis_code or consent_rules.OTHER


def may_refer(actor: User) -> bool:
    """Referrers, panel members and coordinators refer; admins never touch case data."""
    return actor.has_role(*CASE_ROLES) and not actor.has_role(Role.ADMIN)


@operation
def refer_case(
    db: Session,
    actor: User,
    person_id: int,
    details: PartnerReferral,
    *,
    now: datetime | None = None,
) -> Referral:
    """A partner's referral on professional judgement about incidents the actor may see."""
    allow(may_refer(actor))
    person = db.get(Person, person_id)
    if person is None:
        raise NotFound()
    viewable = {
        i.id: i
        for i in db.scalars(
            select(Incident).where(Incident.person_id == person.id, viewable_incidents(actor))
        )
    }
    allow(bool(viewable) or can_view_person(db, actor, person))
    errors, postcode = _content_errors(details)
    if any(i not in viewable for i in details.incident_ids):
        errors["incident_ids"] = "Select the incidents the referral is about"
    if errors:
        raise Invalid(errors)
    now = now or utcnow()
    chosen = [viewable[i] for i in dict.fromkeys(details.incident_ids)]
    subject = details.subject_type
    is_location = subject == SubjectType.LOCATION
    area = _partner_area(db, postcode, is_location, chosen, person)
    agency = db.get(Agency, actor.agency_id)
    reasons = [PARTNER_REASON.format(agency=agency.name if agency else "a partner agency")]
    previous = None
    is_repeat = False
    if not is_location:
        rules = rules_for_area(db, area.id if area else None)
        history = earlier_referrals_of(db, person.id)
        repeat = repeat_of(rules, now, as_earlier(history))
        if repeat is not None:
            is_repeat = True
            reasons.append(repeat_reason(rules, repeat))
        previous = history[0] if history else None
    consent = details.consent
    referral = Referral(
        risk_level=_endorsed_level(db, chosen),
        subject_type=subject,
        person_id=None if is_location else person.id,
        location=details.location.strip() if is_location else "",
        location_postcode=postcode if is_location else "",
        area_id=area.id if area else None,
        source=ReferralSource.PARTNER.value,
        status=ReferralStatus.NEW.value,
        previous_referral_id=previous.id if previous else None,
        is_repeat=is_repeat,
        trigger_reasons=reasons,
        referrer_id=actor.id,
        referring_agency_id=actor.agency_id,
        reasons=details.reasons.strip(),
        victim_views=details.victim_views.strip(),
        consent=consent,
        consent_reason=details.consent_reason.strip(),
        lawful_basis_code=_partner_basis_code(details),
        lawful_basis=details.lawful_basis.strip()
        if _partner_basis_code(details) == consent_rules.OTHER
        else "",
        needs=details.needs.strip(),
        support_status=details.support_status or "",
        support_service=details.support_service.strip() if details.support_status else "",
        created_at=now,
        updated_at=now,
    )
    save_with_reference(db, referral, now)
    for incident in chosen:
        db.add(ReferralIncident(referral_id=referral.id, incident_id=incident.id))
    record(
        db,
        "referral_created",
        OBJECT,
        referral.id,
        f"{referral.reference}: partner referral ({subject}) about "
        f"{plural(len(chosen), 'incident')}; area {area.name if area else 'not known'}"
        + ("; repeat" if is_repeat else ""),
        user=actor,
    )
    notices.referral_created(db, referral)  # the area's coordinators
    return referral


# ---- screening ----------------------------------------------------------------------------


def _screenable(db: Session, actor: User, referral_id: int, version: int) -> Referral:
    """The referral, if the actor screens its area and it still waits at this version."""
    allow(actor.has_role(Role.COORDINATOR))
    referral = db.get(Referral, referral_id)
    if referral is None:
        raise NotFound()
    allow(can_screen_referral(actor, referral))
    if referral.status not in SCREENABLE_STATUSES:
        raise AlreadyScreened(referral)
    if version != referral.version:
        raise Conflict()
    return referral


def _flush_or_conflict(db: Session) -> None:
    """Write now, so a save that lost the race to another is a `Conflict`, not a crash."""
    try:
        db.flush()
    except StaleDataError as exc:
        raise Conflict() from exc


def _screened(referral: Referral, actor: User, status: ReferralStatus) -> None:
    referral.status = status.value
    referral.screened_by_id = actor.id
    referral.screened_at = utcnow()


@operation
def accept_referral(
    db: Session, actor: User, referral_id: int, *, version: int, area_id: int
) -> Referral:
    """Accept for the panel of `area_id` (the coordinator may correct a misplaced area)."""
    referral = _screenable(db, actor, referral_id, version)
    area = db.get(Area, area_id) if area_id else None
    if area is None or not area.active:
        raise Invalid({"area_id": "Select the area whose panel should hear the case"})
    if needs_sharing_basis(referral):
        raise NoSharingBasis()
    old_area = referral.area_id
    referral.area_id = area.id
    _screened(referral, actor, ReferralStatus.ACCEPTED)
    summary = f"Accepted {referral.reference} for {area.name}"
    if old_area != area.id:
        summary += f" (area changed from {old_area or 'not known'})"
    record(db, "referral_accepted", OBJECT, referral.id, summary, user=actor)
    _flush_or_conflict(db)
    return referral


@operation
def decline_referral(
    db: Session, actor: User, referral_id: int, *, version: int, reason: str, details: str
) -> Referral:
    """Decline with one of the set reasons and details the referrer reads."""
    referral = _screenable(db, actor, referral_id, version)
    errors: dict[str, str] = {}
    if reason not in DECLINE_REASONS:
        errors["reason"] = "Select why you are declining the referral"
    if not details.strip():
        errors["details"] = "Enter details of why the referral is declined"
    elif len(details) > 5000:
        errors["details"] = "Field cannot be longer than 5000 characters."
    if errors:
        raise Invalid(errors)
    label = DECLINE_REASONS[reason]
    _screened(referral, actor, ReferralStatus.DECLINED)
    referral.screening_note = f"Declined: {label}. {details.strip()}"
    record(
        db, "referral_declined", OBJECT, referral.id, f"Declined {referral.reference}: {label}",
        user=actor,
    )  # fmt: skip
    _flush_or_conflict(db)
    return referral


@operation
def request_more_information(
    db: Session, actor: User, referral_id: int, *, version: int, request_text: str
) -> Referral:
    """Send the referral back to its referrer with what the coordinator needs."""
    referral = _screenable(db, actor, referral_id, version)
    if not request_text.strip():
        raise Invalid({"request_text": "Enter what more information you need from the referrer"})
    if len(request_text) > 5000:
        raise Invalid({"request_text": "Field cannot be longer than 5000 characters."})
    _screened(referral, actor, ReferralStatus.MORE_INFO)
    referral.screening_note = request_text.strip()
    record(
        db,
        "referral_more_info_requested",
        OBJECT,
        referral.id,
        f"Asked the referrer of {referral.reference} for more information",
        user=actor,
    )
    _flush_or_conflict(db)
    notices.more_info_requested(db, referral)  # the referrer
    return referral


@operation
def add_information(
    db: Session, actor: User, referral_id: int, *, version: int, information: str
) -> Referral:
    """The referrer answers the coordinator's request; the referral goes back for screening."""
    referral = db.get(Referral, referral_id)
    if referral is None:
        raise NotFound()
    allow(referral.referrer_id == actor.id and not actor.has_role(Role.ADMIN))
    if referral.status != ReferralStatus.MORE_INFO:
        raise NotWaitingForInformation(referral)
    if not information.strip():
        raise Invalid({"information": "Enter the information the coordinator asked for"})
    if len(information) > 10000:
        raise Invalid({"information": "Field cannot be longer than 10000 characters."})
    if version != referral.version:
        raise Conflict()
    now = utcnow()
    addition = f"More information added on {format_datetime(now)}:\n{information.strip()}"
    referral.reasons = f"{referral.reasons}\n\n{addition}".strip()
    referral.status = ReferralStatus.NEW.value
    record(
        db,
        "referral_info_added",
        OBJECT,
        referral.id,
        f"The referrer added information to {referral.reference}",
        user=actor,
    )
    _flush_or_conflict(db)
    return referral


# ---- the victim's views, consent and the lawful basis ---------------------------------------


def may_record_sharing_basis(actor: User, referral: Referral) -> bool:
    """The coordinators of the referral's area, while the case is open."""
    return (
        actor.has_role(Role.COORDINATOR)
        and can_screen_referral(actor, referral)
        and referral.status in OPEN_STATUSES
    )


@operation
def record_sharing_basis(
    db: Session,
    actor: User,
    referral_id: int,
    *,
    version: int,
    basis: consent_rules.SharingBasis,
) -> Referral:
    """Record what the victim said, whether they consented and, if not, the lawful basis."""
    referral = db.get(Referral, referral_id)
    if referral is None:
        raise NotFound()
    allow(may_record_sharing_basis(actor, referral))
    errors = consent_rules.basis_errors(basis)
    if errors:
        raise Invalid(errors)
    if version != referral.version:
        raise Conflict()
    clean = consent_rules.cleaned(basis)
    referral.victim_views = clean.victim_views
    referral.consent = clean.consent
    referral.consent_reason = clean.consent_reason
    referral.lawful_basis_code = clean.lawful_basis_code
    referral.lawful_basis = clean.lawful_basis
    summary = f"{referral.reference}: consent {CONSENT_LABELS[clean.consent].lower()}"
    if clean.lawful_basis_code:
        summary += f"; lawful basis {consent_rules.LAWFUL_BASIS_SHORT[clean.lawful_basis_code]}"
    record(db, "referral_sharing_basis_recorded", OBJECT, referral.id, summary, user=actor)
    _flush_or_conflict(db)
    return referral


# ---- one person, one open case ---------------------------------------------------------------


class CannotMerge(Conflict):
    """The referral to merge into is no longer open, or is not the same person's."""


def other_open_referral(db: Session, referral: Referral) -> Referral | None:
    """The same person's other open referral, the one a new referral could merge into."""
    if referral.person_id is None:
        return None
    return db.scalar(
        select(Referral)
        .where(
            Referral.person_id == referral.person_id,
            Referral.id != referral.id,
            Referral.status.in_(OPEN_STATUSES),
        )
        .order_by(Referral.created_at.asc(), Referral.id.asc())
        .limit(1)
    )


@operation
def merge_referral(
    db: Session, actor: User, referral_id: int, *, version: int, into_id: int
) -> Referral:
    """Fold a referral waiting for screening into the person's other open referral.

    Its reasons and incidents join the open one; it is closed as merged and points at it,
    so the person has one case at the panel. Returns the referral merged into.
    """
    referral = _screenable(db, actor, referral_id, version)
    into = db.get(Referral, into_id)
    if into is None:
        raise NotFound()
    allow(can_screen_referral(actor, into))
    if (
        into.id == referral.id
        or into.person_id is None
        or into.person_id != referral.person_id
        or into.status not in OPEN_STATUSES
    ):
        raise CannotMerge(
            f"{referral.reference} cannot be merged into {into.reference}: it is not the "
            "same person's open referral any more."
        )
    reasons = list(into.trigger_reasons or [])
    for reason in referral.trigger_reasons or []:
        merged = f"{reason} (from {referral.reference})"
        if merged not in reasons:
            reasons.append(merged)
    into.trigger_reasons = reasons
    if referral.reasons.strip():
        into.reasons = (
            f"{into.reasons}\n\nFrom {referral.reference}:\n{referral.reasons.strip()}"
        ).strip()
    into.risk_level = higher_level(into.risk_level, referral.risk_level)
    linked = set(
        db.scalars(
            select(ReferralIncident.incident_id).where(ReferralIncident.referral_id == into.id)
        )
    )
    moved = [
        incident_id
        for incident_id in db.scalars(
            select(ReferralIncident.incident_id).where(ReferralIncident.referral_id == referral.id)
        )
        if incident_id not in linked
    ]
    for incident_id in moved:
        db.add(ReferralIncident(referral_id=into.id, incident_id=incident_id))
    _screened(referral, actor, ReferralStatus.MERGED)
    referral.merged_into_id = into.id
    referral.closed_at = referral.screened_at
    referral.closed_by_id = actor.id
    referral.closure_reason = f"Merged into {into.reference}"
    record(
        db, "referral_merged", OBJECT, referral.id,
        f"Merged {referral.reference} into {into.reference}", user=actor,
    )  # fmt: skip
    record(
        db, "referral_merged_into", OBJECT, into.id,
        f"{referral.reference} merged in: {plural(len(moved), 'incident')} added", user=actor,
    )  # fmt: skip
    _flush_or_conflict(db)
    return into


# ---- an area's trigger settings (admins) ----------------------------------------------------

TRIGGER_FIELDS = (
    "high_risk_enabled",
    "repeat_window_days",
    "escalation_incidents",
    "escalation_window_days",
)
# Each threshold's allowed range and what to say when it is outside it.
TRIGGER_RANGES: dict[str, tuple[int, int, str]] = {
    "repeat_window_days": (1, 3650, "Enter a repeat window between 1 and 3650 days"),
    "escalation_incidents": (2, 20, "Enter a number of incidents between 2 and 20"),
    "escalation_window_days": (1, 3650, "Enter an escalation window between 1 and 3650 days"),
}


def trigger_defaults() -> dict[str, object]:
    """The thresholds an area has until an admin saves its own."""
    return {name: TriggerSettings.__table__.c[name].default.arg for name in TRIGGER_FIELDS}


@operation
def save_trigger_settings(
    db: Session,
    actor: User,
    area_id: int,
    *,
    high_risk_enabled: bool,
    repeat_window_days: int,
    escalation_incidents: int,
    escalation_window_days: int,
) -> TriggerSettings:
    """Set one area's automatic referral thresholds (created with the first save)."""
    allow(actor.has_role(Role.ADMIN))
    area = db.get(Area, area_id)
    if area is None:
        raise NotFound()
    data: dict[str, object] = {
        "high_risk_enabled": bool(high_risk_enabled),
        "repeat_window_days": repeat_window_days,
        "escalation_incidents": escalation_incidents,
        "escalation_window_days": escalation_window_days,
    }
    errors = {
        name: message
        for name, (low, high, message) in TRIGGER_RANGES.items()
        if not isinstance(data[name], int) or not low <= data[name] <= high  # type: ignore[operator]
    }
    if errors:
        raise Invalid(errors)
    settings = db.get(TriggerSettings, area.id)
    current = (
        {name: getattr(settings, name) for name in TRIGGER_FIELDS}
        if settings
        else trigger_defaults()
    )
    changed = [name for name in TRIGGER_FIELDS if current[name] != data[name]]
    if settings is None:
        settings = TriggerSettings(area_id=area.id)
        db.add(settings)
    for name, value in data.items():
        setattr(settings, name, value)
    details = ", ".join(f"{name}={data[name]}" for name in changed) or "nothing"
    record(db, "trigger_settings_updated", "area", area.id, f"Changed {details}", user=actor)
    return settings
