"""The two database runs of `make test` share the browser tests: each runs exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import pytest

from tests.conftest import BACKENDS, browser_tests_elsewhere, is_browser_test


@dataclass(frozen=True)
class Collected:
    """What the share reads of a collected test: its id and its markers."""

    nodeid: str
    marked: bool = False

    def get_closest_marker(self, name: str) -> Any:
        return object() if self.marked and name == "browser" else None


def _items() -> list[pytest.Item]:
    tests = [Collected(f"tests/e2e/test_page_{n}.py::test_it") for n in range(39)]
    tests += [Collected("tests/api/test_live.py::test_in_a_browser", marked=True)]
    tests += [Collected(f"tests/core/test_rule_{n}.py::test_it") for n in range(5)]
    return cast(list[pytest.Item], tests)


def test_the_two_runs_split_the_browser_tests_between_them() -> None:
    items = _items()
    browser = {i for i in items if is_browser_test(i)}
    assert len(browser) == 40
    runs = [browser - set(browser_tests_elsewhere(items, backend)) for backend in BACKENDS]
    assert runs[0].isdisjoint(runs[1]), "a browser test would run twice"
    assert runs[0] | runs[1] == browser, "a browser test would run on neither database"
    assert min(len(run) for run in runs) >= 10, "one run would take nearly all of them"


def test_a_test_only_one_run_collects_does_not_move_the_others() -> None:
    items = _items()
    extra = cast(pytest.Item, Collected("tests/e2e/test_postgres_only.py::test_it"))
    for backend in BACKENDS:
        before = set(browser_tests_elsewhere(items, backend))
        after = set(browser_tests_elsewhere([*items, extra], backend)) - {extra}
        assert before == after


def test_other_tests_run_on_both_databases() -> None:
    items = _items()
    for backend in BACKENDS:
        assert all(is_browser_test(i) for i in browser_tests_elsewhere(items, backend))


def test_this_suite_marks_its_browser_folder(request: pytest.FixtureRequest) -> None:
    assert not is_browser_test(request.node)
