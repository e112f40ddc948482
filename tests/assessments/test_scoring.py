"""Scoring and the judgement rules: every boundary, table-driven."""

from __future__ import annotations

from typing import Any

import pytest

from marac.assessments.instrument import V2026_1, Choice, Instrument, Question, Section
from marac.assessments.models import RiskLevel
from marac.assessments.scoring import (
    MIN_REASON_LENGTH,
    Thresholds,
    check_endorsement,
    check_judgement,
    suggested_level,
)

# A tiny instrument whose one question scores exactly the number chosen.
POINTS = Instrument(
    version="points",
    title="Points",
    sections=(
        Section(
            "s",
            "S",
            (
                Question(
                    "q", "How many points?", tuple(Choice(str(n), str(n), n) for n in range(30))
                ),
            ),
        ),
    ),
    diagnostics=V2026_1.diagnostics,
    critical_rules=V2026_1.critical_rules,
    perception=V2026_1.perception,
    perceived_by=V2026_1.perceived_by,
)
T = Thresholds(medium_from=6, high_from=12)


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (0, RiskLevel.LOW),
        (T.medium_from - 1, RiskLevel.LOW),
        (T.medium_from, RiskLevel.MEDIUM),
        (T.high_from - 1, RiskLevel.MEDIUM),
        (T.high_from, RiskLevel.HIGH),
        (T.high_from + 5, RiskLevel.HIGH),
    ],
)
def test_score_boundaries(score: int, level: RiskLevel) -> None:
    result = suggested_level(POINTS, {"q": str(score)}, T)
    assert (result.score, result.level) == (score, level)
    assert result.reasons == (f"Score {score}: medium from 6, high from 12",)


@pytest.mark.parametrize(
    ("thresholds", "score", "level"),
    [
        (Thresholds(3, 5), 2, RiskLevel.LOW),
        (Thresholds(3, 5), 3, RiskLevel.MEDIUM),
        (Thresholds(3, 5), 4, RiskLevel.MEDIUM),
        (Thresholds(3, 5), 5, RiskLevel.HIGH),
        (Thresholds(10, 20), 19, RiskLevel.MEDIUM),
        (Thresholds(10, 20), 20, RiskLevel.HIGH),
    ],
)
def test_thresholds_are_configurable(thresholds: Thresholds, score: int, level: RiskLevel) -> None:
    assert suggested_level(POINTS, {"q": str(score)}, thresholds).level == level


@pytest.mark.parametrize(("medium", "high"), [(0, 5), (5, 5), (6, 4)])
def test_thresholds_must_be_ordered(medium: int, high: int) -> None:
    with pytest.raises(ValueError):
        Thresholds(medium, high)


def test_defaults_are_documented_values() -> None:
    assert Thresholds() == Thresholds(medium_from=6, high_from=12)


NOTHING: dict[str, Any] = {}


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        ({"incident_weapon": "yes"}, "Critical answer: a weapon used or threatened"),
        ({"incident_threat_to_kill": "yes"}, "Critical answer: threats to kill"),
        ({"incident_injury": "yes"}, "Critical answer: injury needing treatment"),
        ({"incident_home_targeted": "yes"}, "Critical answer: the home targeted"),
        (
            {"perp_nearby": "yes", "impact_unsafe_home": "yes"},
            "Critical answer: perpetrator lives nearby or can reach the home, "
            "and the victim feels unsafe at home",
        ),
        ({"impact_self_harm": "yes"}, "Critical answer: thoughts of self-harm or suicide"),
    ],
)
def test_one_critical_answer_suggests_high(answers: dict[str, str], reason: str) -> None:
    result = suggested_level(V2026_1, answers)
    assert result.score < Thresholds().high_from
    assert result.level == RiskLevel.HIGH
    assert reason in result.reasons


@pytest.mark.parametrize(
    "answers",
    [
        {"perp_nearby": "yes"},
        {"impact_unsafe_home": "yes"},
        {"perp_nearby": "yes", "impact_unsafe_home": "not_known"},
        {"incident_weapon": "not_known", "incident_threat_to_kill": "no"},
    ],
)
def test_half_a_critical_combination_is_not_critical(answers: dict[str, str]) -> None:
    result = suggested_level(V2026_1, answers)
    assert result.level == RiskLevel.LOW
    assert not [r for r in result.reasons if r.startswith("Critical")]


@pytest.mark.parametrize(
    ("rating", "level"),
    [("low", RiskLevel.LOW), ("medium", RiskLevel.LOW), ("high", RiskLevel.HIGH)],
)
def test_a_diagnostic_rated_high_suggests_high(rating: str, level: RiskLevel) -> None:
    for diagnostic in V2026_1.diagnostics:
        result = suggested_level(V2026_1, {diagnostic.rating_key: rating})
        assert result.level == level
        if rating == "high":
            assert f"Diagnostic '{diagnostic.title.lower()}' rated high" in result.reasons


def test_current_harm_reason_wording() -> None:
    result = suggested_level(V2026_1, {"diag.current_harm": "high"})
    assert "Diagnostic 'current harm' rated high" in result.reasons


def test_no_answers_is_low_with_zero_score() -> None:
    result = suggested_level(V2026_1, NOTHING)
    assert (result.level, result.score) == (RiskLevel.LOW, 0)


def test_all_reasons_are_listed_together() -> None:
    answers = {"incident_weapon": "yes", "incident_injury": "yes", "diag.confidence": "high"}
    reasons = suggested_level(V2026_1, answers).reasons
    assert len(reasons) == 4  # the score line, two critical answers, one diagnostic


def test_unknown_answers_score_nothing() -> None:
    assert suggested_level(V2026_1, {"incident_group": "made-up", "zzz": "yes"}).score == 0


GOOD_REASON = "x" * MIN_REASON_LENGTH
SHORT_REASON = "x" * (MIN_REASON_LENGTH - 1)


@pytest.mark.parametrize(
    ("suggested", "judgement", "reason", "ok"),
    [
        ("low", "low", "", True),  # agrees
        ("medium", "medium", "", True),
        ("low", "medium", "", True),  # raise freely
        ("low", "high", "", True),
        ("medium", "high", None, True),
        ("medium", "low", "", False),  # downgrade without reason
        ("high", "medium", None, False),
        ("high", "low", "   ", False),
        ("high", "medium", SHORT_REASON, False),  # reason too short
        ("high", "medium", " " + SHORT_REASON + "  ", False),  # spaces do not count
        ("high", "medium", GOOD_REASON, True),  # downgrade with reason
        ("medium", "low", GOOD_REASON, True),
    ],
)
def test_check_judgement(suggested: str, judgement: str, reason: str | None, ok: bool) -> None:
    problem = check_judgement(suggested, judgement, reason)
    assert (problem is None) == ok
    if not ok:
        assert "lower than the suggested level" in problem


@pytest.mark.parametrize(
    ("proposed", "final", "reason", "ok"),
    [
        ("high", "high", "", True),  # endorse as proposed
        ("low", "low", None, True),
        ("medium", "high", "", False),  # any change needs a reason
        ("high", "medium", "", False),
        ("high", "low", SHORT_REASON, False),
        ("medium", "high", GOOD_REASON, True),
        ("high", "medium", GOOD_REASON, True),
    ],
)
def test_check_endorsement(proposed: str, final: str, reason: str | None, ok: bool) -> None:
    assert (check_endorsement(proposed, final, reason) is None) == ok
