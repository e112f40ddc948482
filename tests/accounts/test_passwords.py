"""The password policy and lockout rule as plain functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from marac.accounts.passwords import after_failed_login, is_locked, password_problem

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("a" * 11, "12 characters or more"),
        ("a" * 12, None),
        ("jo.bloggs-summer-garden", "email address"),
        ("password1234", "too easy"),
        ("orchard-lantern-mary", None),
        ("seacolemary1", "your name"),
    ],
)
def test_password_policy(password: str, problem: str | None) -> None:
    found = password_problem(password, email="jo.bloggs@test.example", name="Mary Seacole")
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


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
