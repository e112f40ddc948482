"""What a subject access pack holds for one person, and the ZIP it is written to.

`gather` reads every record about the person (incidents, assessments with their answers,
referrals, agenda listings with decisions, actions, attachments, their cases in issued
minutes and extracts, who viewed their records, and the data controllers present at each
meeting that discussed them) into plain JSON-ready values. Third parties (perpetrators,
other victims, staff) are wrapped as `{"name": ..., "third_party": role}` and listed in
`third_parties`, so the reviewer knows what to redact before release. No Flask here: the
job calls it with a session.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from marac.accounts.models import Agency, User
from marac.actions.models import Action, ActionUpdate
from marac.assessments.instrument import RATINGS, get_instrument
from marac.assessments.models import RiskAssessment
from marac.attachments.models import Attachment, AttachmentStatus
from marac.audit.models import AuditEvent
from marac.config import PROJECT_ROOT
from marac.formatting import format_date
from marac.incidents.models import Incident, Perpetrator
from marac.incidents.titles import incident_title
from marac.meetings.models import (
    AgencyAttendance,
    AgendaItem,
    AttendanceStatus,
    CaseInformation,
    ItemStatus,
)
from marac.minutes.content import extract_for, gather_minutes
from marac.minutes.models import DocumentKind, IssuedDocument, Minutes
from marac.minutes.render import FONT_FILES, MARKING, html_to_pdf
from marac.panels.models import Meeting, MeetingStatus
from marac.people.models import Person
from marac.referrals.models import Referral
from marac.storage.objects import Store, get

STAFF = "staff"
PERPETRATOR = "perpetrator"
OTHER_VICTIM = "other victim"
OTHER_PERSON = "other person"


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass
class Gathered:
    """The pack's content, and the attachments whose bytes go in the ZIP beside it."""

    content: dict[str, Any]
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def record_count(self) -> int:
        keys = ("incidents", "assessments", "referrals", "agenda_listings", "actions")
        return sum(len(self.content[k]) for k in keys) + len(self.attachments)


class _ThirdParties:
    """Collects each third party once, with where they appear."""

    def __init__(self) -> None:
        self.found: dict[tuple[str, str], set[str]] = {}

    def mark(self, name: str | None, role: str, where: str) -> dict[str, str] | None:
        name = (name or "").strip()
        if not name:
            return None
        self.found.setdefault((name, role), set()).add(where)
        return {"name": name, "third_party": role}

    def listing(self) -> list[dict[str, Any]]:
        return [
            {"name": name, "role": role, "appears_in": sorted(where)}
            for (name, role), where in sorted(self.found.items())
        ]


def readable_answers(version: str, answers: dict[str, Any]) -> list[dict[str, str]]:
    """Each answer with its question's words, as the assessor saw them on that version."""
    try:
        instrument = get_instrument(version)
    except KeyError:
        return []
    rows: list[dict[str, str]] = []
    for question in (*instrument.questions, instrument.perception):
        if question.id in answers:
            value = answers[question.id]
            rows.append(
                {"question": question.text, "answer": question.label_for(value) or str(value)}
            )
    ratings = {c.value: c.label for c in RATINGS}
    for diagnostic in instrument.diagnostics:
        if diagnostic.rating_key in answers:
            value = answers[diagnostic.rating_key]
            rows.append({"question": diagnostic.title, "answer": ratings.get(value, str(value))})
        if answers.get(diagnostic.note_key):
            rows.append(
                {
                    "question": f"{diagnostic.title}: note",
                    "answer": str(answers[diagnostic.note_key]),
                }
            )
    return rows


def object_targets(
    person_id: int,
    incident_ids: Iterable[int],
    assessment_ids: Iterable[int],
    referral_ids: Iterable[int],
    action_ids: Iterable[int] = (),
    attachment_ids: Iterable[int] = (),
) -> Any:
    """The audit rows about these records: (object_type, object_id) pairs on the index."""
    groups = {
        "person": [person_id],
        "incident": list(incident_ids),
        "risk_assessment": list(assessment_ids),
        "referral": list(referral_ids),
        "action": list(action_ids),
        "attachment": list(attachment_ids),
    }
    return or_(
        *(
            and_(AuditEvent.object_type == kind, AuditEvent.object_id.in_([str(i) for i in ids]))
            for kind, ids in groups.items()
            if ids
        )
    )


