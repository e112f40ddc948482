"""The pure trigger rules: every boundary, table-driven, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from marac.referrals.models import ReferralSource
from marac.referrals.triggers import (
    EarlierReferral,
    TriggerRules,
    evaluate,
    higher_level,
    window_text,
)

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
DEFAULTS = TriggerRules()


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def earlier(days: float, ref: str = "CM-2025-0007", id: int = 7) -> EarlierReferral:
    return EarlierReferral(id=id, reference=ref, created_at=ago(days))


@pytest.mark.parametrize(
    ("level", "enabled", "fires"),
    [
        ("high", True, True),
        ("medium", True, False),
        ("low", True, False),
        (None, True, False),
        ("high", False, False),  # the area switched the rule off
    ],
)
def test_high_risk(level: str | None, enabled: bool, fires: bool) -> None:
    rules = TriggerRules(high_risk_enabled=enabled)
    fired = evaluate(rules, NOW, endorsed_level=level)
    assert [f.source for f in fired] == ([ReferralSource.AUTOMATIC_HIGH_RISK] if fires else [])
    if fires:
        assert fired[0].reason == "Endorsed risk level is high"


@pytest.mark.parametrize(
    ("days_ago", "window", "fires"),
    [
        (0, 365, True),
        (364, 365, True),
        (365, 365, True),  # exactly 12 months earlier counts
        (365 + 1 / 24 / 3600, 365, False),  # one second more does not
        (366, 365, False),
        (29, 30, True),
        (30, 30, True),
        (31, 30, False),
    ],
)
def test_repeat_window(days_ago: float, window: int, fires: bool) -> None:
    rules = TriggerRules(repeat_window_days=window)
    fired = evaluate(rules, NOW, earlier_referrals=[earlier(days_ago)])
    assert [f.source for f in fired] == ([ReferralSource.AUTOMATIC_REPEAT] if fires else [])


def test_repeat_reason_names_the_most_recent_previous_referral() -> None:
    fired = evaluate(
        DEFAULTS,
        NOW,
        earlier_referrals=[earlier(200, "CM-2025-0001", 1), earlier(17, "CM-2026-0007", 9)],
    )
    assert [f.reason for f in fired] == [
        "Repeat: previous MARAC referral CM-2026-0007 on 3 March 2026, within 12 months"
    ]


@pytest.mark.parametrize(
    ("incident_days_ago", "threshold", "window", "fires"),
    [
        ([1, 2], 3, 365, False),  # two incidents are not enough
        ([1, 2, 3], 3, 365, True),  # exactly three fire
        ([0, 100, 365], 3, 365, True),  # the oldest exactly 12 months ago counts
        ([0, 100, 366], 3, 365, False),  # 366 days ago does not
        ([0, 100, 365.5], 3, 365, False),
        ([1, 2, 3, 4], 3, 365, True),
        ([1, 2, 3], 4, 365, False),  # the area raised the threshold
        ([1, 2, 3, 4], 4, 365, True),
        ([1, 2, 40], 3, 30, False),  # the area shortened the window
        ([1, 2, 30], 3, 30, True),
    ],
)
def test_escalation(
    incident_days_ago: list[float], threshold: int, window: int, fires: bool
) -> None:
    rules = TriggerRules(escalation_incidents=threshold, escalation_window_days=window)
    fired = evaluate(rules, NOW, incident_times=[ago(d) for d in incident_days_ago])
    assert [f.source for f in fired] == ([ReferralSource.AUTOMATIC_ESCALATION] if fires else [])


def test_escalation_reason_counts_only_incidents_in_the_window() -> None:
    fired = evaluate(DEFAULTS, NOW, incident_times=[ago(d) for d in (1, 50, 300, 400)])
    assert [f.reason for f in fired] == ["Escalation: 3 incidents in the last 12 months"]


def test_all_three_fire_together_in_priority_order() -> None:
    fired = evaluate(
        DEFAULTS,
        NOW,
        endorsed_level="high",
        earlier_referrals=[earlier(100)],
        incident_times=[ago(1), ago(2), ago(3)],
    )
    assert [f.source for f in fired] == [
        ReferralSource.AUTOMATIC_HIGH_RISK,
        ReferralSource.AUTOMATIC_REPEAT,
        ReferralSource.AUTOMATIC_ESCALATION,
    ]


def test_repeat_and_escalation_without_high_risk() -> None:
    fired = evaluate(
        DEFAULTS,
        NOW,
        endorsed_level="medium",
        earlier_referrals=[earlier(10)],
        incident_times=[ago(1), ago(2), ago(3)],
    )
    assert fired[0].source == ReferralSource.AUTOMATIC_REPEAT
    assert len(fired) == 2


def test_nothing_fires_for_a_first_low_risk_incident() -> None:
    assert evaluate(DEFAULTS, NOW, endorsed_level="low", incident_times=[ago(1)]) == []


@pytest.mark.parametrize(
    ("days", "text"),
    [(365, "12 months"), (730, "24 months"), (30, "30 days"), (1, "1 day"), (400, "400 days")],
)
def test_window_text(days: int, text: str) -> None:
    assert window_text(days) == text


@pytest.mark.parametrize(
    ("current", "new", "result"),
    [
        (None, "high", "high"),
        ("medium", "high", "high"),
        ("high", "low", "high"),
        ("low", None, "low"),
        (None, None, None),
    ],
)
def test_higher_level(current: str | None, new: str | None, result: str | None) -> None:
    assert higher_level(current, new) == result
