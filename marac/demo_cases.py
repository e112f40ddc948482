"""Two years of fictional cases for the demo borough: incidents, assessments, referrals.

Everything runs through the real rules (`on_incident_recorded`, `on_assessment_endorsed`)
with the clock set to when each event happened, so repeats and escalations arise the
way they would in live use. Seeded randomness keeps the borough the same on every run.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.accounts.models import Agency, Area, User
from marac.assessments.instrument import CURRENT_VERSION, PERCEIVED_BY_KEY, get_instrument
from marac.assessments.models import AssessmentStatus, RiskAssessment, RiskMeasure
from marac.assessments.scoring import suggested_level
from marac.assessments.tasks import DIAGNOSTICS, JUDGEMENT, PLAN
from marac.audit import record
from marac.db import clock_at, utcnow
from marac.incidents.models import Incident, IncidentStrand, LocalStrand, Perpetrator
from marac.incidents.strands import DEFAULT_LOCAL_STRANDS, SUBCATEGORIES, local_code
from marac.people.models import Person
from marac.referrals.consent import SAFEGUARDING
from marac.referrals.models import Referral, ReferralIncident, ReferralSource, ReferralStatus
from marac.referrals.triggers import on_assessment_endorsed, on_incident_recorded

FIRST = [
    "Amina",
    "Tomasz",
    "Grace",
    "Yusuf",
    "Chloe",
    "Dariusz",
    "Leah",
    "Kwame",
    "Imran",
    "Sofia",
    "Rhys",
    "Aisha",
    "Mihai",
    "Bethan",
    "Hamza",
    "Nadia",
    "Owen",
    "Zara",
    "Femi",
    "Ruth",
    "Daniel",
    "Priya",
    "Callum",
    "Jasmin",
    "Elif",
    "Marek",
    "Hannah",
    "Tariq",
    "Niamh",
    "Samuel",
]
LAST = [
    "Okonkwo",
    "Nowak",
    "Bellamy",
    "Rahman",
    "Ferreira",
    "Kowalczyk",
    "Abbott",
    "Mensah",
    "Hussain",
    "Lindqvist",
    "Pryce",
    "Begum",
    "Popescu",
    "Gwynne",
    "Siddiqui",
    "Haddad",
    "Thorne",
    "Malik",
    "Adebayo",
    "Calloway",
    "Stern",
    "Varga",
    "Doyle",
    "Chaudhry",
]
# What automatic referrals' victims said at screening (consent is not sought for them).
VICTIM_VIEWS = [
    "Wants the abuse to stop; does not want the neighbour told who complained.",
    "Would like a move away from the street and help with the children's school run.",
    "Happy for agencies to talk to each other; prefers a woman officer to visit.",
    "Worried about reprisals; agreed to a doorbell camera.",
]
# Why the coordinator did not seek consent before sharing (the basis is the safeguarding one).
NOT_SOUGHT_REASONS = [
    "Asking would alert the perpetrator, who lives in the same block.",
    "The victim could not be reached safely before the panel; the risk could not wait.",
    "The police officer judged that contact now would put the victim at further risk.",
]
STREETS = [
    "Foundry Row",
    "Kestrel Way",
    "Millfield Court",
    "Copper Lane",
    "Wrenfield Road",
    "Riverside Walk",
    "Market Cross",
    "Tanner Street",
    "Heathside Close",
    "Orchard Rise",
]
# Police-recorded hate crime mix (HMICFRS 2018): strand -> weight.
STRAND_WEIGHTS = [
    ("race", 70),
    ("sexual_orientation", 11),
    ("religion", 8),
    ("disability", 7),
    ("transgender", 2),
    ("local", 2),
]
TYPES = [
    "verbal_abuse",
    "harassment",
    "threats",
    "physical_assault",
    "criminal_damage",
    "damage_to_home",
    "online_abuse",
    "arson",
]
TYPE_WEIGHTS = [34, 20, 14, 12, 8, 6, 5, 1]
SUMMARIES = {
    "verbal_abuse": "Shouted abuse at the victim about who they are in the street outside home.",
    "harassment": "Repeated knocking, notes through the door and filming the victim's house.",
    "threats": "Told the victim they would 'burn them out' if they did not leave the estate.",
    "physical_assault": "Pushed and punched the victim while using slurs; minor injuries.",
    "criminal_damage": "Car windows smashed and hateful words scratched into the paintwork.",
    "damage_to_home": "Eggs and stones thrown at the front windows; a window cracked.",
    "online_abuse": "Abusive messages and the victim's address shared in a local social group.",
    "arson": "Lit paper pushed through the letterbox at night; smoke damage to the hallway.",
}


def _pick_strand(rng: random.Random) -> str:
    return rng.choices([s for s, _ in STRAND_WEIGHTS], [w for _, w in STRAND_WEIGHTS])[0]


def _answers(rng: random.Random, target: str) -> dict[str, object]:
    """Answers to the current instrument that lead roughly to `target`."""
    instrument = get_instrument(CURRENT_VERSION)
    chance = {"low": 0.08, "medium": 0.3, "high": 0.45}[target]
    answers: dict[str, object] = {}
    for question in instrument.questions:
        values = [c.value for c in question.choices]
        yes = next((v for v in values if v == "yes"), values[-1])
        no = next((v for v in values if v == "no"), values[0])
        answers[question.id] = yes if rng.random() < chance else no
    for rule in instrument.critical_rules:
        for qid, _value in rule.conditions:
            if target != "high" and answers.get(qid) == "yes":
                answers[qid] = "no"
    if target == "high":
        answers["incident_threat_to_kill"] = "yes"
    ratings = {"low": "low", "medium": "medium", "high": "high"}
    for diagnostic in instrument.diagnostics:
        answers[diagnostic.rating_key] = (
            ratings[target] if rng.random() < 0.5 or target != "high" else "medium"
        )
        if target != "high" and answers[diagnostic.rating_key] == "high":
            answers[diagnostic.rating_key] = "medium"
    answers["perception"] = "yes"
    answers[PERCEIVED_BY_KEY] = ["victim"]
    return answers


def _move_referrals_on(db: Session, rng: random.Random, when: datetime, coordinator: User) -> int:
    """Screen, hear and close referrals as time passes, so later triggers see real history.

    Until the meetings capability lands, "heard" and "closed" stand in for the panel.
    Returns how many were declined.
    """
    declined = 0
    for referral in db.scalars(
        select(Referral).where(Referral.status.in_(["new", "accepted", "heard"]))
    ):
        waited = when - referral.created_at
        if referral.status == "new" and waited >= timedelta(days=10):
            referral.screened_by_id = coordinator.id
            # Its own dice, so the borough's shared ones (and so the borough) stay as they were.
            own = random.Random(referral.id)
            referral.screened_at = referral.created_at + timedelta(days=own.randint(1, 4))
            if not referral.victim_views:
                referral.victim_views = own.choice(VICTIM_VIEWS)
            if referral.consent != "given":
                referral.consent = "not_sought"
                referral.consent_reason = own.choice(NOT_SOUGHT_REASONS)
                referral.lawful_basis_code = SAFEGUARDING
                referral.lawful_basis = ""
            with clock_at(referral.screened_at):
                if rng.random() < 0.1:
                    declined += 1
                    referral.status = ReferralStatus.DECLINED.value
                    referral.screening_note = (
                        "Declined: Already heard at the domestic abuse MARAC. The incidents "
                        "are between partners and the case is managed there."
                    )
                    record(
                        db,
                        "referral_declined",
                        "referral",
                        referral.id,
                        f"Declined {referral.reference}: already at another MARAC",
                        user=coordinator,
                    )
                else:
                    referral.status = ReferralStatus.ACCEPTED.value
                    record(
                        db,
                        "referral_accepted",
                        "referral",
                        referral.id,
                        f"Accepted {referral.reference} for the panel",
                        user=coordinator,
                    )
        elif referral.status == "accepted" and waited >= timedelta(days=45):
            referral.status = ReferralStatus.HEARD.value
        elif referral.status == "heard" and waited >= timedelta(days=120):
            referral.status = ReferralStatus.CLOSED.value
    db.flush()
    return declined


def load_case_demo(db: Session) -> str:
    """Add the demo cases once; a second run leaves them alone."""
    if db.scalar(select(func.count(Incident.id))):
        return "Demo cases: already present."
    rng = random.Random(2026)
    now = utcnow()
    users = {u.email.split("@")[0]: u for u in db.scalars(select(User))}
    areas = list(db.scalars(select(Area).order_by(Area.id)))
    agencies = {a.id: a for a in db.scalars(select(Agency))}
    local = {}
    for area in areas:
        existing = {
            s.name: s for s in db.scalars(select(LocalStrand).where(LocalStrand.area_id == area.id))
        }
        for name in DEFAULT_LOCAL_STRANDS:
            if name not in existing:
                existing[name] = LocalStrand(area_id=area.id, name=name)
                db.add(existing[name])
        local[area.id] = list(existing.values())
    db.flush()
    assessors = [
        (users["police.referrer"], users["police.supervisor"]),
        (users["housing.officer"], users["housing.member"]),
    ]
    partner_referrers = [users["charity.referrer"], users["brookside.officer"], users["vs.member"]]
    coordinator = users["coordinator"]

    # People and when their incidents happened (repeat victims cluster in time).
    plan: list[tuple[Person, Area, datetime]] = []
    for n in range(70):
        area = areas[n % len(areas)]
        district = rng.choice(area.district_list)
        person = Person(
            date_of_birth=datetime(
                rng.randint(1950, 2006), rng.randint(1, 12), rng.randint(1, 28)
            ).date(),
            gender_identity=rng.choice(["Woman", "Man", "Non-binary", "Trans woman", ""]),
            address=f"{rng.randint(1, 120)} {rng.choice(STREETS)}, Ashbrook",
            phone=f"07700 900{rng.randint(100, 999)}",  # Ofcom's drama range: never real
            safe_contact_notes=rng.choice(
                ["Text first; do not leave voicemail.", "Call after 6pm.", ""]
            ),
            interpreter_language=rng.choice(["", "", "", "Polish", "Arabic", "Romanian"]),
            created_at=now,
        )
        person.set_identity(
            f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            f"{district} {rng.randint(1, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTUW')}",
        )
        db.add(person)
        count = rng.choices([1, 2, 3, 4, 5], [62, 20, 10, 5, 3])[0]
        start = now - timedelta(days=int(5 + 725 * rng.random() ** 1.6))
        for i in range(count):
            when = start + timedelta(days=i * rng.randint(10, 60), hours=rng.randint(8, 22))
            if when < now - timedelta(hours=2):
                plan.append((person, area, when))
    db.flush()
    plan.sort(key=lambda item: item[2])

    assessments = endorsed = partner = 0
    declined = 0
    for person, area, when in plan:
        declined += _move_referrals_on(db, rng, when, coordinator)
        assessor, supervisor = rng.choice(assessors)
        kind = rng.choices(TYPES, TYPE_WEIGHTS)[0]
        strand = _pick_strand(rng)
        incident = Incident(
            person_id=person.id,
            area_id=area.id,
            occurred_at=when,
            place=person.address if kind != "online_abuse" else "Online",
            postcode=person.postcode,
            incident_type=kind,
            online=kind == "online_abuse",
            recorded_as="crime" if kind != "online_abuse" or rng.random() < 0.5 else "non_crime",
            aggravated_offence=strand in {"race", "religion"} and rng.random() < 0.4,
            crime_reference=f"AK/{when:%y}/{rng.randint(10000, 99999)}",
            reported_via=rng.choice(["police", "police", "online", "third_party", "partner"]),
            perceived_by="victim",
            description=SUMMARIES[kind],
            agency_id=assessor.agency_id,
            created_by_id=assessor.id,
            created_at=when,
        )
        if strand == "local":
            incident.strands.append(IncidentStrand(code=local_code(rng.choice(local[area.id]).id)))
        else:
            incident.strands.append(IncidentStrand(code=strand))
            if rng.random() < 0.6:
                sub = rng.choice(SUBCATEGORIES[strand])[0]
                incident.strands.append(IncidentStrand(code=strand, subcategory=sub))
        incident.perpetrators.append(
            Perpetrator(
                known=rng.random() < 0.5,
                relationship_to_victim=rng.choice(["neighbour", "stranger", "group", "online"]),
                age_band=rng.choice(["18_24", "25_44", "45_64", "under_18", "unknown"]),
            )
        )
        db.add(incident)
        db.flush()
        with clock_at(when + timedelta(hours=2)):
            on_incident_recorded(db, incident, when + timedelta(hours=2))

        if rng.random() < 0.65:
            assessments += 1
            target = rng.choices(["low", "medium", "high"], [45, 35, 20])[0]
            answers = _answers(rng, target)
            instrument = get_instrument(CURRENT_VERSION)
            suggested = suggested_level(instrument, answers).level.value
            assessment = RiskAssessment(
                person_id=person.id,
                incident_id=incident.id,
                agency_id=assessor.agency_id,
                assessor_id=assessor.id,
                instrument_version=CURRENT_VERSION,
                answers=answers,
                completed_sections=[s.key for s in instrument.sections]
                + [DIAGNOSTICS, JUDGEMENT, PLAN],
                suggested_level=suggested,
                judgement_level=suggested,
                judgement_rationale="Level agreed with the victim's account and police records.",
                created_at=when + timedelta(days=1),
                updated_at=when + timedelta(days=1),
            )
            assessment.measures.append(
                RiskMeasure(
                    description="Fit a letterbox fire guard and door camera",
                    rara="reduce",
                    responsible="Ashbrook Council Housing",
                )
            )
            assessment.measures.append(
                RiskMeasure(
                    description="Agree a safe contact plan with the victim",
                    rara="avoid",
                    responsible=agencies[assessor.agency_id].name,
                )
            )
            age = now - when
            if age < timedelta(days=8):
                assessment.status = AssessmentStatus.DRAFT.value
                assessment.completed_sections = assessment.completed_sections[:3]
            elif age < timedelta(days=45) and rng.random() < 0.6:
                assessment.status = AssessmentStatus.SUBMITTED.value
                assessment.submitted_at = when + timedelta(days=1)
            else:
                endorsed += 1
                assessment.status = AssessmentStatus.ENDORSED.value
                assessment.submitted_at = when + timedelta(days=1)
                assessment.endorsed_by_id = supervisor.id
                assessment.endorsed_at = when + timedelta(days=2)
                assessment.final_level = suggested
            db.add(assessment)
            db.flush()
            if assessment.status == AssessmentStatus.ENDORSED.value:
                with clock_at(assessment.endorsed_at):
                    on_assessment_endorsed(db, assessment, assessment.endorsed_at)

        if rng.random() < 0.08:
            partner += 1
            referrer = rng.choice(partner_referrers)
            referral = Referral(
                person_id=person.id,
                area_id=area.id,
                source=ReferralSource.PARTNER.value,
                status=ReferralStatus.NEW.value,
                trigger_reasons=[f"Professional judgement of {agencies[referrer.agency_id].name}"],
                referrer_id=referrer.id,
                referring_agency_id=referrer.agency_id,
                reasons="Victim is isolated and frightened to leave the flat; incidents are "
                "getting worse and the family are thinking of giving up the tenancy.",
                victim_views="Wants the abuse to stop and to stay in their home.",
                consent="given",
                consent_reason="Agreed when the housing officer visited.",
                needs="Prefers contact by text message.",
                support_status="accepted",
                support_service="Victim Support Ashbrook",
                created_at=when + timedelta(days=1),
                updated_at=when + timedelta(days=1),
            )
            from marac.referrals.triggers import save_with_reference

            save_with_reference(db, referral, referral.created_at)
            db.add(ReferralIncident(referral_id=referral.id, incident_id=incident.id))
            with clock_at(referral.created_at):
                record(
                    db,
                    "referral_created",
                    "referral",
                    referral.id,
                    f"{referral.reference}: partner referral (victim) about 1 incident; "
                    f"area {area.name}",
                    user=referrer,
                )
            db.flush()

    declined += _move_referrals_on(db, rng, now, coordinator)
    referrals = db.scalar(select(func.count(Referral.id)))
    db.flush()
    return (
        f"Demo cases: {len(plan)} incidents, {assessments} assessments ({endorsed} "
        f"endorsed), {referrals} referrals ({partner} from partners, {declined} declined)."
    )