def gather(db: Session, person_id: int) -> Gathered:
    """Everything the service holds about the person, and nothing about anyone else."""
    person = db.get(Person, person_id)
    if person is None:
        raise LookupError("the person is gone")
    tp = _ThirdParties()
    users = {u.id: u for u in db.scalars(select(User))}
    agencies = {a.id: a for a in db.scalars(select(Agency))}

    def staff(user_id: int | None, where: str) -> dict[str, str] | None:
        user = users.get(user_id) if user_id else None
        if user is None:
            return None
        marked = tp.mark(user.name, STAFF, where)
        assert marked is not None
        return {**marked, "agency": agencies[user.agency_id].name}

    def agency_name(agency_id: int | None) -> str:
        return agencies[agency_id].name if agency_id in agencies else ""

    incidents = list(
        db.scalars(
            select(Incident).where(Incident.person_id == person_id).order_by(Incident.occurred_at)
        )
    )
    incident_ids = [i.id for i in incidents]
    as_perpetrator = list(
        db.scalars(
            select(Incident)
            .join(Perpetrator, Perpetrator.incident_id == Incident.id)
            .where(Perpetrator.person_id == person_id, Incident.person_id != person_id)
            .order_by(Incident.occurred_at)
        ).unique()
    )
    victims = {
        p.id: p
        for p in db.scalars(
            select(Person).where(Person.id.in_({i.person_id for i in as_perpetrator}))
        )
    }

    def incident_entry(incident: Incident, where: str) -> dict[str, Any]:
        return {
            "id": incident.id,
            "title": incident_title(incident),
            "occurred_at": _iso(incident.occurred_at),
            "place": incident.place,
            "postcode": incident.postcode,
            "type": incident.incident_type,
            "online": incident.online,
            "recorded_as": incident.recorded_as,
            "aggravated_offence": incident.aggravated_offence,
            "crime_reference": incident.crime_reference,
            "reported_via": incident.reported_via,
            "perceived_by": incident.perceived_by,
            "description": incident.description,
            "strands": [
                s.code + (f" ({s.subcategory})" if s.subcategory else "") for s in incident.strands
            ],
            "perpetrators": [
                {
                    "name": None
                    if p.person_id == person_id
                    else tp.mark(p.name, PERPETRATOR, where),
                    "is_this_person": p.person_id == person_id,
                    "known": p.known,
                    "relationship_to_victim": p.relationship_to_victim,
                    "age_band": p.age_band,
                    "description": p.description,
                }
                for p in incident.perpetrators
            ],
            "recording_agency": agency_name(incident.agency_id),
            "recorded_by": staff(incident.created_by_id, where),
            "recorded_at": _iso(incident.created_at),
        }

    incident_entries = [incident_entry(i, incident_title(i)) for i in incidents]
    perpetrator_entries = []
    for incident in as_perpetrator:
        where = f"{incident_title(incident)} (named as perpetrator)"
        entry = incident_entry(incident, where)
        victim = victims.get(incident.person_id)
        entry["victim"] = tp.mark(victim.full_name if victim else "", OTHER_VICTIM, where)
        perpetrator_entries.append(entry)

    assessments = list(
        db.scalars(
            select(RiskAssessment)
            .where(
                or_(
                    RiskAssessment.person_id == person_id,
                    RiskAssessment.incident_id.in_(incident_ids or [-1]),
                )
            )
            .order_by(RiskAssessment.id)
        )
    )
    assessment_entries = [
        {
            "id": a.id,
            "incident_id": a.incident_id,
            "instrument_version": a.instrument_version,
            "status": a.status,
            "answers": a.answers,
            "answers_readable": readable_answers(a.instrument_version, a.answers or {}),
            "suggested_level": a.suggested_level,
            "judgement_level": a.judgement_level,
            "judgement_rationale": a.judgement_rationale,
            "below_suggested_reason": a.below_suggested_reason,
            "final_level": a.final_level,
            "endorsement_reason": a.endorsement_reason,
            "agency": agency_name(a.agency_id),
            "assessor": staff(a.assessor_id, f"Assessment {a.id}"),
            "endorsed_by": staff(a.endorsed_by_id, f"Assessment {a.id}")
            or tp.mark(a.external_endorser_name, STAFF, f"Assessment {a.id}"),
            "submitted_at": _iso(a.submitted_at),
            "endorsed_at": _iso(a.endorsed_at),
            "risk_management_plan": [
                {"measure": m.description, "rara": m.rara, "responsible": m.responsible}
                for m in a.measures
            ],
        }
        for a in assessments
    ]

    referrals = list(
        db.scalars(
            select(Referral).where(Referral.person_id == person_id).order_by(Referral.created_at)
        )
    )
    referral_ids = [r.id for r in referrals]
    references = {r.id: r.reference for r in referrals}
    referral_entries = [
        {
            "reference": r.reference,
            "subject_type": r.subject_type,
            "source": r.source,
            "status": r.status,
            "risk_level": r.risk_level,
            "is_repeat": r.is_repeat,
            "trigger_reasons": r.trigger_reasons,
            "reasons": r.reasons,
            "victim_views": r.victim_views,
            "consent": r.consent,
            "lawful_basis": r.lawful_basis,
            "needs": r.needs,
            "support_status": r.support_status,
            "support_service": r.support_service,
            "referring_agency": agency_name(r.referring_agency_id),
            "referrer": staff(r.referrer_id, r.reference),
            "referred_at": _iso(r.created_at),
            "screened_at": _iso(r.screened_at),
            "screening_note": r.screening_note,
            "closed_at": _iso(r.closed_at),
            "closure_reason": r.closure_reason,
            "outcome": r.outcome,
            "victim_view_of_outcome": r.victim_view_of_outcome,
        }
        for r in referrals
    ]

    items = list(
        db.scalars(
            select(AgendaItem)
            .where(AgendaItem.referral_id.in_(referral_ids or [-1]))
            .order_by(AgendaItem.id)
        )
    )
    meetings = {
        m.id: m
        for m in db.scalars(select(Meeting).where(Meeting.id.in_({i.meeting_id for i in items})))
    }
    infos: dict[int, list[CaseInformation]] = {}
    for info in db.scalars(
        select(CaseInformation).where(CaseInformation.agenda_item_id.in_([i.id for i in items]))
    ):
        infos.setdefault(info.agenda_item_id, []).append(info)
    listing_entries = [
        {
            "reference": references[i.referral_id],
            "panel": meetings[i.meeting_id].panel.name,
            "meeting_date": _iso(meetings[i.meeting_id].meeting_date),
            "kind": i.kind,
            "status": i.status,
            "status_reason": i.status_reason,
            "risk_level_before": i.risk_level_before,
            "risks_identified": i.risks_identified,
            "risk_level_after": i.risk_level_after,
            "decision": i.decision,
            "discussed_at": _iso(i.discussed_at),
            "agency_information": [
                {"agency": agency_name(info.agency_id), "information": info.information}
                for info in infos.get(i.id, [])
            ],
        }
        for i in items
    ]

    actions = list(
        db.scalars(
            select(Action).where(Action.referral_id.in_(referral_ids or [-1])).order_by(Action.id)
        )
    )
    updates: dict[int, list[ActionUpdate]] = {}
    for update in db.scalars(
        select(ActionUpdate)
        .where(ActionUpdate.action_id.in_([a.id for a in actions]))
        .order_by(ActionUpdate.id)
    ):
        updates.setdefault(update.action_id, []).append(update)
    action_entries = [
        {
            "id": a.id,
            "reference": references[a.referral_id],
            "description": a.description,
            "kind": a.kind,
            "rara": a.rara,
            "agency": agency_name(a.agency_id),
            "officer": staff(a.officer_id, f"Action {a.id}"),
            "due_date": _iso(a.due_date),
            "status": a.status,
            "completed_at": _iso(a.completed_at),
            "progress": [
                {
                    "at": _iso(u.created_at),
                    "by": staff(u.user_id, f"Action {a.id}"),
                    "from": u.status_from,
                    "to": u.status_to,
                    "note": u.note,
                }
                for u in updates.get(a.id, [])
            ],
        }
        for a in actions
    ]
    action_ids = [a.id for a in actions]

    attachments = list(
        db.scalars(
            select(Attachment)
            .where(
                or_(
                    Attachment.incident_id.in_(incident_ids or [-1]),
                    Attachment.referral_id.in_(referral_ids or [-1]),
                    Attachment.action_id.in_(action_ids or [-1]),
                )
            )
            .order_by(Attachment.id)
        )
    )
    included = [
        a for a in attachments if a.status == AttachmentStatus.CLEAN.value and a.storage_key
    ]
    attachment_entries = [
        {
            "id": a.id,
            "filename": a.filename,
            "description": a.description,
            "type": a.mime,
            "size": a.size,
            "sha256": a.sha256,
            "status": a.status,
            "uploaded_by": staff(a.uploaded_by_id, f"Attachment {a.filename}"),
            "uploaded_at": _iso(a.uploaded_at),
            "file_in_pack": attachment_path(a) if a in included else None,
        }
        for a in attachments
    ]

    minutes_entries = _minutes_parts(db, meetings, set(referral_ids), tp)

    discussed = {i.meeting_id for i in items if i.status == ItemStatus.LISTED.value}
    held = [
        m for m in meetings.values() if m.id in discussed and m.status == MeetingStatus.HELD.value
    ]
    present: dict[int, list[int]] = {}
    for row in db.scalars(
        select(AgencyAttendance).where(
            AgencyAttendance.meeting_id.in_([m.id for m in held]),
            AgencyAttendance.status == AttendanceStatus.PRESENT.value,
        )
    ):
        present.setdefault(row.meeting_id, []).append(row.agency_id)
    controller_entries = [
        {
            "panel": m.panel.name,
            "meeting_date": _iso(m.meeting_date),
            "data_controllers": [
                {
                    "organisation": agencies[a].name,
                    "ico_registration": agencies[a].ico_registration or "Not recorded",
                }
                for a in sorted(present.get(m.id, []), key=lambda a: agencies[a].name)
            ],
        }
        for m in sorted(held, key=lambda m: m.meeting_date)
    ]

    views = db.scalars(
        select(AuditEvent)
        .where(
            object_targets(
                person_id,
                incident_ids,
                [a.id for a in assessments],
                referral_ids,
                action_ids,
                [a.id for a in attachments],
            )
        )
        .order_by(AuditEvent.id)
    )
    view_entries = [
        {
            "at": _iso(e.at),
            "who": staff(e.user_id, "Access log") or {"name": e.user_label},
            "what": e.action,
            "record": f"{e.object_type} {e.object_id}",
            "address": e.ip_address,
        }
        for e in views
    ]

    content = {
        "about": "Subject access pack: every record the Community MARAC service holds about "
        "this person. Third parties are marked; redact them before release.",
        "produced_at": None,  # filled in by the job
        "person": {
            "id": person.id,
            "full_name": person.full_name,
            "date_of_birth": _iso(person.date_of_birth),
            "gender_identity": person.gender_identity,
            "address": person.address,
            "postcode": person.postcode,
            "phone": person.phone,
            "safe_contact_notes": person.safe_contact_notes,
            "communication_needs": person.communication_needs,
            "interpreter_language": person.interpreter_language,
            "disability_adjustments": person.disability_adjustments,
            "recorded_at": _iso(person.created_at),
        },
        "incidents": incident_entries,
        "incidents_as_perpetrator": perpetrator_entries,
        "assessments": assessment_entries,
        "referrals": referral_entries,
        "agenda_listings": listing_entries,
        "actions": action_entries,
        "attachments": attachment_entries,
        "minutes": minutes_entries,
        "data_controllers_by_meeting": controller_entries,
        "access_log": view_entries,
    }
    content["third_parties"] = tp.listing()
    return Gathered(content, included)


