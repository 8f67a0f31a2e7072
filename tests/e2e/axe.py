"""Accessibility checks in the browser tests with axe-core (issue 7's acceptance: no
serious or critical violations on the wizard's pages).

axe-core comes from the npm registry at ``make axe`` (a dependency of ``make test``),
pinned in the Makefile, into ``.cache/axe-core/axe.min.js``; nothing is fetched while the
tests run. Without that file the check skips the test saying why — except on CI
(CI=true), where that is a failure, as for a missing Chromium.

    from tests.e2e.axe import assert_no_serious_violations
    assert_no_serious_violations(page)               # the whole page as it is now
    assert_no_serious_violations(page, "#panel-x")   # one part of it
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page

AXE_JS = Path(__file__).resolve().parents[2] / ".cache" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")

_RUN = """async ([context, rules]) => {
  const options = {resultTypes: ["violations"]};
  if (rules.length) options.rules = Object.fromEntries(rules.map(r => [r, {enabled: false}]));
  const result = await axe.run(context || document, options);
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary || ""})),
  }));
}"""


def _axe_source() -> Path:
    if AXE_JS.is_file():
        return AXE_JS
    message = f"axe-core is missing ({AXE_JS}): run `make axe` (it needs npm)."
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} On CI the accessibility checks must run.", pytrace=False)
    pytest.skip(message)


def serious_violations(page: Page, context: str | None = None, *, skip_rules=()) -> list[dict]:
    """axe-core's serious and critical violations on ``page`` (or inside the CSS selector
    ``context``): ``[{"id", "impact", "help", "helpUrl", "nodes": [{"target", "summary"}]}]``.
    ``skip_rules`` turns rules off by id — say why where you do."""
    source = _axe_source()
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(source))
    violations = page.evaluate(_RUN, [context, list(skip_rules)])
    return [v for v in violations if v["impact"] in BLOCKING]


def format_violations(violations: list[dict], where: str) -> str:
    lines = [f"axe-core: {len(violations)} serious or critical violation(s) on {where}:"]
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"][:10]:
            lines.append(f"    {node['target']}")
            for detail in node["summary"].splitlines()[1:3]:
                lines.append(f"      {detail.strip()}")
        if len(v["nodes"]) > 10:
            lines.append(f"    … and {len(v['nodes']) - 10} more")
    return "\n".join(lines)


def assert_no_serious_violations(page: Page, context: str | None = None, *, skip_rules=()):
    """Fail with a readable list (rule id, help, the elements) when axe-core finds a
    serious or critical violation on the page as it is now."""
    violations = serious_violations(page, context, skip_rules=skip_rules)
    if violations:
        where = page.url + (f" ({context})" if context else "")
        pytest.fail(format_violations(violations, where), pytrace=False)
