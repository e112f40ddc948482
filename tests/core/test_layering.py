"""The shape of the code, held by a test: imports run one way and views only parse and render.

Capabilities are ranked along the data path (DESIGN.md §4). A module may import its own
capability, the ground and anything ranked below it, never above; nothing imports a view;
a view module builds no query and commits nothing (it calls an operation or a query
function). `UPWARD` lists the reviewed exceptions, each with its reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "marac"

GROUND = {
    "db", "config", "inputs", "formatting", "forms", "pagination", "spreadsheet", "ratelimit",
    "navigation", "dbroles", "migrate", "operations", "audit", "accounts", "auth", "notify",
    "demo_borough", "jobs", "storage", "pdfs",
}  # fmt: skip
# Lower first. Equal ranks may not import each other.
CAPABILITIES = [
    "people",
    "panels",
    "incidents",
    "assessments",
    "referrals",
    "restrictions",
    "actions",
    "attachments",
    "meetings",
    "minutes",
    "repeats",
    "imports",
    "retention",
    "cases",
    "governance",
    "reports",
    "home",
]
TOP = {"api", "pages", "demo", "demo_cases", "cli", "models", "worker", "__init__"}

# (importing module, imported module): why the arrow may point up.
UPWARD: dict[tuple[str, str], str] = {
    ("referrals.access", "meetings.access"): (
        "a member's right to see a referral comes from the published agendas it is on"
    ),
}

ALLOWED = set(UPWARD)

WRITE_OR_QUERY_CALLS = {
    "commit", "rollback", "flush", "execute", "scalar", "scalars", "add", "add_all", "delete",
    "query", "merge",
}  # fmt: skip


def _modules() -> dict[str, ast.Module]:
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found[name.removesuffix(".__init__") or "__init__"] = ast.parse(path.read_text())
    return found


MODULES = _modules()


def _package(module: str) -> str:
    return module.split(".", 1)[0]


def _rank(package: str) -> int:
    if package in GROUND:
        return 0
    if package in TOP:
        return len(CAPABILITIES) + 2
    assert package in CAPABILITIES, f"marac/{package} has no place in tests/core/test_layering.py"
    return CAPABILITIES.index(package) + 1


def _imports(tree: ast.AST) -> set[str]:
    """Every marac module imported anywhere in the tree (late imports count too)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("marac"):
            base = node.module.removeprefix("marac").lstrip(".")
            for alias in node.names:
                full = f"{base}.{alias.name}" if base else alias.name
                found.add(full if full in MODULES else base)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("marac."):
                    found.add(alias.name.removeprefix("marac."))
    return {m for m in found if m}


def _is_view(module: str) -> bool:
    leaf = module.rsplit(".", 1)[-1]
    return leaf == "views" or leaf.endswith("_views") or module == "accounts.sso_admin"


def test_imports_run_down_the_data_path() -> None:
    wrong = []
    for module, tree in MODULES.items():
        here = _package(module)
        for target in _imports(tree):
            there = _package(target)
            if there == here or _rank(there) == 0 or here in TOP:
                continue
            if _rank(there) >= _rank(here) and (module, target) not in ALLOWED:
                wrong.append(f"marac.{module} imports marac.{target}")
            if _rank(here) == 0 and (module, target) not in ALLOWED:
                wrong.append(f"marac.{module} (ground) imports marac.{target}")
    # Ground modules may not import any capability.
    for module, tree in MODULES.items():
        if _rank(_package(module)) == 0:
            wrong += [
                f"marac.{module} (ground) imports marac.{t}"
                for t in _imports(tree)
                if _rank(_package(t)) > 0 and (module, t) not in ALLOWED
            ]
    assert sorted(set(wrong)) == []


def test_nothing_imports_a_view() -> None:
    wrong = [
        f"marac.{module} imports marac.{target}"
        for module, tree in MODULES.items()
        for target in _imports(tree)
        if _is_view(target) and module not in {"__init__", "meetings.views"}
    ]
    assert wrong == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _is_view(m)))
def test_a_view_builds_no_query_and_commits_nothing(module: str) -> None:
    tree = MODULES[module]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            found.append(f"imports {node.module}")
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in WRITE_OR_QUERY_CALLS:
                found.append(f"calls .{func.attr}() on line {node.lineno}")
            if isinstance(func, ast.Name) and func.id == "select":
                found.append(f"calls select() on line {node.lineno}")
    assert found == []


def test_no_import_circles_between_modules() -> None:
    """Module-level imports only: a late import inside a function is not a circle at load."""
    graph: dict[str, set[str]] = {}
    for module, tree in MODULES.items():
        top = ast.Module(body=[n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)])
        graph[module] = {t for t in _imports(top) if t in MODULES and t != module}
    seen: dict[str, int] = {}
    circles: list[str] = []

    def visit(node: str, path: list[str]) -> None:
        seen[node] = 1
        for nxt in sorted(graph[node]):
            if seen.get(nxt) == 1:
                circles.append(" -> ".join([*path[path.index(nxt) :], nxt]))
            elif nxt not in seen:
                visit(nxt, [*path, nxt])
        seen[node] = 2

    for start in sorted(graph):
        if start not in seen:
            visit(start, [start])
    assert circles == []