def _minutes_parts(
    db: Session, meetings: dict[int, Meeting], referral_ids: set[int], tp: _ThirdParties
) -> list[dict[str, Any]]:
    """The person's cases in each issued version's minutes, and the extracts they were in."""
    issued = [
        m
        for m in db.scalars(
            select(Minutes).where(
                Minutes.meeting_id.in_(list(meetings)), Minutes.current_version > 0
            )
        )
    ]
    parts = []
    for minutes in sorted(issued, key=lambda m: meetings[m.meeting_id].meeting_date):
        meeting = meetings[minutes.meeting_id]
        content = gather_minutes(db, meeting, withhold_restricted=False)  # their own record
        extract_agencies = db.scalars(
            select(IssuedDocument.agency_id).where(
                IssuedDocument.meeting_id == meeting.id,
                IssuedDocument.kind == DocumentKind.EXTRACT.value,
                IssuedDocument.version_number == minutes.current_version,
            )
        ).all()
        for case in content.cases:
            if case.referral_id not in referral_ids:
                continue
            where = f"Minutes of {meeting.panel.name} {meeting.meeting_date.isoformat()}"
            extracts = []
            for agency_id in extract_agencies:
                if agency_id is None:
                    continue
                cases, _review = extract_for(content, agency_id)
                for extract in cases:
                    if extract.reference == case.reference:
                        extracts.append(
                            {
                                "agency": content.agency_names.get(agency_id, ""),
                                "decision": extract.decision,
                                "risk_after": extract.risk_after,
                                "actions": [a.description for a in extract.actions],
                            }
                        )
            parts.append(
                {
                    "panel": meeting.panel.name,
                    "meeting_date": _iso(meeting.meeting_date),
                    "version": minutes.current_version,
                    "issued_at": _iso(minutes.issued_at),
                    "chair": tp.mark(content.chair, STAFF, where),
                    "reference": case.reference,
                    "risk_before": case.risk_before,
                    "risk_after": case.risk_after,
                    "flags": case.flags,
                    "information": [
                        {"agency": i.agency, "information": i.information} for i in case.information
                    ],
                    "risks": case.risks,
                    "decision": case.decision,
                    "actions": [
                        {
                            "description": a.description,
                            "agency": a.agency,
                            "officer": tp.mark(a.officer, STAFF, where),
                            "due_date": _iso(a.due_date),
                            "status": a.status,
                        }
                        for a in case.actions
                    ],
                    "extracts": extracts,
                }
            )
    return parts


