"""The password policy and lockout rule as plain functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from marac.accounts.passwords import (
    after_failed_login,
    is_locked,
    is_simple_sequence,
    password_problem,
)

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SEQUENCE = "Password must not be a simple sequence, like 123456789012 or abcdefghijkl"


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("a" * 11, "Password must be 12 characters or more"),
        ("jo.bloggs-summer-garden", "Password must not contain your email address"),
        ("seacolemary1", "Password must not be your name"),
        ("a" * 12, "Password must not be one character repeated"),
        ("777777777777777", "Password must not be one character repeated"),
        ("123456789012", SEQUENCE),
        ("901234567890", SEQUENCE),
        ("abcdefghijklmn", SEQUENCE),
        ("ZYXWVUTSRQPO", SEQUENCE),
        ("password1234", "Password is on a list of common passwords; try three random words"),
        ("PASSWORD1234", "Password is on a list of common passwords; try three random words"),
        ("qwertyuiopas", "Password is too easy to guess; try three random words"),
        ("iloveyou1234", "Password is too easy to guess; try three random words"),
        ("liverpool123", "Password is too easy to guess; try three random words"),
        ("orchard-lantern-mary", None),
        ("correct-horse-battery-staple", None),
        ("abcdefghijk-river-moon", None),  # a sequence inside a longer passphrase is fine
    ],
)
def test_password_policy(password: str, problem: str | None) -> None:
    found = password_problem(password, email="jo.bloggs@test.example", name="Mary Seacole")
    assert found == problem


def test_sequences() -> None:
    assert is_simple_sequence("3456789012")
    assert is_simple_sequence("fedcba")
    assert not is_simple_sequence("135792468024")
    assert not is_simple_sequence("abcabcabcabc")
    assert not is_simple_sequence("ab")


def test_very_long_passwords_are_scored_on_their_start() -> None:
    assert password_problem("lantern-orchard-quartz-" * 5) is None


def test_short_names_do_not_block_every_password() -> None:
    assert password_problem("tidal-amber-cactus", email="r@x.example", name="R") is None


@pytest.mark.parametrize(
    ("failures_before", "locked"), [(0, False), (3, False), (4, True), (7, True)]
)
def test_lock_on_the_fifth_failure(failures_before: int, locked: bool) -> None:
    count, until = after_failed_login(failures_before, NOW, max_attempts=5, lockout_minutes=15)
    assert count == failures_before + 1
    assert (until == NOW + timedelta(minutes=15)) if locked else until is None


def test_is_locked_boundary() -> None:
    assert is_locked(NOW + timedelta(seconds=1), NOW)
    assert not is_locked(NOW, NOW)
    assert not is_locked(None, NOW)
