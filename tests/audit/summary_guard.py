"""A static check that audit summaries are built only from safe parts.

Every `record(...)` call in `marac/` is parsed; its summary must be made of string
literals and of values that name a record (ids, references, statuses, dates, counts,
coded labels, names an administrator configured). A local variable or parameter is
followed to what is assigned to it, or to the callers that pass it. Anything else,
such as `form.note.data`, fails the test: free text typed about a case never reaches
the audit log, where every administrator can read it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

# The last attribute (or name) of an interpolated value that names or counts a record.
SAFE_ATTRS = {
    "id",
    "ids",
    "reference",
    "page",
    "status",
    "version_number",
    "version",
    "number",
    "rara",
    "role",
    "email",
    "seq",
    "judgement_level",
    "final",
    "meeting_date",
    "start_time",
    "cadence_weeks",
    "months",
    "agency_id",
    "officer_id",
    "panel_id",
    "overdue_only",
    "listed",
    "kind",
    "who",
    "how",
    "level",
    "subject",
    "is_repeat",
    "CURRENT_VERSION",
    "section_key",
    "duplicate_id",
    "value",
    "sha256",
    "refs",  # case references by referral id (agenda rebuilds)
    "to",  # a position on the agenda
    "old_date",
    "new_date",
    "new_time",
    "a",
    "b",
    "n",
    "ended",  # how many sessions a reset ended
    "left",  # how many recovery codes are left
    "method",  # password or sso
}
# Names an administrator or coordinator configures: not case data.
SAFE_DOTTED = {
    "agency.name",
    "agency_name",
    "area.name",
    "area_name",
    "panel.name",
    "meeting.panel.name",
    "target.name",
    "strand.name",
    "current_user.agency.name",
    "table.title",
    "scope.area_label",
    "scope.period_label",
    "section.title",
    "form.direction.data",  # a choice: up or down
    "request.method",
    "request.endpoint",
    "request.path",
    "provider.display_name",  # an identity provider's name, set by an admin
}
# Helpers that return a fixed-format description built from safe parts (reviewed).
SAFE_CALLS = {
    "len",
    "str",
    "min",
    "isoformat",
    "format_date",
    "lower",
    "_describe",  # a panel's settings (marac/panels/operations.py)
    "text",  # MergeSummary.text(): counts
    "_changes",  # names of the fields that changed (marac/accounts/operations.py)
    "_audit_owner",  # an attachment's record kind and id (marac/attachments/operations.py)
}
# Helpers that only format what they are given: safe when every argument is.
SAFE_WRAPPERS = {
    "plural",  # "3 cases" (marac/formatting.py)
    "clock",  # "1:30pm"
}
# Calls reviewed by hand: (file, action) -> why the summary is safe.
REVIEWED = {
    ("marac/accounts/signin.py", ""): "fixed texts naming the sign-in method",
    ("marac/accounts/sso.py", ""): "coded refusal reasons, the provider's name, an email",
    ("marac/accounts/operations.py", "identity_provider_created"): "provider name and issuer",
    ("marac/accounts/operations.py", "identity_provider_updated"): "names of changed fields",
    ("marac/demo.py", "demo_data_loaded"): "counts of the demo rows loaded",
    ("marac/incidents/local_strands.py", "local_strand_updated"): "field names, strand names",
    ("marac/incidents/local_strands.py", "local_strand_added"): "an admin-configured strand name",
    ("marac/incidents/operations.py", "incident_recorded"): "strand labels, coded categories",
    ("marac/incidents/operations.py", "person_matched"): "how matched, names of filled fields",
    ("marac/meetings/operations.py", "meeting_case_recorded"): "coded decision and outcome",
    ("marac/referrals/triggers.py", "referral_created_automatically"): "system trigger reasons",
    ("marac/referrals/triggers.py", "referral_trigger_added"): "system trigger reasons",
    ("marac/referrals/operations.py", "referral_accepted"): "reference, area name and area id",
    ("marac/panels/operations.py", "meetings_scheduled"): "panel name and dates",
    ("marac/panels/operations.py", "panel_updated"): "changed field names and panel settings",
    ("marac/reports/operations.py", "update"): "changed field names of a target",
    ("marac/referrals/operations.py", "trigger_settings_updated"): "field names and numbers",
    ("marac/api/operations.py", "api_unauthenticated"): (
        "the method, the request path cut to 200 characters and a fixed reason"
    ),
    ("marac/minutes/operations.py", "minutes_correction_requested"): (
        "the next version number and the job's id; the reason itself is not written"
    ),
    ("marac/minutes/operations.py", "minutes_issue_failed"): "the attempt count and job id",
    ("marac/minutes/operations.py", "minutes_download_failed"): (
        "document kind, version and id, and a fixed text from _problem (corrupt or missing)"
    ),
    ("marac/minutes/operations.py", "agenda_download_failed"): (
        "the stored PDF's id and a fixed text from _problem (corrupt or missing)"
    ),
    ("marac/minutes/operations.py", "agenda_pdf_stored"): "ids, the job id and a hash prefix",
    ("marac/reports/operations.py", "pack_pdf_stored"): "the stored PDF's id and the job id",
    ("marac/api/operations.py", "api_call"): (
        "method, status and the request path: API paths hold only ids and the sender's own "
        "references, never a payload or a query string"
    ),
    ("marac/repeats/operations.py", "repeat_settings_updated"): "field names and numbers",
    ("marac/meetings/operations.py", "agenda_published"): (
        "the count listed and the names of agencies whose agreement lapsed (configured by an "
        "admin); the reason given is kept on the meeting, never written here"
    ),
    ("marac/referrals/operations.py", "referral_sharing_basis_recorded"): (
        "the reference and the coded consent and lawful basis labels; the views are not written"
    ),
    ("marac/minutes/operations.py", "minutes_correction_started"): "a version number",
    ("marac/retention/operations.py", "retention_kept"): "a record kind's label and a date",
    ("marac/retention/operations.py", "retention_disposal_requested"): (
        "a record kind's label, a count and the job id"
    ),
    ("marac/retention/operations.py", "retention_disposed"): (
        "a record kind's label, counts and the job id"
    ),
    ("marac/retention/operations.py", "retention_period_changed"): (
        "a record kind's label and two periods in months and years"
    ),
}


@dataclass
class Problem:
    where: str
    expression: str

    def __str__(self) -> str:
        return f"{self.where}: {self.expression}"


class _Module:
    def __init__(self, path: Path, root: Path) -> None:
        self.name = str(path.relative_to(root))
        self.tree = ast.parse(path.read_text())
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
        self.functions = {
            n.name: n
            for n in ast.walk(self.tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        }

    def function_of(self, node: ast.AST) -> ast.FunctionDef | None:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                return node  # type: ignore[return-value]
        return None


class _Checker:
    def __init__(self, module: _Module) -> None:
        self.m = module
        self.seen: set[tuple[int, str]] = set()

    def safe(self, node: ast.AST | None, scope: ast.FunctionDef | None, depth: int = 0) -> bool:
        if node is None or depth > 12:
            return node is None
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.JoinedStr):
            return all(self.safe(v, scope, depth + 1) for v in node.values)
        if isinstance(node, ast.FormattedValue):
            return self.safe(node.value, scope, depth + 1)
        if isinstance(node, ast.BinOp):
            return self.safe(node.left, scope, depth + 1) and self.safe(
                node.right, scope, depth + 1
            )
        if isinstance(node, ast.IfExp):
            return self.safe(node.body, scope, depth + 1) and self.safe(
                node.orelse, scope, depth + 1
            )
        if isinstance(node, ast.BoolOp):
            return all(self.safe(v, scope, depth + 1) for v in node.values)
        if isinstance(node, ast.List | ast.Tuple):
            return all(self.safe(v, scope, depth + 1) for v in node.elts)
        if isinstance(node, ast.GeneratorExp | ast.ListComp):
            return self.safe(node.elt, scope, depth + 1)
        if isinstance(node, ast.Subscript):
            # LABELS[code] (a constant table of coded labels), or a part of a safe value.
            base = node.value
            return (isinstance(base, ast.Name) and base.id.isupper()) or self.safe(
                base, scope, depth + 1
            )
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "join":
                return self.safe(func.value, scope, depth + 1) and all(
                    self.safe(a, scope, depth + 1) for a in node.args
                )
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in SAFE_WRAPPERS:
                return all(self.safe(a, scope, depth + 1) for a in node.args)
            return name in SAFE_CALLS
        if isinstance(node, ast.Attribute):
            return node.attr in SAFE_ATTRS or ast.unparse(node) in SAFE_DOTTED
        if isinstance(node, ast.Name):
            if node.id in SAFE_ATTRS or node.id in SAFE_DOTTED or node.id.isupper():
                return True
            return self.safe_name(node.id, scope, depth + 1)
        return False

    def safe_name(self, name: str, scope: ast.FunctionDef | None, depth: int) -> bool:
        """Follow a variable to its assignments, or a parameter to the callers."""
        if scope is None:
            return False
        values: list[ast.AST] = []
        for node in ast.walk(scope):
            if (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
            ) or (
                isinstance(node, ast.AugAssign | ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and node.target.id == name
                and node.value is not None
            ):
                values.append(node.value)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "append"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == name
            ):
                values.extend(node.args)
        if values:
            return all(self.safe(v, self.m.function_of(v), depth) for v in values)
        params = [a.arg for a in scope.args.args + scope.args.kwonlyargs]
        if name not in params:
            return False
        index = (
            scope.args.args.index(next(a for a in scope.args.args if a.arg == name))
            if (name in [a.arg for a in scope.args.args])
            else None
        )
        callers = [
            n
            for n in ast.walk(self.m.tree)
            if isinstance(n, ast.Call) and getattr(n.func, "id", None) == scope.name
        ]
        if not callers:
            return False
        for call in callers:
            passed = [k.value for k in call.keywords if k.arg == name]
            if not passed and index is not None and index < len(call.args):
                passed = [call.args[index]]
            if not all(self.safe(p, self.m.function_of(call), depth) for p in passed):
                return False
        return True


def _is_record(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and (
        getattr(node.func, "id", None) == "record" or getattr(node.func, "attr", None) == "record"
    )


def unsafe_summaries(root: Path) -> tuple[int, list[Problem]]:
    """(how many record calls were checked, the ones whose summary may carry free text)."""
    checked, problems = 0, []
    for path in sorted((root / "marac").rglob("*.py")):
        module = _Module(path, root)
        checker = _Checker(module)
        for node in ast.walk(module.tree):
            if not _is_record(node) or module.name == "marac/audit/log.py":
                continue
            checked += 1
            assert isinstance(node, ast.Call)
            action = node.args[1] if len(node.args) > 1 else None
            key = (module.name, action.value if isinstance(action, ast.Constant) else "")
            if key in REVIEWED:
                continue
            summary = node.args[4] if len(node.args) > 4 else None
            summary = next((k.value for k in node.keywords if k.arg == "summary"), summary)
            if not checker.safe(summary, module.function_of(node)):
                problems.append(Problem(f"{module.name}:{node.lineno}", ast.unparse(summary)))
    return checked, problems