def attachment_path(attachment: Attachment) -> str:
    return f"attachments/{attachment.id}-{attachment.filename}"


# --- The PDF and the ZIP ------------------------------------------------------------------


def _tp(value: Any) -> Markup:
    """A third party's name, bracketed and highlighted for the reviewer to redact."""
    if isinstance(value, dict) and value.get("third_party"):
        return Markup('<span class="third-party">[[{}]]</span>').format(value["name"])
    if isinstance(value, dict):
        return escape(value.get("name", ""))
    return escape(value or "")


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(PROJECT_ROOT / "templates" / "governance"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tp"] = _tp
    env.filters["day"] = lambda v: format_date(date.fromisoformat(v[:10])) if v else "Not recorded"
    env.filters["when"] = lambda v: v.replace("T", " ")[:16] if v else "Not recorded"
    env.globals.update(
        marking=MARKING,
        font_regular=FONT_FILES["regular"].as_uri(),
        font_bold=FONT_FILES["bold"].as_uri(),
    )
    return env


def render_pdf(content: dict[str, Any]) -> bytes:
    html = _environment().get_template("pack_pdf.html").render(p=content)
    return html_to_pdf(html).pdf


def build_zip(gathered: Gathered, pdf: bytes, store: Store) -> bytes:
    """pack.json, pack.pdf and every attachment's own bytes (checked against their hash)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "pack.json", json.dumps(gathered.content, indent=2, ensure_ascii=False, sort_keys=True)
        )
        archive.writestr("pack.pdf", pdf)
        for attachment in gathered.attachments:
            data = get(store, attachment.storage_key, attachment.sha256)
            archive.writestr(attachment_path(attachment), data)
    return buffer.getvalue()
