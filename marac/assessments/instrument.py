"""The hate crime risk assessment instrument: versioned questions defined as data.

Our own question bank on the four-section structure the 2018 inspection describes (the
incident, the perpetrator(s), previous victimisation, impact), then four diagnostic
questions and the perception question. It is not the Nottinghamshire question set.

An assessment stores the version it was started on and is always rendered and scored
with that version, so a later version may add, drop or reword questions without
changing what an old assessment shows. Never edit a published version: add a new one
to `INSTRUMENTS` and point `CURRENT_VERSION` at it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# ---- building blocks -------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """One possible answer and the points it adds to the score."""

    value: str
    label: str
    points: int = 0


@dataclass(frozen=True)
class Question:
    """A question put to the victim. `points` of the chosen answer add to the score."""

    id: str
    text: str
    choices: tuple[Choice, ...]
    hint: str = ""
    # How the answer reads in a summary when the question text is too long (optional).
    short: str = ""

    def choice(self, value: str | None) -> Choice | None:
        return next((c for c in self.choices if c.value == value), None)

    def points_for(self, value: str | None) -> int:
        chosen = self.choice(value)
        return chosen.points if chosen else 0

    def label_for(self, value: str | None) -> str:
        chosen = self.choice(value)
        return chosen.label if chosen else ""


@dataclass(frozen=True)
class Section:
    """A group of questions the assessor completes on one page."""

    key: str
    title: str
    questions: tuple[Question, ...]
    intro: str = ""


@dataclass(frozen=True)
class CriticalRule:
    """Answers that suggest high risk on their own, whatever the score.

    All `conditions` (question id, answer value) must hold; most rules have one.
    """

    label: str
    conditions: tuple[tuple[str, str], ...]

    def applies(self, answers: dict[str, object]) -> bool:
        return all(answers.get(qid) == value for qid, value in self.conditions)


@dataclass(frozen=True)
class Diagnostic:
    """A question the assessor answers from everything they know, rated low/medium/high."""

    id: str
    title: str
    hint: str

    @property
    def rating_key(self) -> str:
        return f"diag.{self.id}"

    @property
    def note_key(self) -> str:
        return f"diag.{self.id}.note"


RATINGS: tuple[Choice, ...] = (
    Choice("low", "Low"),
    Choice("medium", "Medium"),
    Choice("high", "High"),
)

# Keys in `RiskAssessment.answers` for the perception page.
PERCEPTION_KEY = "perception"
PERCEIVED_BY_KEY = "perceived_by"


@dataclass(frozen=True)
class Instrument:
    """One published version of the assessment."""

    version: str
    title: str
    sections: tuple[Section, ...]
    diagnostics: tuple[Diagnostic, ...]
    critical_rules: tuple[CriticalRule, ...]
    perception: Question
    perceived_by: tuple[Choice, ...]
    basis: str = ""  # where the structure comes from, shown to assessors
    _by_id: dict[str, Question] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id.update({q.id: q for q in self.questions})

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for s in self.sections for q in s.questions)

    def question(self, question_id: str) -> Question:
        return self._by_id[question_id]

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)

    def perceived_by_label(self, value: str) -> str:
        return next((c.label for c in self.perceived_by if c.value == value), value)


def yes_no(points: int) -> tuple[Choice, ...]:
    """The usual answers: 'yes' adds `points`; 'no' and 'not known' add nothing."""
    return (Choice("yes", "Yes", points), Choice("no", "No"), Choice("not_known", "Not known"))


def _q(qid: str, text: str, points: int, hint: str = "", short: str = "") -> Question:
    return Question(qid, text, yes_no(points), hint, short)


# ---- version 2026.1 --------------------------------------------------------------------

_INCIDENT = Section(
    "incident",
    "The incident",
    (
        _q(
            "incident_weapon",
            "Did the person use a weapon, or threaten to use one?",
            4,
            "Count anything used to hurt or frighten, such as a knife, a bottle, a dog or a car.",
        ),
        _q(
            "incident_injury",
            "Were you hurt badly enough to need treatment from a doctor, nurse or paramedic?",
            4,
        ),
        _q(
            "incident_threat_to_kill",
            "Did anyone threaten to kill you or someone close to you?",
            4,
        ),
        _q(
            "incident_home_targeted",
            "Was your home attacked, for example set on fire, damaged, or had something "
            "pushed through the letterbox?",
            4,
        ),
        _q("incident_group", "Was more than one person involved in targeting you?", 2),
        _q(
            "incident_others_present",
            "Were children, or anyone who depends on you, with you when it happened?",
            2,
        ),
        _q(
            "incident_identity_abuse",
            "Did the person use words, gestures or symbols about who you are or what you believe?",
            1,
            "For example about your race, religion, sexuality, disability or gender identity.",
        ),
    ),
    intro="Ask about the incident being reported today.",
)

_PERPETRATOR = Section(
    "perpetrator",
    "The perpetrator(s)",
    (
        _q("perp_known", "Do you know who did this, or would you recognise them again?", 1),
        _q(
            "perp_nearby",
            "Does the person live near you, or can they get to your home easily?",
            3,
            "For example a neighbour, someone in the same block or someone with a key.",
        ),
        _q(
            "perp_violent_before",
            "As far as you know, has the person been violent before, to you or to others?",
            3,
        ),
        _q("perp_will_return", "Has the person said they will come back or do it again?", 3),
        _q(
            "perp_contact_since",
            "Since the incident, has the person contacted you, followed you or turned up "
            "where you are?",
            2,
        ),
        _q(
            "perp_encouraged_others",
            "Has the person got others, such as friends, family or people online, to target "
            "you too?",
            2,
        ),
        _q(
            "perp_ignored_warnings",
            "Has the person ignored a warning, bail condition, injunction or tenancy warning?",
            2,
        ),
    ),
    intro="Ask about whoever did this. If nobody is known, answer 'Not known'.",
)

_PREVIOUS = Section(
    "previous",
    "Previous victimisation",
    (
        Question(
            "prev_frequency",
            "Before this incident, how often had something like this happened to you?",
            (
                Choice("never", "Never: this is the first time"),
                Choice("once_or_twice", "Once or twice", 2),
                Choice("several", "Several times", 3),
                Choice("regularly", "It happens regularly", 4),
                Choice("not_known", "Not known"),
            ),
        ),
        _q("prev_same_perpetrator", "Was it the same person or group before?", 2),
        _q(
            "prev_unreported",
            "Are there earlier incidents you have not told the police or anyone else about?",
            1,
        ),
        _q("prev_worsening", "Are the incidents getting worse or happening more often?", 3),
        _q(
            "prev_household",
            "Has anyone else in your household or family been targeted because of who they are?",
            2,
        ),
        _q("prev_moved_home", "Have you ever had to move home because of incidents like this?", 2),
    ),
    intro="Ask about anything that happened before today, reported or not.",
)

_IMPACT = Section(
    "impact",
    "Impact",
    (
        _q("impact_unsafe_home", "Do you feel unsafe in your own home?", 3),
        _q("impact_afraid", "Are you frightened of what the person might do next?", 2),
        _q(
            "impact_routine",
            "Have you changed how you live, for example staying in, or avoiding work, school "
            "or your place of worship?",
            1,
        ),
        _q("impact_health", "Has this affected your physical or mental health?", 2),
        _q(
            "impact_self_harm",
            "Have you thought about harming yourself or ending your life because of what is "
            "happening?",
            4,
            "If yes, follow your agency's safeguarding procedure straight away.",
        ),
        _q(
            "impact_no_support",
            "Are you without family, friends or a group you can turn to for support?",
            1,
        ),
        _q(
            "impact_vulnerable",
            "Do you have a disability, illness or other circumstance that makes it harder to "
            "keep yourself safe or get help?",
            2,
        ),
    ),
    intro="Ask how the incident has affected the victim and those close to them.",
)

_DIAGNOSTICS = (
    Diagnostic(
        "current_harm",
        "Current harm",
        "How serious is the harm the victim is suffering now, physical or emotional?",
    ),
    Diagnostic(
        "repeat_victimisation",
        "Risk of harm through repeat victimisation",
        "How likely is it that the victim will be targeted again and harmed?",
    ),
    Diagnostic(
        "community_tension",
        "Community cohesion and tension",
        "How likely is this incident to raise tension or divide the local community?",
    ),
    Diagnostic(
        "confidence",
        "Confidence in the police and partners",
        "How much is the victim's or the community's trust in the police and partner "
        "agencies at risk?",
    ),
)

_CRITICAL = (
    CriticalRule("a weapon used or threatened", (("incident_weapon", "yes"),)),
    CriticalRule("injury needing treatment", (("incident_injury", "yes"),)),
    CriticalRule("threats to kill", (("incident_threat_to_kill", "yes"),)),
    CriticalRule("the home targeted", (("incident_home_targeted", "yes"),)),
    CriticalRule(
        "perpetrator lives nearby or can reach the home, and the victim feels unsafe at home",
        (("perp_nearby", "yes"), ("impact_unsafe_home", "yes")),
    ),
    CriticalRule("thoughts of self-harm or suicide", (("impact_self_harm", "yes"),)),
)

_PERCEPTION = Question(
    PERCEPTION_KEY,
    "Do you feel you are being targeted because of who you are or what you believe?",
    (Choice("yes", "Yes"), Choice("no", "No"), Choice("not_sure", "Not sure")),
    hint="Ask the victim in these words. They do not need to give evidence for what they feel.",
)

_PERCEIVED_BY = (
    Choice("victim", "The victim"),
    Choice("witness", "A witness"),
    Choice("officer", "A police officer or member of staff"),
    Choice("other", "Someone else"),
)

V2026_1 = Instrument(
    version="2026.1",
    title="Hate crime risk assessment",
    sections=(_INCIDENT, _PERPETRATOR, _PREVIOUS, _IMPACT),
    diagnostics=_DIAGNOSTICS,
    critical_rules=_CRITICAL,
    perception=_PERCEPTION,
    perceived_by=_PERCEIVED_BY,
    basis=(
        "The council's own questions, on the four-section structure of the hate crime risk "
        "assessment described by HMICFRS in 2018 (27 questions, four diagnostic questions, "
        "then professional judgement and a supervisor's endorsement)."
    ),
)

INSTRUMENTS: dict[str, Instrument] = {V2026_1.version: V2026_1}
CURRENT_VERSION = V2026_1.version


def get_instrument(version: str) -> Instrument:
    """The instrument an assessment was completed on (KeyError if unknown)."""
    return INSTRUMENTS[version]
