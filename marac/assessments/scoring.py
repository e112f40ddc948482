"""Scoring: the suggested risk level from an assessment's answers, and the judgement rules.

The suggested level is advice to the assessor, not the decision: the assessor gives a
professional judgement and a supervisor endorses the final level. As with DASH practice,
judgement may raise the level freely but may not lower it below the suggestion without
a written reason.

How the suggestion is worked out:

1. Each answer adds the points its instrument gives it (usually only 'yes' scores).
   The total is compared with `Thresholds`: below `medium_from` is low, from
   `medium_from` is medium, from `high_from` is high. The defaults (medium from 6,
   high from 12) mean two or three serious answers make medium and four or five make
   high; the 2026.1 instrument scores at most 66.
2. Any critical answer (a weapon, threats to kill, injury needing treatment, the home
   targeted, ...) suggests high on its own.
3. Any diagnostic question rated high suggests high on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marac.assessments.instrument import Instrument
from marac.assessments.models import RiskLevel

MIN_REASON_LENGTH = 20


@dataclass(frozen=True)
class Thresholds:
    """Score from which the suggestion becomes medium, and from which it becomes high."""

    medium_from: int = 6
    high_from: int = 12

    def __post_init__(self) -> None:
        if not 0 < self.medium_from < self.high_from:
            raise ValueError("thresholds must satisfy 0 < medium_from < high_from")

    def level_for(self, score: int) -> RiskLevel:
        if score >= self.high_from:
            return RiskLevel.HIGH
        if score >= self.medium_from:
            return RiskLevel.MEDIUM
        return RiskLevel.LOW


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class ScoringResult:
    level: RiskLevel
    score: int
    reasons: tuple[str, ...]


def suggested_level(
    instrument: Instrument,
    answers: Mapping[str, Any],
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> ScoringResult:
    """The level the answers suggest, the score, and why (in words for the assessor)."""
    score = sum(q.points_for(answers.get(q.id)) for q in instrument.questions)
    level = thresholds.level_for(score)
    reasons = [
        f"Score {score}: medium from {thresholds.medium_from}, high from {thresholds.high_from}"
    ]
    for rule in instrument.critical_rules:
        if rule.applies(dict(answers)):
            level = RiskLevel.HIGH
            reasons.append(f"Critical answer: {rule.label}")
    for diagnostic in instrument.diagnostics:
        if answers.get(diagnostic.rating_key) == RiskLevel.HIGH.value:
            level = RiskLevel.HIGH
            reasons.append(f"Diagnostic '{diagnostic.title.lower()}' rated high")
    return ScoringResult(level=level, score=score, reasons=tuple(reasons))


def _reason_too_short(reason: str | None) -> bool:
    return len((reason or "").strip()) < MIN_REASON_LENGTH


def check_judgement(
    suggested: RiskLevel | str, judgement: RiskLevel | str, reason: str | None
) -> str | None:
    """An error message if the judgement lowers the suggested level without a reason."""
    suggested, judgement = RiskLevel(suggested), RiskLevel(judgement)
    if judgement.rank < suggested.rank and _reason_too_short(reason):
        return (
            f"Explain why your judgement is lower than the suggested level of "
            f"{suggested.label.lower()}, in at least {MIN_REASON_LENGTH} characters"
        )
    return None


def check_endorsement(
    proposed: RiskLevel | str, final: RiskLevel | str, reason: str | None
) -> str | None:
    """An error message if the supervisor changes the proposed level without a reason."""
    if RiskLevel(proposed) != RiskLevel(final) and _reason_too_short(reason):
        return (
            f"Explain why you are changing the level from {RiskLevel(proposed).label.lower()}, "
            f"in at least {MIN_REASON_LENGTH} characters"
        )
    return None
