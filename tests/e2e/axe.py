"""Run axe-core in a page and report violations readably.

The app's Content-Security-Policy forbids inline scripts, so axe is not added as a
<script> tag: its source is evaluated through the DevTools protocol, which CSP does
not govern. The page's own CSP stays in force (no bypass_csp) so the test sees what
users see.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from playwright.sync_api import Page

from marac.config import PROJECT_ROOT

AXE_JS = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

# Returns only what the report needs: whole axe results are large to pass back.
RUN_AXE = """
async (tags) => {
  const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    targets: v.nodes.map((n) => n.target.join(' ')),
  }));
}
"""


@cache
def _axe_source() -> str:
    if not AXE_JS.exists():
        raise FileNotFoundError(f"{AXE_JS} is missing: run `npm ci` (or `make install`)")
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 AA and best-practice violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    violations: list[dict[str, Any]] = page.evaluate(RUN_AXE, AXE_TAGS)
    return violations


def describe(violations: list[dict[str, Any]], url: str = "") -> str:
    """One block per violation: id, impact, help text, link and the failing elements."""
    lines = [f"{len(violations)} accessibility violation(s) on {url}:"]
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        lines.extend(f"    at {target}" for target in v["targets"])
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    """Fail with a readable list if axe finds any violation."""
    # A page still arriving has no <main> yet: axe would judge the blank document between.
    page.wait_for_load_state("domcontentloaded")
    page.locator("main").first.wait_for(state="attached")
    violations = axe_violations(page)
    assert not violations, describe(violations, page.url)
